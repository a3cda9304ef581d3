"""Retention, subject access and erasure: identities go, statistics stay."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from casework.models import AccessLog, Application, AuditEvent, Decision, IdentityDocument, Person
from casework.privacy import retention as privacy
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = timezone.now()
LONG_AGO = NOW - dt.timedelta(days=365 * 12)
RECENTLY = NOW - dt.timedelta(days=365)


def closed_case(state: str, decided_at: dt.datetime, outcome: str, nationality: str, born: str):
    person = PersonFactory(
        nationality=nationality,
        date_of_birth=dt.date.fromisoformat(born),
        phone="+47 400 00 000",
        health_needs="insulin",
    )
    app = ApplicationFactory(person=person, state=state, decided_at=decided_at)
    DecisionFactory(application=app, outcome=outcome, decided_at=decided_at, grounds="PRIVATE")
    return person


@pytest.fixture
def register(media):
    """A mix: due (withdrawn and rejected long ago), not due (recent, granted, open)."""
    due = [
        closed_case("withdrawn", LONG_AGO, "withdrawn", "SY", "1990-05-17"),
        closed_case("rejected", LONG_AGO, "rejected", "AF", "1985-11-30"),
        closed_case("rejected", LONG_AGO, "dublin", "SY", "2001-02-03"),
    ]
    kept = [
        closed_case("rejected", RECENTLY, "rejected", "ER", "1999-09-09"),
        closed_case("accepted", LONG_AGO, "refugee_convention", "SY", "1970-01-15"),
    ]
    open_case = PersonFactory(nationality="AF")
    ApplicationFactory(person=open_case)  # submitted
    # One due person also has a document scan and a field-history row.
    scan = IdentityDocument.objects.create(
        person=due[0], kind="passport", number="N0001", scan=SimpleUploadedFile("a.png", b"x")
    )
    due[0].given_name = "Renamed"
    due[0].save()  # a simple-history row with a name in it
    return {"due": due, "kept": [*kept, open_case], "scan_path": scan.scan.path}


def statistics() -> dict:
    """The figures the statistics pages compute: by nationality, outcome, year, birth year."""
    people = Person.objects.all()
    decisions = Decision.objects.select_related("application__person")
    return {
        "people_by_nationality": Counter(str(p.nationality) for p in people),
        "people_by_birth_year": Counter(p.date_of_birth.year for p in people),
        "people_by_sex": Counter(p.sex for p in people),
        "applications_by_state": Counter(Application.objects.values_list("state", flat=True)),
        "decisions_by_outcome_and_year": Counter(
            (d.outcome, d.decided_at.year, str(d.application.person.nationality)) for d in decisions
        ),
    }


def test_anonymisation_keeps_every_statistic(register):
    import os

    before = statistics()
    assert privacy.anonymise_due(now=NOW) == 3
    assert statistics() == before
    for person in register["due"]:
        person.refresh_from_db()
        assert person.given_name == person.family_name == "anonymised"
        assert (person.email, person.phone, person.health_needs) == ("", "", "")
        assert person.date_of_birth.month == 1 and person.date_of_birth.day == 1
        assert person.dob_precision == "year"
        assert person.registration_number.startswith("A")
        assert person.anonymised_at is not None
        assert not Person.history.filter(id=person.pk).exists()
        assert not Decision.objects.filter(application__person=person, grounds="PRIVATE").exists()
    assert not IdentityDocument.objects.filter(person__in=register["due"]).exists()
    assert not os.path.exists(register["scan_path"])
    for person in register["kept"]:
        person.refresh_from_db()
        assert person.anonymised_at is None and person.given_name != "anonymised"
    assert privacy.anonymise_due(now=NOW) == 0  # idempotent


def test_the_command_and_the_periodic_task(register):
    from io import StringIO

    from casework.privacy.tasks import anonymise_due
    from config.celery import _beat_schedule

    out = StringIO()
    call_command("anonymise_due", "--dry-run", stdout=out)
    assert "3 people are due" in out.getvalue()
    assert Person.objects.filter(anonymised_at__isnull=False).count() == 0
    assert anonymise_due.run() == 3
    schedule = _beat_schedule()["anonymise-due-people"]
    assert schedule["task"] == "casework.tasks.anonymise_due"


def test_anonymisation_is_a_handful_of_queries_whatever_the_number(
    register, django_assert_max_num_queries
):
    for _ in range(20):
        closed_case("withdrawn", LONG_AGO, "withdrawn", "UA", "1980-01-01")
    from casework.privacy.registry import registered

    # A few statements per model that holds personal data, however many people are due.
    with django_assert_max_num_queries(2 * len(list(registered())) + 6):
        assert privacy.anonymise_due(now=NOW) == 23


# --- subject access -------------------------------------------------------------------------


def test_subject_access_export_holds_everything_and_is_logged(client, caseworker, world):
    client.force_login(caseworker)
    client.get(reverse("admin:casework_person_change", args=[world.p_here.pk]))
    response = client.post(
        reverse("admin:casework_person_changelist"),
        {"action": "export_subject_access", ACTION_CHECKBOX_NAME: [world.p_here.pk]},
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    data = json.loads(response.content)
    assert data["person"]["given_name"] == "Amina"
    assert [a["reference"] for a in data["applications"]] == [world.app_here.reference]
    assert any(e["reason"] == "GROUNDS-HERE persecution" for e in data["events"])
    assert data["accessed_by"][0]["action"] == "view"  # they learn who looked
    export = AccessLog.objects.get(action="export")
    assert (export.user, export.object_ids) == (caseworker, [world.p_here.pk])


def test_no_export_outside_scope_or_role(client, role_users, world):
    for role in ("outsider", "reception"):
        client.force_login(role_users[role])
        response = client.post(
            reverse("admin:casework_person_changelist"),
            {"action": "export_subject_access", ACTION_CHECKBOX_NAME: [world.p_here.pk]},
        )
        assert response.status_code in (200, 302, 403)
        assert b"Amina" not in response.content
    assert not AccessLog.objects.filter(action="export").exists()


# --- erasure --------------------------------------------------------------------------------


@pytest.fixture
def dpo(db):
    from tests.factories import UserFactory

    return UserFactory(username="dpo", is_superuser=True)


def test_erasure_is_refused_while_a_case_is_open(dpo, world):
    with pytest.raises(ValidationError, match="still open"):
        privacy.person_erase(actor=dpo, person=world.p_here, reason="Art. 17 request")
    world.p_here.refresh_from_db()
    assert world.p_here.given_name == "Amina" and world.p_here.anonymised_at is None
    assert not AuditEvent.objects.filter(action="person_erased").exists()


def test_erasure_of_a_closed_case_is_audited(dpo, world, caseworker):
    Application.objects.filter(pk=world.app_here.pk).update(state=State.WITHDRAWN)
    with pytest.raises(PermissionDenied):
        privacy.person_erase(actor=caseworker, person=world.p_here, reason="x")
    with pytest.raises(ValidationError):
        privacy.person_erase(actor=dpo, person=world.p_here, reason="  ")
    person = privacy.person_erase(actor=dpo, person=world.p_here, reason="Art. 17 request #12")
    assert person.given_name == "anonymised"
    event = AuditEvent.objects.get(action="person_erased")
    assert (event.actor, event.person_id, event.reason) == (dpo, person.pk, "Art. 17 request #12")


def test_the_admin_erase_action_says_why_it_refuses(client, dpo, world):
    client.force_login(dpo)
    response = client.post(
        reverse("admin:casework_person_changelist"),
        {
            "action": "erase_personal_data",
            ACTION_CHECKBOX_NAME: [world.p_here.pk],
            "apply": "1",
            "reason": "Art. 17 request",
        },
        follow=True,
    )
    assert "still open" in response.content.decode()
    world.p_here.refresh_from_db()
    assert world.p_here.anonymised_at is None
