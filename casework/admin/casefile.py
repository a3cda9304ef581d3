"""The case file on the admin's case page: notes (write, correct, search) and documents
(upload by drag and drop or the file input, new versions, download).

Thin faces of ``casework.casefile.services``; who may do what is asked of
``casework.casefile.permissions``. The forms sit outside the case's own (read-only) change
form, and the inputs on the page name them with ``form="…"`` (a form inside a form is dropped
by the browser). Files are served only by ``document_download``, through the service that
checks the user and writes the access-log row.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.applications.models import Application
from casework.casefile import permissions, selectors, services
from casework.casefile.choices import CaseDocumentKind, Visibility
from casework.casefile.files import EXTENSIONS
from casework.casefile.models import CaseDocument, CaseNote
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.people.choices import SpokenLanguage, spoken_language
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog

ACCEPT = ".pdf,.jpg,.jpeg,.png,application/pdf,image/jpeg,image/png"


class NoteForm(forms.Form):
    text = forms.CharField(
        label=_("New note"),
        widget=forms.Textarea(attrs={"rows": 3, "form": "case-note-add"}),
        max_length=services.NOTE_MAX_CHARS,
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        widget=forms.Select(attrs={"form": "case-note-add"}),
    )


class NoteCorrectionForm(forms.Form):
    text = forms.CharField(
        label=_("Corrected text"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=services.NOTE_MAX_CHARS,
    )
    reason = forms.CharField(label=_("Why it is corrected"), max_length=300, required=False)
    visibility = forms.ChoiceField(label=_("Who may read it"), choices=Visibility.choices)
    version = forms.IntegerField(widget=forms.HiddenInput)


class NoteSearchForm(forms.Form):
    notes_q = forms.CharField(
        label=_("Search the notes"),
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"form": "case-notes-search", "type": "search"}),
    )
    notes_visibility = forms.ChoiceField(
        label=_("Visibility"),
        required=False,
        choices=[("", _("all")), *Visibility.choices],
        widget=forms.Select(attrs={"form": "case-notes-search"}),
    )


def _upload_widget() -> forms.FileInput:
    return forms.FileInput(
        attrs={"accept": ACCEPT, "form": "case-document-upload", "class": "dropzone-input"}
    )


class DocumentForm(forms.Form):
    file = forms.FileField(label=_("File (PDF, JPEG or PNG)"), widget=_upload_widget())
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=CaseDocumentKind.choices,
        widget=forms.Select(attrs={"form": "case-document-upload"}),
    )
    title = forms.CharField(
        label=_("Description"),
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"form": "case-document-upload"}),
    )
    source = forms.CharField(
        label=_("Source"),
        max_length=200,
        help_text=_("Who handed it in or sent it."),
        widget=forms.TextInput(attrs={"form": "case-document-upload"}),
    )
    received_on = forms.DateField(
        label=_("Received on"),
        widget=forms.DateInput(attrs={"type": "date", "form": "case-document-upload"}),
    )
    language = forms.ChoiceField(
        label=_("Language"),
        choices=SpokenLanguage.choices,
        widget=forms.Select(attrs={"form": "case-document-upload"}),
    )
    translated = forms.BooleanField(
        label=_("Translated"),
        required=False,
        widget=forms.CheckboxInput(attrs={"form": "case-document-upload"}),
    )
    visibility = forms.ChoiceField(
        label=_("Who may read it"),
        choices=Visibility.choices,
        initial=Visibility.INTERNAL,
        widget=forms.Select(attrs={"form": "case-document-upload"}),
    )


class DocumentVersionForm(forms.Form):
    file = forms.FileField(
        label=_("New file (PDF, JPEG or PNG)"),
        widget=forms.FileInput(attrs={"accept": ACCEPT, "class": "dropzone-input"}),
    )
    version = forms.IntegerField(widget=forms.HiddenInput)


def case_file_context(
    request: HttpRequest, app: Application, events: list[Any] | None = None
) -> dict[str, Any]:
    """What the case page shows of the case file to this user: the notes (searched and
    filtered by ``notes_q`` and ``notes_visibility``), the documents, and the forms the user
    may use.

    ``app`` was found through the user's scope (``ApplicationAdmin.get_queryset``), and
    ``events`` are the case's newest audit events (the timeline): every note and document is
    written with its event, so a case whose trail (when not cut at its 200 newest) has none
    has no note or no document, and the page asks nothing more.
    """
    user = request.user
    rights = permissions.case_file_rights(user, app, in_scope=True)
    actions = None if events is None or len(events) >= 200 else {e.action for e in events}
    search = NoteSearchForm(request.GET or None)
    term, visibility = "", ""
    if search.is_valid():
        term = search.cleaned_data["notes_q"]
        visibility = search.cleaned_data["notes_visibility"]
    notes: list[Any] = []
    if rights.reads_notes and (actions is None or "note_added" in actions):
        notes = selectors.case_notes_page(
            user=user, application=app, search=term, visibility=visibility
        )
    for note in notes:
        note.may_correct = rights.corrects_notes and (
            note.author_id == user.pk or user.is_superuser
        )
    documents: list[Any] = []
    if rights.reads_documents and (actions is None or "document_added" in actions):
        documents = selectors.case_documents_page(user=user, application=app)
    language = spoken_language(app.person.preferred_language) or "nor"
    return {
        "case_reads_notes": rights.reads_notes,
        "case_reads_documents": rights.reads_documents,
        "case_notes": notes,
        "case_notes_searched": bool(term or visibility),
        "case_note_search": search if search.is_bound else NoteSearchForm(),
        "case_note_form": NoteForm() if rights.writes_notes else None,
        "case_documents": documents,
        "case_may_add_versions": rights.adds_versions,
        "case_document_form": _document_form(user, app, language) if rights.uploads else None,
    }


def _document_form(user: Any, app: Application, language: str) -> DocumentForm:
    """The upload form; a role outside the authority (the applicant's lawyer) is offered only
    the readers it is itself among, and its own submission as the kind."""
    form = DocumentForm(initial={"received_on": timezone.localdate(), "language": language})
    allowed = permissions.upload_visibilities(user, app)
    if Visibility.INTERNAL not in allowed:
        visibility = form.fields["visibility"]
        assert isinstance(visibility, forms.ChoiceField)
        visibility.choices = [(v, label) for v, label in Visibility.choices if v in allowed]
        form.initial.update(visibility=allowed[0], kind=CaseDocumentKind.LAWYER_SUBMISSION)
    return form


def notes_by_event(
    request: HttpRequest, app: Application, events: list[Any], context: dict[str, Any]
) -> dict[int, Any]:
    """The notes the timeline's note events are about, that this user may read, by event id
    (those the notes panel loaded, unless it was searched: then asked again)."""
    label = CaseNote._meta.label_lower
    ids = {}
    for event in events:
        subject = (event.changes or {}).get("subject", "")
        if event.action.startswith("note_") and subject.startswith(f"{label}:"):
            ids[event.pk] = int(subject.split(":", 1)[1])
    if not ids or not context["case_reads_notes"]:
        return {}
    if context["case_notes_searched"]:
        notes = permissions.notes_visible_to(
            request.user, CaseNote.objects.filter(application=app, pk__in=set(ids.values()))
        )
    else:
        notes = context["case_notes"]
    found = {note.pk: note for note in notes}
    return {event_id: found[pk] for event_id, pk in ids.items() if pk in found}


def _back(app: Application, anchor: str = "") -> HttpResponseRedirect:
    return HttpResponseRedirect(
        reverse("admin:casework_application_change", args=[app.pk]) + anchor
    )


def note_add(request: HttpRequest, app: Application) -> HttpResponse:
    form = NoteForm(request.POST)
    if request.method != "POST":
        return _back(app, "#case-notes")
    if not form.is_valid():
        messages.error(request, _("The note was not saved: write its text."))
        return _back(app, "#case-notes")
    try:
        services.note_add(actor=request.user, application=app, **form.cleaned_data)
    except TransitionInvalid as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, _("The note is saved."))
    return _back(app, "#case-notes")


def note_correct(request: HttpRequest, app: Application, note_pk: int, page: Any) -> HttpResponse:
    """GET: the correction form with the text as it reads now. POST: a new version."""
    visible = permissions.notes_visible_to(request.user, CaseNote.objects.filter(application=app))
    note = get_object_or_404(visible, pk=note_pk)
    if not permissions.may_correct_note(request.user, note):
        raise PermissionDenied
    if request.method == "POST":
        form = NoteCorrectionForm(request.POST)
        if form.is_valid():
            data = dict(form.cleaned_data)
            try:
                services.note_correct(
                    actor=request.user,
                    note=note,
                    expected_version=data.pop("version"),
                    **data,
                )
            except TransitionInvalid as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            except TransitionConflict as exc:
                messages.error(request, exc.message)
                return _back(app, "#case-notes")
            else:
                messages.success(request, _("The note is corrected; the earlier text is kept."))
                return _back(app, "#case-notes")
    else:
        form = NoteCorrectionForm(
            initial={"text": note.text, "visibility": note.visibility, "version": note.version}
        )
        access_log(user=request.user, action=AccessLog.Action.VIEW, objects=[note])
    return page(
        request,
        app,
        form,
        _("Correct a note: %s") % app.display_reference,
        _("A correction is a new version of the note: the text it replaces stays on record."),
    )


def document_upload(request: HttpRequest, app: Application) -> HttpResponse:
    if request.method != "POST":
        return _back(app, "#case-documents")
    form = DocumentForm(request.POST, request.FILES)
    if not form.is_valid():
        problems = [
            f"{form.fields[f].label}: {' '.join(str(m) for m in e)}" for f, e in form.errors.items()
        ]
        messages.error(request, _("The document was not added. %s") % " ".join(problems))
        return _back(app, "#case-documents")
    try:
        services.document_add(actor=request.user, application=app, **form.cleaned_data)
    except TransitionInvalid as exc:
        messages.error(request, _("The document was not added. %s") % " ".join(exc.messages))
    else:
        messages.success(request, _("The document is added to the case file."))
    return _back(app, "#case-documents")


def document_version(
    request: HttpRequest, app: Application, document_pk: int, page: Any
) -> HttpResponse:
    """GET: the upload form of a new version. POST: the new version (the old ones stay)."""
    visible = permissions.documents_visible_to(
        request.user, CaseDocument.objects.filter(application=app)
    )
    document = get_object_or_404(visible, pk=document_pk)
    if not permissions.may_add_version(request.user, document):
        raise PermissionDenied
    if request.method == "POST":
        form = DocumentVersionForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                services.document_add_version(
                    actor=request.user,
                    document=document,
                    file=form.cleaned_data["file"],
                    expected_version=form.cleaned_data["version"],
                )
            except TransitionInvalid as exc:
                form.add_error("file", exc.messages)
            except TransitionConflict as exc:
                messages.error(request, exc.message)
                return _back(app, "#case-documents")
            else:
                messages.success(request, _("The new version is added; the earlier ones stay."))
                return _back(app, "#case-documents")
    else:
        form = DocumentVersionForm(initial={"version": document.version})
    return page(
        request,
        app,
        form,
        _("New version of %(kind)s: %(case)s")
        % {"kind": document.get_kind_display(), "case": app.display_reference},
        _("The earlier versions stay in the case file and can still be downloaded."),
    )


def document_download(request: HttpRequest, app: Application, document_pk: int) -> FileResponse:
    """The file, to a user who may read the document; the service logs the download."""
    raw = request.GET.get("version", "")
    number = int(raw) if raw.isascii() and raw.isdigit() and 0 < len(raw) < 9 else None
    try:
        version, handle = services.document_open(
            actor=request.user,
            document_id=document_pk,
            application=app,
            number=number,
            via="admin",
        )
    except ObjectDoesNotExist as exc:
        raise Http404 from exc
    response = FileResponse(
        handle,
        content_type=version.content_type,
        as_attachment=True,
        filename=(
            f"case-document-{version.document_id}-v{version.number}"
            f"{EXTENSIONS.get(version.content_type, ('',))[0]}"
        ),
    )
    response["Cache-Control"] = "no-store, private"
    return response
