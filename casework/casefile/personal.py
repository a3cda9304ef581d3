"""The case file as personal data (``casework.privacy.registry``): export and anonymisation.

A note's words and every earlier version of them, a document's description and source, and
each file's bytes belong to the applicant's data: the subject-access export lists them (the
files by id and version, as the identity-document scans), and anonymisation empties the
words and deletes the bytes from the disk. The rows stay (kind, dates, language, visibility,
version numbers): the case file is never deleted, and the statistics keep their counts.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.privacy.registry import register_personal_data


def _erase_files(versions: QuerySet[Any], now: Any) -> None:
    """The bytes go from the disk, then the row forgets the name and the fingerprint."""
    for version in versions.exclude(file=""):
        version.file.storage.delete(version.file.name)
    versions.update(file="", sha256="", scan_detail="", erased_at=now)


def register() -> None:
    register_personal_data(
        CaseNoteVersion,
        owners=("note__application__person",),
        blank=("text", "reason"),
        section="case_note_versions",
    )
    register_personal_data(
        CaseNote, owners=("application__person",), blank=("text",), section="case_notes"
    )
    register_personal_data(
        CaseDocumentVersion,
        owners=("document__application__person",),
        anonymise=_erase_files,
        export_exclude=("file",),
        section="case_document_versions",
    )
    register_personal_data(
        CaseDocument,
        owners=("application__person",),
        blank=("title", "source"),
        section="case_documents",
    )
