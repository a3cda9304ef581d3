"""The case file in the applicant's data export and anonymisation: the words and the bytes go
(from the disk and from every table), the rows stay."""

from __future__ import annotations

import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from casework.casefile import services
from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.models import Person
from casework.privacy import retention
from tests.casefile.conftest import PDF, PNG
from tests.security.test_erasure import scan_every_table

pytestmark = pytest.mark.django_db

WORDS = {
    "note": "NOTE-MARZIPAN-HERON",
    "old_note": "OLDNOTE-PUMICE",
    "reason": "REASON-CORAL",
    "title": "TITLE-OBOE",
    "source": "SOURCE-KESTREL",
}


@pytest.fixture
def filed(caseworker, case, media):
    note = services.note_add(actor=caseworker, application=case, text=WORDS["old_note"])
    services.note_correct(actor=caseworker, note=note, text=WORDS["note"], reason=WORDS["reason"])
    document = services.document_add(
        actor=caseworker,
        application=case,
        file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        kind="evidence",
        source=WORDS["source"],
        title=WORDS["title"],
        language="ara",
    )
    services.document_add_version(
        actor=caseworker,
        document=document,
        file=SimpleUploadedFile("b.png", PNG, content_type="image/png"),
    )
    return case


def test_the_export_holds_the_notes_their_versions_and_the_documents(filed, caseworker):
    data = retention.person_export(actor=caseworker, person=filed.person)
    assert [row["text"] for row in data["case_notes"]] == [WORDS["note"]]
    assert {row["text"] for row in data["case_note_versions"]} == {WORDS["note"], WORDS["old_note"]}
    assert data["case_documents"][0]["source"] == WORDS["source"]
    assert sorted(row["number"] for row in data["case_document_versions"]) == [1, 2]
    assert all("file" not in row for row in data["case_document_versions"])


def test_anonymisation_removes_the_bytes_and_the_words_and_keeps_the_rows(filed, media):
    paths = [v.file.path for v in CaseDocumentVersion.objects.all()]
    assert all(os.path.exists(p) for p in paths) and len(paths) == 2
    retention.people_anonymise(people=Person.objects.filter(pk=filed.person_id))
    assert not any(os.path.exists(p) for p in paths)
    assert os.listdir(media / "case-documents") == []
    _tables, _columns, hits = scan_every_table(WORDS)
    assert hits == []
    # never deleted: the rows stay, without words or files
    assert CaseNote.objects.count() == 1 and CaseNoteVersion.objects.count() == 2
    assert CaseDocument.objects.get().kind == "evidence"
    assert set(CaseDocumentVersion.objects.values_list("file", "sha256")) == {("", "")}
    assert all(v.erased_at for v in CaseDocumentVersion.objects.all())
