"""The only writers (and the one reader of files) of the case file: notes and documents.

Every service takes the acting user, checks ``casework.casefile.permissions`` (raise
``PermissionDenied``), writes in one transaction with one audit event (which names the record
in ``changes["subject"]`` and never copies its words), and refuses what the law forbids:
nothing of the case file is ever deleted (``note_delete`` and ``document_delete`` exist only
to say so). ``document_open`` is the one way a file's bytes leave the store: permission
check, then an access-log row (GDPR art. 5(2), 32), then the bytes.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import IO, Any, TypeVar

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.models import Application
from casework.audit.services import audit_log, audit_subject
from casework.casefile import permissions
from casework.casefile.choices import CaseDocumentKind, ScanStatus, Visibility
from casework.casefile.files import sha256_of, sniffed_type, virus_scan
from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.people.choices import SpokenLanguage
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.staff.users import AnyUser, recorded_user

NOTE_MAX_CHARS = 20_000
T = TypeVar("T")


def _note_text(text: str) -> str:
    text = (text or "").strip()
    if not text:
        raise TransitionInvalid({"text": [_("Write the note.")]})
    if len(text) > NOTE_MAX_CHARS:
        raise TransitionInvalid(
            {"text": [_("A note holds at most %(n)d characters.") % {"n": NOTE_MAX_CHARS}]}
        )
    return text


def _visibility(value: str) -> str:
    if value not in Visibility.values:
        raise TransitionInvalid({"visibility": [_("Choose who may read it.")]})
    return value


def note_add(
    *, actor: AnyUser, application: Application, text: str, visibility: str = Visibility.INTERNAL
) -> CaseNote:
    """Write a note on a case (its first version)."""
    if not permissions.may_write_note(actor, application):
        raise PermissionDenied(_("You may not write notes on this case."))
    text = _note_text(text)
    visibility = _visibility(visibility)
    now = timezone.now()
    with transaction.atomic():
        note = CaseNote.objects.create(
            application=application,
            author=recorded_user(actor),
            created_at=now,
            visibility=visibility,
            text=text,
        )
        CaseNoteVersion.objects.create(
            note=note,
            number=1,
            text=text,
            visibility=visibility,
            written_by=recorded_user(actor),
            written_at=now,
        )
        audit_log(
            actor=actor,
            action="note_added",
            application=application,
            changes={"subject": audit_subject(note), "visibility": visibility},
        )
    return note


def note_correct(
    *,
    actor: AnyUser,
    note: CaseNote,
    text: str,
    reason: str = "",
    visibility: str | None = None,
    expected_version: int | None = None,
) -> CaseNote:
    """Correct a note: a new version with the new text; every earlier text stays readable.

    Only its author may (``permissions.may_correct_note``). ``expected_version`` is the
    version the author was looking at: a correction made meanwhile is a conflict, never
    silently overwritten.
    """
    text = _note_text(text)
    reason = " ".join((reason or "").split())[:300]
    with transaction.atomic():
        locked = CaseNote.objects.select_for_update().select_related("application").get(pk=note.pk)
        if not permissions.may_correct_note(actor, locked):
            raise PermissionDenied(_("Only the note's author may correct it."))
        if expected_version is not None and locked.version != expected_version:
            raise TransitionConflict(
                _("The note was corrected meanwhile. Reload it and try again.")
            )
        new_visibility = _visibility(visibility) if visibility else locked.visibility
        if text == locked.text and new_visibility == locked.visibility:
            raise TransitionInvalid({"text": [_("The text is the same as it was.")]})
        now = timezone.now()
        locked.version += 1
        CaseNoteVersion.objects.create(
            note=locked,
            number=locked.version,
            text=text,
            visibility=new_visibility,
            reason=reason,
            written_by=recorded_user(actor),
            written_at=now,
        )
        before = locked.visibility
        locked.text, locked.visibility, locked.corrected_at = text, new_visibility, now
        locked.save(update_fields=["text", "visibility", "version", "corrected_at"])
        changes: dict[str, Any] = {"subject": audit_subject(locked), "version": locked.version}
        if before != new_visibility:
            changes["visibility"] = [before, new_visibility]
        audit_log(
            actor=actor,
            action="note_corrected",
            application=locked.application,
            changes=changes,
        )
    return locked


def note_delete(*, actor: AnyUser, note: CaseNote) -> None:
    """Refused, always: a case note is part of the record the decision rests on."""
    raise PermissionDenied(_("Case notes are never deleted. Correct the note instead."))


# --- documents --------------------------------------------------------------------------


def _checked_file(file: Any) -> tuple[str, str, ScanStatus, str]:
    """(content type, SHA-256, scan status, scan detail) of an acceptable file; raises
    ``TransitionInvalid`` for a refused one (size, type, forgery, virus)."""
    if file is None:
        raise TransitionInvalid({"file": [_("Choose a file.")]})
    try:
        content_type = sniffed_type(file)
    except ValidationError as exc:
        raise TransitionInvalid({"file": exc.messages}) from exc
    scan = virus_scan(file)
    if scan.infected:
        raise TransitionInvalid(
            {"file": [_("The virus scanner found a threat in this file; it was not stored.")]}
        )
    status = ScanStatus.CLEAN if scan.scanned else ScanStatus.NOT_SCANNED
    return content_type, sha256_of(file), status, scan.detail


def _store_version(
    *, actor: AnyUser, document: CaseDocument, number: int, file: Any, stored: list[Any]
) -> CaseDocumentVersion:
    content_type, digest, status, detail = _checked_file(file)
    version = CaseDocumentVersion(
        document=document,
        number=number,
        content_type=content_type,
        size=file.size,
        sha256=digest,
        scan_status=status,
        scan_detail=detail,
        uploaded_by=recorded_user(actor),
    )
    version.file.save("upload", file, save=False)
    stored.append(version.file)
    version.save()
    return version


def _with_file_cleanup(write: Callable[[list[Any]], T]) -> T:
    """Run ``write(stored)``; if it fails, the files it stored (``stored``) are deleted: the
    bytes reach the disk before the row commits, and a refused or failed write leaves none.
    (A rollback of an outer transaction after this returns is not seen: Django has no
    rollback hook. Such a file has no row and is never served.)"""
    stored: list[Any] = []
    try:
        return write(stored)
    except BaseException:
        for file in stored:
            file.storage.delete(file.name)
        raise


def document_add(
    *,
    actor: AnyUser,
    application: Application,
    file: Any,
    kind: str,
    source: str,
    language: str,
    received_on: dt.date | None = None,
    translated: bool = False,
    title: str = "",
    visibility: str | None = None,
) -> CaseDocument:
    """Add a document to a case with its first file (checked by content, size and the virus
    scanner where there is one).

    ``visibility``: staff choose (internal when left out); a role outside the authority (the
    applicant's lawyer) adds what it may read itself, shared with it when left out (Public
    Administration Act § 18: the party's lawyer sees what they handed in)."""
    if not permissions.may_upload_document(actor, application):
        raise PermissionDenied(_("You may not add documents to this case."))
    allowed = permissions.upload_visibilities(actor, application)
    if visibility is None:
        visibility = Visibility.INTERNAL if Visibility.INTERNAL in allowed else allowed[0]
    errors: dict[str, list[str]] = {}
    if kind not in CaseDocumentKind.values:
        errors["kind"] = [_("Choose what kind of document it is.")]
    if language not in SpokenLanguage.values:
        errors["language"] = [_("Choose the document's language.")]
    source = " ".join((source or "").split())[:200]
    if not source:
        errors["source"] = [_("Say who handed it in or sent it.")]
    if visibility not in allowed:
        errors["visibility"] = [_("Choose who may read it.")]
    if errors:
        raise TransitionInvalid(errors)
    return _with_file_cleanup(
        lambda stored: _document_add(
            actor=actor,
            stored=stored,
            application=application,
            file=file,
            kind=kind,
            source=source,
            language=language,
            received_on=received_on or timezone.localdate(),
            translated=bool(translated),
            title=" ".join((title or "").split())[:200],
            visibility=visibility,
        )
    )


def _document_add(
    *, actor: AnyUser, application: Application, file: Any, stored: list[Any], **fields: Any
) -> CaseDocument:
    with transaction.atomic():
        document = CaseDocument.objects.create(
            application=application, created_by=recorded_user(actor), **fields
        )
        version = _store_version(actor=actor, document=document, number=1, file=file, stored=stored)
        audit_log(
            actor=actor,
            action="document_added",
            application=application,
            changes={
                "subject": audit_subject(document),
                "kind": document.kind,
                "version": 1,
                "scan": version.scan_status,
            },
        )
    return document


def document_add_version(
    *,
    actor: AnyUser,
    document: CaseDocument,
    file: Any,
    expected_version: int | None = None,
) -> CaseDocumentVersion:
    """A new file for a document (a better scan, the translation): a new version; the old
    ones stay and can still be downloaded."""

    def add(stored: list[Any]) -> CaseDocumentVersion:
        with transaction.atomic():
            locked = (
                CaseDocument.objects.select_for_update()
                .select_related("application")
                .get(pk=document.pk)
            )
            if not permissions.may_add_version(actor, locked):
                raise PermissionDenied(_("You may not add versions of this document."))
            if expected_version is not None and locked.version != expected_version:
                raise TransitionConflict(
                    _("A new version was uploaded meanwhile. Reload it and try again.")
                )
            locked.version += 1
            locked.save(update_fields=["version"])
            version = _store_version(
                actor=actor, document=locked, number=locked.version, file=file, stored=stored
            )
            audit_log(
                actor=actor,
                action="document_version_added",
                application=locked.application,
                changes={
                    "subject": audit_subject(locked),
                    "version": locked.version,
                    "scan": version.scan_status,
                },
            )
        return version

    return _with_file_cleanup(add)


def document_delete(*, actor: AnyUser, document: CaseDocument) -> None:
    """Refused, always: a document received is part of the case file (a wrong upload is
    superseded by a new version, and stays on record)."""
    raise PermissionDenied(_("Case documents are never deleted. Upload a new version instead."))


def document_open(
    *,
    actor: AnyUser,
    document_id: int,
    application: Application | None = None,
    number: int | None = None,
    via: str = "admin",
) -> tuple[CaseDocumentVersion, IO[bytes]]:
    """The one way a document's bytes are read: the version (the newest unless ``number``)
    if ``actor`` may read the document, with the file open, after writing the access-log row.

    A document outside the actor's reach is ``CaseDocument.DoesNotExist`` (a 404, as for one
    that does not exist: nothing learned); a version whose file was erased likewise.
    """
    documents = CaseDocument.objects.all()
    if application is not None:
        documents = documents.filter(application=application)
    document = permissions.documents_visible_to(actor, documents).get(pk=document_id)
    versions = document.versions.filter(erased_at=None).exclude(file="")
    version = (versions.filter(number=number) if number else versions.order_by("-number")).first()
    if version is None:
        raise CaseDocument.DoesNotExist
    handle = version.file.open("rb")
    access_log(
        user=actor,
        action=AccessLog.Action.DOWNLOAD,
        objects=[document],
        query=f"version {version.number}",
        via=via,
    )
    return version, handle
