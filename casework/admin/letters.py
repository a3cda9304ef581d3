"""Letters on the case page: write one from its template, download it, record its sending and
its delivery, correct it.

Thin faces of ``casework.letters.services``: every page finds the case through the user's
scope (a case outside it is a 404, never "exists but not yours"), every submit goes through a
service that re-checks the permission, and nothing here edits a letter: a sent letter is
corrected by writing a new one. The PDF never has a public URL: ``letter_pdf`` checks the
permission, writes an access-log row and streams the stored file.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache

from casework.admin.base import EVENT_TITLES
from casework.applications.models import Application
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.letters.choices import Channel, LetterKind
from casework.letters.models import Letter
from casework.letters.services import (
    letter_correct,
    letter_create,
    letter_delivery_record,
    letter_record_sending,
)
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.privacy.scopes import applications_visible_to, visible_to

# The case's timeline names the letters' audit events in words.
EVENT_TITLES.update(
    {
        "letter_created": _("Letter written"),
        "letter_sent": _("Letter sent"),
        "letter_delivered": _("Letter reached the applicant"),
    }
)


class LetterForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind of letter"), choices=LetterKind.choices)
    language = forms.ChoiceField(
        label=_("Applicant's language"),
        choices=settings.LANGUAGES,
        help_text=_("Beside the binding Norwegian text. Norwegian alone: choose Norsk bokmål."),
    )
    country = forms.CharField(
        label=_("Responsible country (Dublin letters)"),
        max_length=2,
        required=False,
        help_text=_("Its ISO code, e.g. DE."),
    )
    granted = forms.TypedChoiceField(
        label=_("Work permit (work-permit letters)"),
        choices=[("", "–"), ("yes", _("granted")), ("no", _("refused"))],
        required=False,
    )
    valid_until = forms.DateField(
        label=_("Work permit valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    grounds = forms.CharField(
        label=_("Grounds for refusing a work permit"), required=False, widget=forms.Textarea
    )

    def extra(self) -> dict[str, Any]:
        """The fields the chosen kind takes, as the service wants them."""
        data = self.cleaned_data
        if data["kind"] == LetterKind.DUBLIN:
            return {"country": data["country"]} if data["country"] else {}
        if data["kind"] == LetterKind.WORK_PERMIT:
            extra: dict[str, Any] = {"granted": data["granted"] == "yes"} if data["granted"] else {}
            if data["valid_until"]:
                extra["valid_until"] = data["valid_until"]
            if data["grounds"]:
                extra["grounds"] = data["grounds"]
            return extra
        return {}


class SendForm(forms.Form):
    channel = forms.ChoiceField(label=_("Sent by"), choices=Channel.choices)


class DeliveryForm(forms.Form):
    delivered_on = forms.DateField(
        label=_("Reached the applicant or their lawyer on"),
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    confirmed_by = forms.CharField(
        label=_("Confirmed by"),
        max_length=200,
        help_text=_("The channel's receipt, or who confirmed it (name and role)."),
    )


def _case(request: HttpRequest, pk: int) -> Application:
    return get_object_or_404(applications_visible_to(request.user).select_related("person"), pk=pk)


def _letter(request: HttpRequest, pk: int) -> Letter:
    if not request.user.has_perm("casework.view_letter"):
        raise PermissionDenied
    letters = visible_to(request.user, Letter.objects.select_related("application__person"))
    return get_object_or_404(letters, pk=pk)


def _case_url(app: Application) -> str:
    return reverse("admin:casework_application_change", args=[app.pk]) + "#letters"


def _page(
    request: HttpRequest, app: Application, form: forms.Form, title: str, intro: Any = ""
) -> TemplateResponse:
    return TemplateResponse(
        request,
        "admin/casework/action_form.html",
        {
            **admin.site.each_context(request),
            "title": title,
            "intro": intro,
            "opts": Application._meta,
            "original": app,
            "form": form,
            "change_url": _case_url(app),
            "submit_label": _("Confirm"),
        },
    )


def _form_errors(form: forms.Form, exc: TransitionInvalid) -> None:
    for field, errors in exc.message_dict.items():
        form.add_error(field if field in form.fields else None, errors)


def letter_new(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a letter from its template: GET the form, POST to the service."""
    app = _case(request, pk)
    if not (
        request.user.has_perm("casework.add_letter")
        and request.user.has_perm("casework.write_letter", app)
    ):
        raise PermissionDenied
    initial = {"language": app.person.preferred_language}
    form = LetterForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            letter = letter_create(
                actor=request.user,
                application=app,
                kind=form.cleaned_data["kind"],
                language=form.cleaned_data["language"],
                extra=form.extra(),
            )
        except TransitionInvalid as exc:
            _form_errors(form, exc)
        else:
            messages.success(
                request,
                _("The letter is written (%(kind)s). Check the PDF, then record its sending.")
                % {"kind": letter.get_kind_display()},
            )
            return HttpResponseRedirect(_case_url(app))
    return _page(
        request,
        app,
        form,
        _("Write a letter: %s") % app.display_reference,
        _(
            "The letter is filled from the case's records (decision, interview, appeal) and "
            "rendered as a PDF in Norwegian with the applicant's language beside it. Once sent, "
            "it cannot be changed; a mistake is corrected by a new letter."
        ),
    )


