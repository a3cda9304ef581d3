"""Placements: capacity, one open placement per person, transfers, discharges, minors, 21 days."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction

from casework.models import AuditEvent, Deadline
from reception import services
from reception.exceptions import CentreFull, PlacementConflict, PlacementInvalid
from reception.models import Placement
from reception.selectors import arrival_stays_overdue
from tests.factories import PersonFactory
from tests.reception.factories import PlacementFactory, ReceptionCentreFactory

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 3, 1)


def born(years_ago: int) -> dt.date:
    return dt.date(TODAY.year - years_ago, 1, 15)


def place(officer, person, centre, start=TODAY):
    return services.placement_create(actor=officer, person=person, centre=centre, start=start)


def test_placing_a_person_takes_a_bed_and_is_audited(officer, centre):
    person = PersonFactory()
    placement = place(officer, person, centre)
    assert placement.is_open and placement.centre == centre and placement.start == TODAY
    assert AuditEvent.objects.filter(person=person, action="placement_created").count() == 1


def test_full_centre_refuses_with_a_clear_message(officer, centre):
    centre.capacity = 2
    centre.save()
    place(officer, PersonFactory(), centre)
    place(officer, PersonFactory(), centre)
    with pytest.raises(CentreFull, match="Bergen ordinary is full: all 2 beds are taken"):
        place(officer, PersonFactory(), centre)
    assert Placement.objects.filter(centre=centre).count() == 2


def test_a_bed_freed_by_discharge_can_be_taken_again(officer, centre):
    centre.capacity = 1
    centre.save()
    first = place(officer, PersonFactory(), centre, start=TODAY - dt.timedelta(days=5))
    services.placement_discharge(actor=officer, placement=first, reason="private", on=TODAY)
    assert place(officer, PersonFactory(), centre).is_open


def test_second_open_placement_is_refused(officer, centre, arrival_centre):
    person = PersonFactory()
    place(officer, person, arrival_centre)
    with pytest.raises(PlacementConflict, match="already placed at National arrival centre"):
        place(officer, person, centre)
    assert Placement.objects.filter(person=person).count() == 1


def test_overlapping_past_placement_is_refused(officer, centre, arrival_centre):
    person = PersonFactory()
    PlacementFactory(person=person, centre=arrival_centre, start=TODAY, end=TODAY + dt.timedelta(5))
    with pytest.raises(PlacementConflict, match="cannot overlap"):
        place(officer, person, centre, start=TODAY + dt.timedelta(days=2))


def test_database_refuses_two_open_placements_even_without_the_service(centre, arrival_centre):
    person = PersonFactory()
    PlacementFactory(person=person, centre=centre)
    with pytest.raises(IntegrityError), transaction.atomic():
        PlacementFactory(person=person, centre=arrival_centre)


def test_transfer_closes_the_previous_placement_the_same_day(officer, centre, arrival_centre):
    person = PersonFactory()
    first = place(officer, person, arrival_centre, start=TODAY - dt.timedelta(days=10))
    new = services.placement_transfer(
        actor=officer, placement=first, to_centre=centre, reason="Interview held", on=TODAY
    )
    first.refresh_from_db()
    assert (first.end, first.ended_by) == (TODAY, "transfer")
    assert (new.start, new.centre, new.transferred_from) == (TODAY, centre, first)
    assert new.transfer_reason == "Interview held"
    assert Placement.objects.filter(person=person, end__isnull=True).get() == new
    # the 21-day arrival deadline is closed by the move
    assert Deadline.objects.get(source="reception.arrival_stay", object_id=first.pk).closed_at


def test_transfer_needs_a_reason(officer, centre, arrival_centre):
    first = place(officer, PersonFactory(), arrival_centre)
    with pytest.raises(PlacementInvalid, match="needs a reason"):
        services.placement_transfer(actor=officer, placement=first, to_centre=centre, reason=" ")
    first.refresh_from_db()
    assert first.is_open


def test_transfer_to_a_full_centre_changes_nothing(officer, centre, arrival_centre):
    centre.capacity = 1
    centre.save()
    place(officer, PersonFactory(), centre)
    first = place(officer, PersonFactory(), arrival_centre)
    with pytest.raises(CentreFull):
        services.placement_transfer(
            actor=officer, placement=first, to_centre=centre, reason="Family nearby"
        )
    first.refresh_from_db()
    assert first.is_open


def test_discharge_ends_the_placement(officer, centre):
    placement = place(officer, PersonFactory(), centre, start=TODAY - dt.timedelta(days=3))
    services.placement_discharge(actor=officer, placement=placement, reason="departed", on=TODAY)
    placement.refresh_from_db()
    assert (placement.end, placement.ended_by, placement.discharge_reason) == (
        TODAY,
        "discharge",
        "departed",
    )
    with pytest.raises(PlacementConflict, match="already ended"):
        services.placement_discharge(actor=officer, placement=placement, reason="departed")


def test_officer_of_another_centre_may_not_place_move_or_discharge(other_officer, officer, centre):
    person = PersonFactory()
    with pytest.raises(PermissionDenied):
        place(other_officer, person, centre)
    placement = place(officer, person, centre)
    with pytest.raises(PermissionDenied):
        services.placement_discharge(actor=other_officer, placement=placement, reason="other")
    assert not AuditEvent.objects.filter(person=person, actor=other_officer).exists()


def test_caseworker_may_not_place(caseworker, centre):
    with pytest.raises(PermissionDenied):
        place(caseworker, PersonFactory(), centre)


@pytest.mark.parametrize(
    ("age", "unaccompanied", "kind", "refusal"),
    [
        (12, True, "ordinary", "under 15 are cared for by child welfare"),
        (12, True, "minors", "under 15 are cared for by child welfare"),
        (12, True, "arrival", "under 15 are cared for by child welfare"),
        (16, True, "ordinary", "not in an adult centre"),
        (16, True, "minors", None),
        (16, True, "arrival", None),
        (10, False, "ordinary", None),  # a child with their family
        (10, False, "minors", "Children under 15 are not placed in centres for minors"),
        (30, False, "minors", "Adults are not placed in a centre for unaccompanied minors"),
        (30, False, "ordinary", None),
    ],
)
def test_who_may_live_where(officer, age, unaccompanied, kind, refusal):
    from reception.models import CentreStaff

    target = ReceptionCentreFactory(kind=kind)
    CentreStaff.objects.create(centre=target, user=officer)
    person = PersonFactory(date_of_birth=born(age), unaccompanied_minor=unaccompanied)
    if refusal is None:
        assert place(officer, person, target).is_open
    else:
        with pytest.raises(PlacementInvalid, match=refusal):
            place(officer, person, target)
        assert not Placement.objects.filter(person=person).exists()


def test_arrival_centre_stay_deadline_at_its_21_day_boundary(officer, arrival_centre):
    tz = dt.timezone(dt.timedelta(hours=1))  # Europe/Oslo in winter
    with time_machine.travel(dt.datetime(2024, 1, 1, 10, 0, tzinfo=tz), tick=False):
        placement = place(officer, PersonFactory(), arrival_centre, start=dt.date(2024, 1, 1))
    deadline = Deadline.objects.get(source="reception.arrival_stay", object_id=placement.pk)
    # arrived 1 January: 21 days run to the end of 22 January
    assert deadline.due_at == dt.datetime(2024, 1, 23, 0, 0, tzinfo=tz)
    assert deadline.remind_from == dt.datetime(2024, 1, 20, 0, 0, tzinfo=tz)
    with time_machine.travel(dt.datetime(2024, 1, 22, 23, 59, 59, tzinfo=tz), tick=False):
        assert list(arrival_stays_overdue()) == []
    with time_machine.travel(dt.datetime(2024, 1, 23, 0, 0, 1, tzinfo=tz), tick=False):
        assert list(arrival_stays_overdue()) == [placement]


def test_ordinary_centre_has_no_stay_deadline(officer, centre):
    placement = place(officer, PersonFactory(), centre)
    assert not Deadline.objects.filter(object_id=placement.pk, source="reception.arrival_stay")


def test_arrival_stay_reminder_reaches_the_officer_three_days_before(officer, arrival_centre):
    from django.core import mail

    from casework.deadlines.reminders import reminder_deliver, reminders_create_due
    from casework.models import Reminder

    tz = dt.timezone(dt.timedelta(hours=1))
    placement = place(officer, PersonFactory(), arrival_centre, start=dt.date(2024, 1, 1))
    assert reminders_create_due(now=dt.datetime(2024, 1, 19, 23, 59, tzinfo=tz)).total == 0
    assert reminders_create_due(now=dt.datetime(2024, 1, 20, 0, 0, tzinfo=tz)).total == 2
    email = Reminder.objects.get(
        deadline__source="reception.arrival_stay",
        deadline__object_id=placement.pk,
        channel="email",
    )
    assert email.recipient == f"user:{officer.pk}"
    assert reminder_deliver(reminder_id=email.pk)
    # in the officer's language (Norwegian by default), naming what falls due
    assert "arrival-centre stay limit (21 days)" in mail.outbox[-1].subject


def test_a_merged_person_record_cannot_be_placed(officer, centre):
    kept = PersonFactory()
    merged = PersonFactory(merged_into=kept)
    with pytest.raises(PlacementInvalid, match="merged into another one"):
        place(officer, merged, centre)
