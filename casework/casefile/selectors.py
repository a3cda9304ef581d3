"""Reads of the case file, already cut to what the user may see (``permissions``)."""

from __future__ import annotations

from typing import Any

from django.db.models import Prefetch, QuerySet

from casework.casefile import permissions
from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.staff.users import AnyUser


def case_notes(
    *, user: AnyUser, application: Any, search: str = "", visibility: str = ""
) -> QuerySet[CaseNote]:
    """The notes of a case ``user`` may read, newest first, each with its versions (every
    text it had) and their writers: searched in the text as it reads now and in every
    earlier version, and filtered by visibility."""
    notes = CaseNote.objects.filter(application=application)
    search = " ".join((search or "").split())
    if search:
        in_versions = CaseNoteVersion.objects.filter(text__icontains=search).values("note_id")
        notes = notes.filter(pk__in=in_versions)
    if visibility:
        notes = notes.filter(visibility=visibility)
    versions = CaseNoteVersion.objects.select_related("written_by").order_by("-number")
    return (
        permissions.notes_visible_to(user, notes)
        .select_related("author")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-created_at", "-id")
    )


def case_documents(*, user: AnyUser, application: Any) -> QuerySet[CaseDocument]:
    """The documents of a case ``user`` may read, newest received first, with their versions."""
    versions = CaseDocumentVersion.objects.select_related("uploaded_by").order_by("-number")
    return (
        permissions.documents_visible_to(user, CaseDocument.objects.filter(application=application))
        .select_related("created_by")
        .prefetch_related(Prefetch("versions", queryset=versions))
        .order_by("-received_on", "-id")
    )


def case_notes_page(
    *, user: AnyUser, application: Any, search: str = "", visibility: str = ""
) -> list[CaseNote]:
    """``case_notes`` in one query for the case page: read from the versions' side, each
    note once with its versions in ``note.history`` (newest first)."""
    notes = case_notes(user=user, application=application, search=search, visibility=visibility)
    rows = (
        CaseNoteVersion.objects.filter(note__in=notes.prefetch_related(None).values("pk"))
        .select_related("note", "note__author", "written_by")
        .order_by("-note__created_at", "-note_id", "-number")
    )
    found: dict[int, CaseNote] = {}
    for version in rows:
        note = found.setdefault(version.note_id, version.note)
        note.__dict__.setdefault("history", []).append(version)
    return list(found.values())


def case_documents_page(*, user: AnyUser, application: Any) -> list[CaseDocument]:
    """``case_documents`` in one query for the case page: each document once, its versions
    in ``document.history`` (newest first)."""
    documents = case_documents(user=user, application=application)
    rows = (
        CaseDocumentVersion.objects.filter(
            document__in=documents.prefetch_related(None).values("pk")
        )
        .select_related("document", "document__created_by", "uploaded_by")
        .order_by("-document__received_on", "-document_id", "-number")
    )
    found: dict[int, CaseDocument] = {}
    for version in rows:
        document = found.setdefault(version.document_id, version.document)
        document.__dict__.setdefault("history", []).append(version)
    return list(found.values())
