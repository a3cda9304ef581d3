"""Case notes: written, corrected as new versions with the old text kept, never deleted."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse

from casework.casefile import services
from casework.casefile.choices import Visibility
from casework.casefile.models import CaseNote, CaseNoteVersion
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import AuditEvent

pytestmark = pytest.mark.django_db


def notes_panel(response) -> str:
    """The notes panel of a case page (the timeline below repeats notes too)."""
    html = response.content.decode()
    start = html.index('id="case-notes"')
    return html[start : html.index("</section>", start)]


def test_a_note_records_author_time_text_and_visibility(caseworker, case):
    note = services.note_add(
        actor=caseworker, application=case, text="Applicant called.", visibility="lawyer"
    )
    note.refresh_from_db()
    assert (note.author, note.text, note.visibility, note.version) == (
        caseworker,
        "Applicant called.",
        Visibility.LAWYER,
        1,
    )
    assert list(note.versions.values_list("number", "text")) == [(1, "Applicant called.")]
    event = AuditEvent.objects.get(action="note_added")
    assert event.application == case
    assert event.changes == {"subject": f"casework.casenote:{note.pk}", "visibility": "lawyer"}
    assert "Applicant called" not in str(event.reason) + str(event.changes)


def test_a_correction_is_a_new_version_and_the_old_text_stays(caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="Born in Herat.")
    services.note_correct(
        actor=caseworker, note=note, text="Born in Kabul.", reason="misheard", expected_version=1
    )
    note.refresh_from_db()
    assert (note.text, note.version) == ("Born in Kabul.", 2)
    assert note.corrected_at is not None
    assert list(note.versions.order_by("number").values_list("number", "text", "reason")) == [
        (1, "Born in Herat.", ""),
        (2, "Born in Kabul.", "misheard"),
    ]
    assert AuditEvent.objects.filter(action="note_corrected", application=case).count() == 1


def test_a_stale_correction_is_a_conflict(caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="first")
    services.note_correct(actor=caseworker, note=note, text="second", expected_version=1)
    with pytest.raises(TransitionConflict):
        services.note_correct(actor=caseworker, note=note, text="third", expected_version=1)
    assert CaseNoteVersion.objects.filter(note=note).count() == 2


def test_only_the_author_corrects_a_note(caseworker, other_caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="mine")
    with pytest.raises(PermissionDenied):
        services.note_correct(actor=other_caseworker, note=note, text="not yours")
    note.refresh_from_db()
    assert note.text == "mine" and note.version == 1


def test_an_empty_note_is_refused(caseworker, case):
    with pytest.raises(TransitionInvalid):
        services.note_add(actor=caseworker, application=case, text="   ")
    assert not CaseNote.objects.exists()


@pytest.mark.parametrize("role", ["outsider", "registrar", "reception", "integration", "auditor"])
def test_roles_without_the_case_file_write_no_notes(role, role_users, case):
    with pytest.raises(PermissionDenied):
        services.note_add(actor=role_users[role], application=case, text="x")
    assert not CaseNote.objects.exists()


def test_the_service_refuses_to_delete_a_note(caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="keep me")
    with pytest.raises(PermissionDenied):
        services.note_delete(actor=caseworker, note=note)
    with pytest.raises(RuntimeError):
        note.delete()
    with pytest.raises(RuntimeError):
        note.versions.get().delete()
    assert CaseNote.objects.filter(pk=note.pk).exists()


@pytest.mark.services("postgres")
def test_the_database_refuses_to_delete_a_note(caseworker, case):
    note = services.note_add(actor=caseworker, application=case, text="keep me")
    for table in ("casework_casenoteversion", "casework_casenote"):
        with (
            pytest.raises(DatabaseError, match="never deleted"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(f"DELETE FROM {table}")  # nosec B608 - fixed table names
    assert CaseNote.objects.filter(pk=note.pk).exists()
    assert CaseNoteVersion.objects.filter(note=note).exists()


def test_the_admin_offers_no_delete_of_a_note(client, caseworker, case):
    from django.contrib import admin

    assert CaseNote not in admin.site._registry  # no admin page, so no delete view
    note = services.note_add(actor=caseworker, application=case, text="keep me")
    client.force_login(caseworker)
    page = client.get(reverse("admin:casework_application_change", args=[case.pk]))
    panel = notes_panel(page)
    assert "keep me" in panel
    assert "delete" not in panel.lower()
    # a made-up delete URL of the case page is nothing
    url = reverse("admin:casework_application_change", args=[case.pk]) + f"notes/{note.pk}/delete/"
    assert client.post(url).status_code in (403, 404)
    assert CaseNote.objects.filter(pk=note.pk).exists()


def test_writing_and_correcting_a_note_in_the_admin(client, caseworker, case):
    client.force_login(caseworker)
    add = reverse("admin:casework_application_note_add", args=[case.pk])
    response = client.post(
        add, {"text": "Asked for a female interpreter.", "visibility": "internal"}
    )
    assert response.status_code == 302
    note = CaseNote.objects.get()
    correct = reverse("admin:casework_application_note_correct", args=[case.pk, note.pk])
    form = client.get(correct)
    assert "Asked for a female interpreter." in form.content.decode()
    response = client.post(
        correct,
        {
            "text": "Asked for a female interpreter (Dari).",
            "reason": "language added",
            "visibility": "lawyer",
            "version": "1",
        },
    )
    assert response.status_code == 302
    page = client.get(reverse("admin:casework_application_change", args=[case.pk])).content.decode()
    assert "Asked for a female interpreter (Dari)." in page
    assert "1 earlier version" in page
    assert "Asked for a female interpreter.</div>" in page  # the old text, shown
    assert "language added" in page
    # the timeline shows both events with the note
    assert "Note written" in page and "Note corrected" in page


def test_notes_are_searched_and_filtered_on_the_case_page(client, caseworker, case):
    services.note_add(actor=caseworker, application=case, text="Passport seen at the border.")
    services.note_add(
        actor=caseworker, application=case, text="Lawyer asked for a copy.", visibility="lawyer"
    )
    old = services.note_add(actor=caseworker, application=case, text="Mentions a scar.")
    services.note_correct(actor=caseworker, note=old, text="Mentions an injury.")
    client.force_login(caseworker)
    url = reverse("admin:casework_application_change", args=[case.pk])
    found = notes_panel(client.get(url, {"notes_q": "passport"}))
    assert "Passport seen" in found and "Lawyer asked" not in found
    lawyer = notes_panel(client.get(url, {"notes_visibility": "lawyer"}))
    assert "Lawyer asked" in lawyer and "Passport seen" not in lawyer
    # an earlier version's words find the note too
    scar = notes_panel(client.get(url, {"notes_q": "scar"}))
    assert "Mentions an injury." in scar and "Passport seen" not in scar


def test_someone_elses_note_has_no_correct_link_and_the_page_refuses(
    client, caseworker, other_caseworker, case
):
    note = services.note_add(actor=caseworker, application=case, text="mine")
    client.force_login(other_caseworker)
    correct = reverse("admin:casework_application_note_correct", args=[case.pk, note.pk])
    page = client.get(reverse("admin:casework_application_change", args=[case.pk]))
    assert correct not in page.content.decode()
    assert client.get(correct).status_code == 403
    assert (
        client.post(correct, {"text": "x", "visibility": "internal", "version": 1}).status_code
        == 403
    )


def test_an_outsider_sees_no_notes_of_a_case_outside_their_unit(client, caseworker, outsider, case):
    services.note_add(actor=caseworker, application=case, text="secret words")
    client.force_login(outsider)
    page = client.get(reverse("admin:casework_application_change", args=[case.pk]), follow=True)
    assert "secret words" not in page.content.decode()