def letter_correction(request: HttpRequest, pk: int) -> HttpResponse:
    """Write a new letter correcting this one (from the case's records as they are now)."""
    letter = _letter(request, pk)
    app = letter.application
    form = forms.Form(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            letter_correct(actor=request.user, letter=letter)
        except TransitionInvalid as exc:
            _form_errors(form, exc)
        else:
            messages.success(request, _("The correcting letter is written."))
            return HttpResponseRedirect(_case_url(app))
    elif not (
        request.user.has_perm("casework.add_letter")
        and request.user.has_perm("casework.write_letter", app)
    ):
        raise PermissionDenied
    return _page(
        request,
        app,
        form,
        _("Correct the letter: %s") % letter,
        _(
            "A new letter is written from the case's records as they are now, saying that it "
            "corrects this one. This letter stays as it was."
        ),
    )


def letter_send(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    app = letter.application
    form = SendForm(request.POST or None, initial={"channel": Channel.DIGITAL})
    if request.method == "POST" and form.is_valid():
        try:
            letter_record_sending(
                actor=request.user, letter=letter, channel=form.cleaned_data["channel"]
            )
        except TransitionInvalid as exc:
            _form_errors(form, exc)
        except TransitionConflict as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(_case_url(app))
        else:
            messages.success(request, _("The letter is recorded as sent."))
            return HttpResponseRedirect(_case_url(app))
    elif not request.user.has_perm("casework.send_letter", app) or not request.user.has_perm(
        "casework.change_letter"
    ):
        raise PermissionDenied
    return _page(
        request,
        app,
        form,
        _("Record the sending: %s") % letter,
        _("After this the letter cannot be changed."),
    )


def letter_delivery(request: HttpRequest, pk: int) -> HttpResponse:
    letter = _letter(request, pk)
    app = letter.application
    form = DeliveryForm(request.POST or None, initial={"delivered_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        try:
            letter_delivery_record(actor=request.user, letter=letter, **form.cleaned_data)
        except TransitionInvalid as exc:
            _form_errors(form, exc)
        except TransitionConflict as exc:
            messages.error(request, exc.message)
            return HttpResponseRedirect(_case_url(app))
        else:
            messages.success(request, _("The delivery is recorded."))
            return HttpResponseRedirect(_case_url(app))
    elif not request.user.has_perm("casework.send_letter", app) or not request.user.has_perm(
        "casework.change_letter"
    ):
        raise PermissionDenied
    return _page(
        request,
        app,
        form,
        _("Record the delivery: %s") % letter,
        _(
            "The day the letter reached the applicant or their lawyer. For a decision, the "
            "appeal deadline runs from it (Public Administration Act § 29)."
        ),
    )


@never_cache
def letter_pdf(request: HttpRequest, pk: int) -> FileResponse:
    """Serve one letter's PDF to a user who may see its case, and log that they did."""
    if request.method not in ("GET", "HEAD"):
        raise PermissionDenied
    letter = _letter(request, pk)
    if not letter.pdf:
        raise Http404
    handle = letter.pdf.open("rb")
    access_log(user=request.user, action=AccessLog.Action.DOWNLOAD, objects=[letter], via="admin")
    response = FileResponse(
        handle,
        content_type="application/pdf",
        as_attachment=True,
        filename=f"letter-{letter.pk}-{letter.kind}.pdf",
    )
    response["Cache-Control"] = "no-store, private"
    return response


def letters_panel(user: Any, app: Application, *, known_none: bool = False) -> dict[str, Any]:
    """The case page's letters: each with what this user may do to it now (``known_none``: the
    caller knows the case has none, so they are not asked for)."""
    may_view = user.has_perm("casework.view_letter")
    may_write = user.has_perm("casework.add_letter") and user.has_perm("casework.write_letter", app)
    may_send = user.has_perm("casework.change_letter") and user.has_perm(
        "casework.send_letter", app
    )
    letters = (
        list(
            visible_to(user, app.letters.all())
            .select_related("created_by", "sent_by", "corrects", "delivery")
            .order_by("-created_at", "-id")
        )
        if may_view and not known_none
        else []
    )
    languages = dict(settings.LANGUAGES)
    rows = []
    for letter in letters:
        delivery = getattr(letter, "delivery", None) if letter.sent_at else None
        rows.append(
            {
                "letter": letter,
                "language": languages.get(letter.language, letter.language),
                "delivery": delivery,
                "pdf_url": reverse("casework-letter-pdf", args=[letter.pk]),
                "send_url": reverse("casework-letter-send", args=[letter.pk])
                if may_send and not letter.sent_at
                else "",
                "delivery_url": reverse("casework-letter-delivery", args=[letter.pk])
                if may_send and letter.sent_at and delivery is None
                else "",
                "correct_url": reverse("casework-letter-correct", args=[letter.pk])
                if may_write
                else "",
            }
        )
    return {
        "may_view": may_view,
        "new_url": reverse("casework-letter-new", args=[app.pk]) if may_write else "",
        "rows": rows,
    }
