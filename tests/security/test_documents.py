"""Identity-document scans: checked by content and size, stored privately, served with a check."""

from __future__ import annotations

import os

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from casework.admin.documents import IdentityDocumentForm
from casework.models import AccessLog, AuditEvent, IdentityDocument
from casework.people.services import identity_document_remove, identity_document_update
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n"
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 64


def upload(person, name: str, content: bytes) -> IdentityDocumentForm:
    form = IdentityDocumentForm(
        data={"kind": "passport", "number": "P1234567", "issuing_country": "AF"},
        files={"scan": SimpleUploadedFile(name, content)},
        instance=IdentityDocument(person=person),
    )
    return form


def test_a_file_is_judged_by_its_bytes_not_its_name(world, media):
    disguised = upload(world.p_here, "passport.pdf", EXE)
    assert not disguised.is_valid()
    assert "Only PDF, JPEG or PNG" in str(disguised.errors["scan"])
    honest = upload(world.p_here, "scan.bin", PDF)
    assert honest.is_valid(), honest.errors


def test_a_file_over_the_size_limit_is_refused(world, media, settings):
    settings.DOCUMENT_MAX_BYTES = 50
    form = upload(world.p_here, "big.png", PNG)
    assert not form.is_valid()
    assert "too large" in str(form.errors["scan"])


def test_a_scan_is_stored_outside_the_web_root_under_a_random_name(world, media, settings):
    form = upload(world.p_here, "Amina_Rahimi_passport.png", PNG)
    assert form.is_valid(), form.errors
    document = form.save()
    path = document.scan.path
    assert path.startswith(str(media))
    assert "Amina" not in document.scan.name and "Rahimi" not in document.scan.name
    assert not str(media).startswith(str(settings.STATIC_ROOT))


@pytest.fixture
def scanned(world, media):
    form = upload(world.p_here, "passport.png", PNG)
    assert form.is_valid()
    return form.save()


def test_a_user_in_scope_downloads_it_and_it_is_logged(client, caseworker, scanned):
    client.force_login(caseworker)
    response = client.get(reverse("casework-document-scan", args=[scanned.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PNG
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    row = AccessLog.objects.get()
    assert (row.action, row.model, row.object_id) == (
        "download",
        "casework.identitydocument",
        scanned.pk,
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [("outsider", 404), ("appeals", 403), ("reception", 403), ("integration", 403)],
)
def test_others_never_get_the_file(role, status, client, role_users, scanned):
    client.force_login(role_users[role])
    response = client.get(reverse("casework-document-scan", args=[scanned.pk]))
    assert response.status_code == status
    assert PNG not in response.content
    assert not AccessLog.objects.filter(action="download").exists()


def test_anonymous_users_are_sent_to_sign_in(client, scanned):
    response = client.get(reverse("casework-document-scan", args=[scanned.pk]))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_no_url_serves_the_private_directory(client, caseworker, scanned):
    client.force_login(caseworker)
    for prefix in ("/media/", "/private/", "/static/", "/"):
        assert client.get(prefix + scanned.scan.name).status_code == 404


def test_the_person_page_links_to_the_checked_download(client, caseworker, scanned, world):
    client.force_login(caseworker)
    page = client.get(reverse("admin:casework_person_change", args=[world.p_here.pk]))
    html = page.content.decode()
    assert reverse("casework-document-scan", args=[scanned.pk]) in html
    assert scanned.scan.name not in html  # the storage path is never shown


def _form_data(response) -> dict:
    """Everything the admin change page would post back unchanged: main form and inlines."""
    data: dict = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        management = formset.management_form
        for name in management.fields:
            data[management.add_prefix(name)] = management[name].value()
        forms += list(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or name == "scan":
                continue
            if isinstance(value, bool):
                if value:
                    data[form.add_prefix(name)] = "on"
            elif isinstance(value, list | tuple):
                data[form.add_prefix(name)] = [str(v) for v in value]
            else:
                data[form.add_prefix(name)] = str(value)
    return {k: v for k, v in data.items() if v != ""}


@pytest.mark.parametrize(
    ("content", "accepted"), [(PNG, True), (EXE, False)], ids=["png", "disguised-exe"]
)
def test_uploading_a_scan_through_the_person_page(
    content, accepted, client, caseworker, world, media
):
    client.force_login(caseworker)
    url = reverse("admin:casework_person_change", args=[world.p_here.pk])
    data = _form_data(client.get(url))
    data.update(
        {
            "documents-TOTAL_FORMS": "1",
            "documents-0-kind": "passport",
            "documents-0-number": "P7654321",
            "documents-0-person": str(world.p_here.pk),
            "documents-0-scan": SimpleUploadedFile("scan.pdf", content),
        }
    )
    response = client.post(url, data)
    if accepted:
        assert response.status_code == 302, response.context and [
            f.errors for f in response.context["inline_admin_formsets"][0].formset.forms
        ]
        document = IdentityDocument.objects.get(person=world.p_here)
        assert document.scan.read() == PNG
    else:
        assert response.status_code == 200
        assert "Only PDF, JPEG or PNG" in response.content.decode()
        assert not IdentityDocument.objects.exists()


def test_removing_a_document_deletes_its_scan_once_committed(
    django_capture_on_commit_callbacks,
    scanned,
    world,
):
    root = UserFactory(username="root", is_superuser=True)
    path = scanned.scan.path
    with django_capture_on_commit_callbacks(execute=True):
        identity_document_remove(actor=root, document=scanned)
    assert not IdentityDocument.objects.filter(pk=scanned.pk).exists()
    assert not os.path.exists(path)
    event = AuditEvent.objects.get(action="identity_document_removed")
    assert (event.person_id, event.changes) == (
        world.p_here.pk,
        {
            "subject": f"casework.identitydocument:{scanned.pk}",
            "fields": {
                "kind": ["passport", None],
                "number": ["P1234567", None],
                "issuing_country": ["AF", None],
                "verified": [False, None],
                "verified_at": [None, None],
                "scan": [True, None],
            },
        },
    )


def test_a_caseworker_records_documents_but_does_not_remove_them(caseworker, scanned, world):
    identity_document_update(actor=caseworker, document=scanned, verified=True)
    assert AuditEvent.objects.filter(action="identity_document_changed").count() == 1
    with pytest.raises(PermissionDenied):
        identity_document_remove(actor=caseworker, document=scanned)
    assert IdentityDocument.objects.filter(pk=scanned.pk).exists()
    assert not AuditEvent.objects.filter(action="identity_document_removed").exists()
