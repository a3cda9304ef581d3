"""Case documents: judged by their bytes, size-limited, stored privately, versions kept,
served only with a permission check and an access-log row, never deleted, erased with the
person."""

from __future__ import annotations

import os
import socket
import struct
import threading

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.casefile import services
from casework.casefile.files import NOT_SCANNED, virus_scan
from casework.casefile.models import CaseDocument, CaseDocumentVersion
from casework.core.exceptions import TransitionInvalid
from casework.models import AccessLog, AuditEvent
from tests.casefile.conftest import JPEG, PDF, PNG, TEXT

pytestmark = pytest.mark.django_db


def upload(name: str, content: bytes, content_type: str = "application/pdf"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def add(actor, case, file, **fields):
    return services.document_add(
        actor=actor,
        application=case,
        file=file,
        kind=fields.pop("kind", "medical_report"),
        source=fields.pop("source", "Oslo University Hospital"),
        language=fields.pop("language", "prs"),
        **fields,
    )


def stored_files(media) -> list[str]:
    root = media / "case-documents"
    return sorted(os.listdir(root)) if root.exists() else []


def test_a_pdf_is_added_with_its_details_and_a_first_version(caseworker, case, media):
    document = add(caseworker, case, upload("report.pdf", PDF), translated=True, title="X-ray")
    version = document.versions.get()
    assert (document.kind, document.language, document.translated, document.version) == (
        "medical_report",
        "prs",
        True,
        1,
    )
    assert (version.number, version.content_type, version.size) == (1, "application/pdf", len(PDF))
    assert version.file.read() == PDF
    assert version.file.path.startswith(str(media))
    assert "report" not in version.file.name  # a random name: an uploaded name may be personal
    assert (version.scan_status, version.scan_detail) == ("not_scanned", NOT_SCANNED)
    event = AuditEvent.objects.get(action="document_added")
    assert event.changes["subject"] == f"casework.casedocument:{document.pk}"


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("statement.pdf", TEXT, "application/pdf"),  # text claiming to be a PDF
        ("photo.pdf", PNG, "application/pdf"),  # a PNG sent as a PDF
        ("photo.png", PNG, "application/pdf"),  # declared PDF, content PNG
        ("scan.png", PDF, "image/png"),  # a PDF sent as a PNG
        ("scan.jpg", PNG, "image/jpeg"),
        ("tool.exe", b"MZ\x90\x00" + b"\x00" * 60, "application/octet-stream"),
        ("empty.pdf", b"", "application/pdf"),
    ],
    ids=[
        "text-as-pdf",
        "png-named-pdf",
        "png-declared-pdf",
        "pdf-as-png",
        "png-as-jpeg",
        "exe",
        "empty",
    ],
)
def test_a_forged_or_foreign_file_is_refused_and_nothing_is_stored(
    name, content, content_type, caseworker, case, media
):
    with pytest.raises(TransitionInvalid) as refused:
        add(caseworker, case, upload(name, content, content_type))
    assert "file" in refused.value.message_dict
    assert not CaseDocument.objects.exists()
    assert stored_files(media) == []


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [
        ("scan.pdf", PDF, "application/pdf"),
        ("photo.jpeg", JPEG, "image/jpeg"),
        ("photo.png", PNG, "image/png"),
        ("upload", PDF, "application/octet-stream"),  # a client that does not say
    ],
)
def test_honest_files_are_accepted(name, content, content_type, caseworker, case, media):
    document = add(caseworker, case, upload(name, content, content_type))
    assert document.versions.get().file.read() == content


def test_a_file_over_the_limit_is_refused(caseworker, case, media, settings):
    settings.CASE_DOCUMENT_MAX_BYTES = 40
    with pytest.raises(TransitionInvalid, match="too large"):
        add(caseworker, case, upload("big.pdf", PDF))
    assert stored_files(media) == []


def test_a_new_upload_is_a_new_version_and_the_old_one_stays(caseworker, case, media):
    document = add(caseworker, case, upload("v1.pdf", PDF))
    services.document_add_version(
        actor=caseworker,
        document=document,
        file=upload("v2.png", PNG, "image/png"),
        expected_version=1,
    )
    document.refresh_from_db()
    assert document.version == 2
    versions = {v.number: v for v in document.versions.all()}
    assert versions[1].file.read() == PDF and versions[2].file.read() == PNG
    assert len(stored_files(media)) == 2


def test_documents_are_never_deleted(caseworker, case, media):
    document = add(caseworker, case, upload("v1.pdf", PDF))
    with pytest.raises(PermissionDenied):
        services.document_delete(actor=caseworker, document=document)
    with pytest.raises(RuntimeError):
        document.delete()
    assert CaseDocument.objects.filter(pk=document.pk).exists()


def test_a_staff_download_is_logged_in_the_access_log(client, caseworker, case, media):
    document = add(caseworker, case, upload("v1.pdf", PDF))
    client.force_login(caseworker)
    url = reverse("admin:casework_application_document_download", args=[case.pk, document.pk])
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    row = AccessLog.objects.get(action="download")
    assert (row.user, row.model, row.object_id, row.via, row.query) == (
        caseworker,
        "casework.casedocument",
        document.pk,
        "admin",
        "version 1",
    )


