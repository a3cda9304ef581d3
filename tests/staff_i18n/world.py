"""Records behind every staff page, for the tests that open all of them: ``rows`` of each of
the tables that grow with the caseload, and one record of every other kind."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from casework.models import Application, AuditEvent, Deadline, Person, Reminder
from casework.people.identity import luhn_digit, name_key
from integration.models import IntroductionProgramme, MunicipalityOfficer
from reception.models import Placement, ReceptionCentre, Settlement
from tests.factories import (
    ApplicationFactory,
    DecisionFactory,
    IdentityDocumentFactory,
    InterviewFactory,
    PersonFactory,
    ReminderFactory,
    UserFactory,
)
from tests.integration.factories import FamilyReunificationFactory, WorkPermitFactory
from tests.reception.factories import (
    CentreStaffFactory,
    MunicipalityQuotaFactory,
    PlacementFactory,
    ReceptionCentreFactory,
    SettlementFactory,
    municipality,
)


def build(rows: int, *, unit=None, caseworker=None) -> dict:
    """``rows`` people, cases, users, placements, settlements, deadlines and reminders (bulk
    inserts), 20 centres, and one record of each other kind; the first case has an
    interview, a decision and a timeline. Not ``rows`` centres: a drop-down of the centres
    (with their free beds) is what placing a person needs, and the authority runs at most a
    few hundred."""
    bergen = municipality("Bergen")
    year = timezone.localdate().year
    people = Person.objects.bulk_create(
        PersonFactory.build(
            # Numbered, not random: a thousand random 7-digit bodies collide one run in twenty.
            registration_number=f"{year:04d}{n:07d}" + luhn_digit(f"{year:04d}{n:07d}"),
            given_name=f"Given{n}",
            family_name=f"Family{n}",
            name_key=name_key(f"Given{n}", f"Family{n}"),
        )
        for n in range(rows)
    )
    cases = Application.objects.bulk_create(
        ApplicationFactory.build(person=person, state="accepted", unit=unit, assigned_to=caseworker)
        for person in people
    )
    UserFactory._meta.model.objects.bulk_create(
        UserFactory.build(username=f"bulk{n}", password="!") for n in range(rows)
    )
    centres = ReceptionCentre.objects.bulk_create(
        ReceptionCentreFactory.build(name=f"Bulk centre {n}", municipality=bergen)
        for n in range(20)
    )
    Placement.objects.bulk_create(
        PlacementFactory.build(person=person, centre=centres[n % len(centres)])
        for n, person in enumerate(people)
    )
    Settlement.objects.bulk_create(
        SettlementFactory.build(application=case, person=case.person, municipality=bergen)
        for case in cases
    )
    now = timezone.now()
    deadlines = Deadline.objects.bulk_create(
        Deadline(
            source="casework.appeal",
            object_id=case.pk,
            application=case,
            due_at=now + dt.timedelta(days=3),
            remind_from=now,
        )
        for case in cases
    )
    Reminder.objects.bulk_create(
        ReminderFactory.build(deadline=deadline, recipient=f"user:{n}")
        for n, deadline in enumerate(deadlines)
    )
    first = cases[0]
    InterviewFactory(application=first, scheduled_at=now - dt.timedelta(days=9), held_at=now)
    DecisionFactory(application=first, outcome="refugee_convention")
    IdentityDocumentFactory(person=first.person)
    AuditEvent.objects.create(
        application=first, action="accept", source_state="examined", target_state="accepted"
    )
    CentreStaffFactory(centre=centres[0], user=UserFactory(username="centre-staff"))
    MunicipalityQuotaFactory(municipality=bergen, year=year)
    permit = WorkPermitFactory()
    family = FamilyReunificationFactory(protection_outcome="refugee_convention")
    settlement = Settlement.objects.order_by("pk").first()
    programme = IntroductionProgramme.objects.create(
        person=settlement.person,
        settlement=settlement,
        municipality=bergen,
        start_on=timezone.localdate(),
        planned_end_on=timezone.localdate() + dt.timedelta(days=730),
    )
    MunicipalityOfficer.objects.create(user=UserFactory(username="officer"), municipality=bergen)
    return {
        "application": first,
        "placement": Placement.objects.order_by("pk").first(),
        "permit": permit,
        "family": family,
        "programme": programme,
    }


def own_pages(world: dict) -> list[tuple[str, list]]:
    """The admin pages of our own that take a record (besides each model's add and change)."""
    app, placement, programme = world["application"], world["placement"], world["programme"]
    return [
        ("admin:casework_application_interview", [app.pk]),
        ("admin:reception_placement_place", []),
        ("admin:reception_placement_transfer", [placement.pk]),
        ("admin:reception_placement_discharge", [placement.pk]),
        ("admin:reception_occupancy", []),
        ("admin:integration_workpermit_create", []),
        ("admin:integration_familyreunification_create", []),
        ("admin:integration_familyreunification_documents", [world["family"].pk]),
        ("admin:integration_introductionprogramme_create", []),
        ("admin:integration_introductionprogramme_element", [programme.pk]),
        ("admin:integration_introductionprogramme_test", [programme.pk]),
        ("my-language", []),
    ]
