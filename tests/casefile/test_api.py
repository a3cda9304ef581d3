"""The case file over the API: notes (list, create, correct; no DELETE) and documents (list,
multipart upload, versions, download), under the API's conventions and the roles' scopes."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from casework.casefile import services
from casework.casefile.models import CaseDocument, CaseNote
from casework.models import AccessLog
from tests.casefile.conftest import PDF, PNG, TEXT
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def notes_url(case) -> str:
    return f"/api/v1/applications/{case.pk}/notes/"


def documents_url(case) -> str:
    return f"/api/v1/applications/{case.pk}/documents/"


def test_a_caseworker_writes_lists_and_corrects_a_note(caseworker, case):
    client = api(caseworker)
    created = client.post(
        notes_url(case),
        {"text": "Applicant fears return.", "visibility": "lawyer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-1",
    )
    assert created.status_code == 201, created.data
    assert created["ETag"] == '"1"'
    note_id = created.data["id"]
    replay = client.post(
        notes_url(case),
        {"text": "Applicant fears return.", "visibility": "lawyer"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="note-1",
    )
    assert replay["Idempotent-Replayed"] == "true" and CaseNote.objects.count() == 1
    stale = client.post(
        f"{notes_url(case)}{note_id}/corrections/",
        {"text": "x"},
        format="json",
        HTTP_IF_MATCH='"7"',
    )
    assert stale.status_code == 412
    corrected = client.post(
        f"{notes_url(case)}{note_id}/corrections/",
        {"text": "Applicant fears return to Herat.", "reason": "place added"},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert corrected.status_code == 200, corrected.data
    assert corrected["ETag"] == '"2"'
    assert corrected.data["text"] == "Applicant fears return to Herat."
    assert [(v["number"], v["text"]) for v in corrected.data["versions"]] == [
        (2, "Applicant fears return to Herat."),
        (1, "Applicant fears return."),
    ]
    listed = client.get(notes_url(case), {"search": "herat"})
    assert [n["id"] for n in listed.data["results"]] == [note_id]
    assert AccessLog.objects.filter(model="casework.casenote", user=caseworker, via="api").exists()


def test_delete_is_refused_and_the_note_stays(caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="keep")
    client = api(caseworker)
    # No role holds a permission to delete (403 before anything is looked up); no route has
    # a DELETE either.
    assert client.delete(f"{notes_url(case)}{note.pk}/").status_code in (403, 405)
    assert client.delete(notes_url(case)).status_code in (403, 405)
    root = api(UserFactory(username="root", is_superuser=True))
    assert root.delete(f"{notes_url(case)}{note.pk}/").status_code in (403, 405)
    assert CaseNote.objects.filter(pk=note.pk, text="keep").exists()


@pytest.mark.parametrize(
    ("role", "status"),
    [("outsider", 404), ("reception", 403), ("integration", 403), ("registrar", 403)],
)
def test_roles_without_the_case_file_are_refused(role, status, role_users, caseworker, case, media):
    services.note_add(actor=caseworker, application=case, text="secret words")
    services.document_add(
        actor=caseworker,
        application=case,
        file=SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf"),
        kind="evidence",
        source="applicant",
        language="prs",
    )
    document = CaseDocument.objects.get()
    client = api(role_users[role])
    for url in (
        notes_url(case),
        documents_url(case),
        f"{documents_url(case)}{document.pk}/download/",
    ):
        response = client.get(url)
        assert response.status_code == status, url
        body = b"".join(response.streaming_content) if response.streaming else response.content
        assert b"secret words" not in body and b"%PDF" not in body
    posted = client.post(notes_url(case), {"text": "x"}, format="json")
    assert posted.status_code == status
    assert CaseNote.objects.count() == 1
    assert not AccessLog.objects.filter(action="download").exists()


def test_upload_multipart_and_download_with_versions(caseworker, case, media):
    client = api(caseworker)
    created = client.post(
        documents_url(case),
        {
            "file": SimpleUploadedFile("report.pdf", PDF, content_type="application/pdf"),
            "kind": "medical_report",
            "source": "Oslo University Hospital",
            "language": "tir",
            "received_on": "2026-11-30",
            "translated": "true",
        },
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="upload-1",
    )
    assert created.status_code == 201, created.data
    document_id = created.data["id"]
    assert created.data["versions"][0]["scan_status"] == "not_scanned"
    assert created.data["versions"][0]["scan_detail"] == "not scanned: no virus scanner installed"
    second = client.post(
        f"{documents_url(case)}{document_id}/versions/",
        {"file": SimpleUploadedFile("photo.png", PNG, content_type="image/png")},
        format="multipart",
        HTTP_IF_MATCH='"1"',
    )
    assert second.status_code == 201, second.data
    assert [v["number"] for v in second.data["versions"]] == [2, 1]
    newest = client.get(f"{documents_url(case)}{document_id}/download/")
    assert newest["Content-Type"] == "image/png"
    assert b"".join(newest.streaming_content) == PNG
    first = client.get(second.data["versions"][1]["download"])
    assert first["Content-Type"] == "application/pdf"
    assert b"".join(first.streaming_content) == PDF
    downloads = AccessLog.objects.filter(action="download", via="api", user=caseworker)
    assert list(downloads.values_list("query", flat=True).order_by("id")) == [
        "version 2",
        "version 1",
    ]


def test_a_forged_upload_is_refused_over_the_api(caseworker, case, media):
    response = api(caseworker).post(
        documents_url(case),
        {
            "file": SimpleUploadedFile("passport.pdf", TEXT, content_type="application/pdf"),
            "kind": "identity_paper",
            "source": "applicant",
            "language": "prs",
        },
        format="multipart",
    )
    assert response.status_code == 400
    assert "file" in response.data
    assert not CaseDocument.objects.exists()


def test_a_large_upload_with_an_idempotency_key(caseworker, case, media, settings):
    big = PDF + b"0" * 3_000_000  # over Django's in-memory body limit (2.5 MB)
    settings.CASE_DOCUMENT_MAX_BYTES = 5_000_000
    settings.API_MAX_UPLOAD_BYTES = 6_000_000
    response = api(caseworker).post(
        documents_url(case),
        {
            "file": SimpleUploadedFile("big.pdf", big, content_type="application/pdf"),
            "kind": "evidence",
            "source": "applicant",
            "language": "ara",
        },
        format="multipart",
        HTTP_IDEMPOTENCY_KEY="big-1",
    )
    assert response.status_code == 201, response.content[:300]
    assert response.data["versions"][0]["size"] == len(big)


def test_the_appeals_body_reads_the_file_of_an_appealed_case_only(appeals, caseworker, case, media):
    services.note_add(actor=caseworker, application=case, text="first instance note")
    assert api(appeals).get(notes_url(case)).status_code == 404