@pytest.mark.parametrize("role", ["outsider", "reception", "integration", "registrar"])
def test_others_never_get_the_file(role, role_users, client, caseworker, case, media):
    document = add(caseworker, case, upload("v1.pdf", PDF))
    client.force_login(role_users[role])
    url = reverse("admin:casework_application_document_download", args=[case.pk, document.pk])
    response = client.get(url)
    assert response.status_code in (403, 404)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    assert PDF not in body and b"%PDF" not in body
    assert not AccessLog.objects.filter(action="download").exists()


def test_a_document_of_another_case_is_not_served_through_this_one(
    client, caseworker, case, media, unit
):
    from tests.factories import ApplicationFactory

    document = add(caseworker, case, upload("v1.pdf", PDF))
    other = ApplicationFactory(unit=unit)
    client.force_login(caseworker)
    url = reverse("admin:casework_application_document_download", args=[other.pk, document.pk])
    assert client.get(url).status_code == 404


def test_uploading_in_the_admin_and_the_case_page_lists_it(client, caseworker, case, media):
    client.force_login(caseworker)
    url = reverse("admin:casework_application_document_upload", args=[case.pk])
    response = client.post(
        url,
        {
            "file": upload("letter.pdf", PDF),
            "kind": "lawyer_submission",
            "title": "Submission on credibility",
            "source": "Advokat Berg",
            "received_on": "2026-11-30",
            "language": "nor",
            "visibility": "lawyer",
        },
    )
    assert response.status_code == 302
    document = CaseDocument.objects.get()
    page = client.get(reverse("admin:casework_application_change", args=[case.pk])).content.decode()
    assert "Submission on credibility" in page
    assert (
        reverse("admin:casework_application_document_download", args=[case.pk, document.pk]) in page
    )
    assert "not scanned: no virus scanner installed" in page
    assert document.versions.get().file.name not in page  # the storage path is never shown


def test_a_forged_upload_in_the_admin_is_refused_with_a_message(client, caseworker, case, media):
    client.force_login(caseworker)
    url = reverse("admin:casework_application_document_upload", args=[case.pk])
    response = client.post(
        url,
        {
            "file": upload("passport.pdf", TEXT),
            "kind": "identity_paper",
            "source": "applicant",
            "received_on": "2026-11-30",
            "language": "prs",
            "visibility": "internal",
        },
        follow=True,
    )
    assert "The document was not added" in response.content.decode()
    assert not CaseDocument.objects.exists()


def test_a_new_version_through_the_admin(client, caseworker, case, media):
    document = add(caseworker, case, upload("v1.pdf", PDF))
    client.force_login(caseworker)
    url = reverse("admin:casework_application_document_version", args=[case.pk, document.pk])
    page = client.get(url).content.decode()
    assert 'enctype="multipart/form-data"' in page
    response = client.post(url, {"file": upload("v2.jpg", JPEG, "image/jpeg"), "version": "1"})
    assert response.status_code == 302
    assert CaseDocumentVersion.objects.filter(document=document).count() == 2


class FakeClamd:
    """A Unix socket that answers ``INSTREAM`` as clamd does, with ``answer``."""

    def __init__(self, path: str, answer: bytes) -> None:
        self.received = b""
        self.server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.server.bind(path)
        self.server.listen(1)
        self.answer = answer
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        conn, _ = self.server.accept()
        with conn:
            command = conn.recv(10)
            assert command == b"zINSTREAM\0"
            while True:
                size = struct.unpack("!L", conn.recv(4))[0]
                if size == 0:
                    break
                while size:
                    part = conn.recv(size)
                    self.received += part
                    size -= len(part)
            conn.sendall(self.answer)
        self.server.close()


def test_the_clamd_hook_refuses_an_infected_file(caseworker, case, media, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "clamd.ctl")
    clamd = FakeClamd(settings.CLAMD_SOCKET, b"stream: Eicar-Test-Signature FOUND\0")
    with pytest.raises(TransitionInvalid, match="virus"):
        add(caseworker, case, upload("v1.pdf", PDF))
    clamd.thread.join(5)
    assert clamd.received == PDF
    assert not CaseDocument.objects.exists() and stored_files(media) == []


def test_the_clamd_hook_marks_a_clean_file_scanned(caseworker, case, media, settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "clamd.ctl")
    FakeClamd(settings.CLAMD_SOCKET, b"stream: OK\0")
    version = add(caseworker, case, upload("v1.pdf", PDF)).versions.get()
    assert (version.scan_status, version.scan_detail) == ("clean", "clamd: OK")


def test_without_clamd_the_scan_is_reported_as_skipped(settings, tmp_path):
    settings.CLAMD_SOCKET = str(tmp_path / "absent.ctl")
    result = virus_scan(upload("v1.pdf", PDF))
    assert (result.scanned, result.infected, result.detail) == (False, False, NOT_SCANNED)
