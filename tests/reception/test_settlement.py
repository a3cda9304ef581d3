"""Settlement: the target deadline (6 months, 3 for unaccompanied minors), quota, the record."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.models import Deadline
from reception import services
from reception.exceptions import PlacementConflict, QuotaExhausted
from tests.factories import ApplicationFactory, PersonFactory
from tests.reception.factories import MunicipalityQuotaFactory, PlacementFactory, municipality

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")


def accept(app, decider):
    return application_decide(
        actor=decider, application=app, outcome="refugee_convention", grounds="Persecution."
    )


def examined(unit, caseworker, person):
    return ApplicationFactory(
        person=person,
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now(),
    )


@pytest.mark.parametrize(
    ("minor", "due"),
    [
        # granted 29 Feb 2024: 6 months -> by the end of 29 Aug; 3 months -> end of 29 May
        (False, dt.datetime(2024, 8, 30, tzinfo=OSLO)),
        (True, dt.datetime(2024, 5, 30, tzinfo=OSLO)),
    ],
)
def test_accepting_opens_the_settlement_target(unit, caseworker, decider, minor, due):
    dob = dt.date(2008, 5, 5) if minor else dt.date(1990, 5, 5)
    person = PersonFactory(date_of_birth=dob, unaccompanied_minor=minor)
    with time_machine.travel(dt.datetime(2024, 2, 29, 14, 0, tzinfo=OSLO), tick=False):
        app = accept(examined(unit, caseworker, person), decider)
    deadline = Deadline.objects.get(source="reception.settlement_target", object_id=app.pk)
    assert deadline.due_at == due
    assert deadline.application == app and deadline.closed_at is None


def test_rejection_opens_no_settlement_target(unit, caseworker, decider):
    app = examined(unit, caseworker, PersonFactory())
    application_decide(actor=decider, application=app, outcome="rejected", grounds="No risk.")
    assert not Deadline.objects.filter(source="reception.settlement_target").exists()


def test_settlement_closes_target_and_placement_within_quota(
    unit, caseworker, decider, officer, centre
):
    person = PersonFactory()
    placement = PlacementFactory(person=person, centre=centre, start=dt.date(2024, 1, 10))
    app = accept(examined(unit, caseworker, person), decider)
    MunicipalityQuotaFactory(municipality=municipality("Bodø"), year=2024, places=1)
    settlement = services.settlement_record(
        actor=officer,
        application=app,
        municipality=municipality("Bodø"),
        settled_on=dt.date(2024, 4, 2),
    )
    assert settlement.person == person
    placement.refresh_from_db()
    assert (placement.end, placement.discharge_reason) == (dt.date(2024, 4, 2), "settled")
    target = Deadline.objects.get(source="reception.settlement_target", object_id=app.pk)
    assert target.closed_at is not None
    # the quota of one is used: the next person is refused
    other = accept(examined(unit, caseworker, PersonFactory()), decider)
    with pytest.raises(QuotaExhausted, match="settled all 1 people it agreed to for 2024"):
        services.settlement_record(
            actor=officer,
            application=other,
            municipality=municipality("Bodø"),
            settled_on=dt.date(2024, 5, 1),
        )


def test_no_quota_no_settlement_and_only_accepted(unit, caseworker, officer):
    app = examined(unit, caseworker, PersonFactory())
    with pytest.raises(PlacementConflict, match="accepted"):
        services.settlement_record(
            actor=officer, application=app, municipality=municipality("Bodø")
        )
    accepted = ApplicationFactory(state=State.ACCEPTED)
    with pytest.raises(QuotaExhausted, match="has not agreed"):
        services.settlement_record(
            actor=officer, application=accepted, municipality=municipality("Alta")
        )


def test_caseworker_may_not_record_settlement(caseworker):
    with pytest.raises(PermissionDenied):
        services.settlement_record(
            actor=caseworker,
            application=ApplicationFactory(state=State.ACCEPTED),
            municipality=municipality("Bodø"),
        )
