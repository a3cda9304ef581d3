"""The register and bookings through the services: who may, overlaps at their boundaries, the
transitions, and the interview that cannot be recorded held with an unconfirmed interpreter."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction

from casework.applications.services import interview_move, interview_record_held
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.interpreters import selectors, services
from casework.interpreters.models import InterpreterBooking
from casework.models import AuditEvent
from tests.factories import ApplicationFactory, InterviewFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def book(actor, interpreter, interview, **kw):
    return services.booking_request(
        actor=actor, interpreter=interpreter, interview=interview, language="prs", **kw
    )


def test_the_coordinator_keeps_the_register_and_a_caseworker_may_not(coordinator, caseworker):
    interpreter = services.interpreter_register(
        actor=coordinator,
        name="Selam Tesfay",
        gender="female",
        region="Trondheim",
        languages=[{"language": "tir", "qualification": "B", "dialects": "Asmara"}],
    )
    assert [str(row) for row in interpreter.languages.all()] == ["Tigrinya (B)"]
    event = AuditEvent.objects.get(action="interpreter.registered")
    assert event.changes["subject"] == interpreter.audit_subject
    with pytest.raises(PermissionDenied):
        services.interpreter_update(actor=caseworker, interpreter=interpreter, region="Oslo")
    with pytest.raises(TransitionInvalid):
        services.interpreter_register(
            actor=coordinator, name="X", gender="male", region="Oslo", languages=[]
        )
    updated = services.interpreter_update(actor=coordinator, interpreter=interpreter, active=False)
    assert updated.active is False and updated.version == 2
    changed = AuditEvent.objects.get(action="interpreter.changed")
    assert changed.changes["active"] == [True, False]


def test_a_booking_starts_requested_at_the_interviews_time_and_place(
    caseworker, dari_interpreter, interview
):
    booking = book(caseworker, dari_interpreter, interview, dialect="Herati")
    assert booking.state == "requested"
    assert booking.starts_at == interview.scheduled_at
    assert booking.ends_at == interview.scheduled_at + dt.timedelta(hours=3)
    assert booking.location == interview.location
    event = AuditEvent.objects.get(action="booking.requested")
    assert event.application_id == interview.application_id
    assert event.changes["subject"] == booking.audit_subject


def test_overlapping_sessions_of_one_interpreter_are_refused_with_a_clear_sentence(
    caseworker, dari_interpreter, interview, case
):
    book(caseworker, dari_interpreter, interview, ends_at=at(12))
    later = InterviewFactory(application=case, scheduled_at=at(11, 59), language="prs")
    with pytest.raises(services.BookingOverlap) as refused:
        book(caseworker, dari_interpreter, later)
    assert "Farid Ahmadi is already booked from" in refused.value.message
    assert InterpreterBooking.objects.count() == 1


def test_a_session_starting_when_another_ends_does_not_overlap(
    caseworker, dari_interpreter, interview, case
):
    book(caseworker, dari_interpreter, interview, ends_at=at(12))
    next_one = InterviewFactory(application=case, scheduled_at=at(12), language="prs")
    before = InterviewFactory(application=case, scheduled_at=at(6), language="prs")
    book(caseworker, dari_interpreter, next_one, ends_at=at(15))
    book(caseworker, dari_interpreter, before, ends_at=at(9))  # ends as the first starts
    assert InterpreterBooking.objects.count() == 3


def test_a_cancelled_booking_frees_the_interpreters_time(
    caseworker, dari_interpreter, interview, case
):
    first = book(caseworker, dari_interpreter, interview)
    services.booking_transition(
        actor=caseworker, booking=first, name="cancel", reason="The interview moved."
    )
    again = InterviewFactory(application=case, scheduled_at=at(10), language="prs")
    assert book(caseworker, dari_interpreter, again).state == "requested"


def test_an_interpreter_is_booked_only_for_a_language_they_are_registered_for(
    caseworker, dari_interpreter, interview
):
    with pytest.raises(TransitionInvalid) as refused:
        services.booking_request(
            actor=caseworker, interpreter=dari_interpreter, interview=interview, language="tir"
        )
    assert "not registered for this language" in str(refused.value)


def test_another_units_caseworker_may_not_book_or_confirm(
    caseworker, outsider, dari_interpreter, interview
):
    with pytest.raises(PermissionDenied):
        book(outsider, dari_interpreter, interview)
    booking = book(caseworker, dari_interpreter, interview)
    with pytest.raises(PermissionDenied):
        services.booking_transition(actor=outsider, booking=booking, name="confirm")
    assert not AuditEvent.objects.filter(action="booking.confirm").exists()


def test_confirm_then_no_show_only_once_the_session_began(
    coordinator, caseworker, dari_interpreter, interview
):
    booking = book(caseworker, dari_interpreter, interview)
    booking = services.booking_transition(actor=coordinator, booking=booking, name="confirm")
    assert booking.state == "confirmed"
    with pytest.raises(TransitionConflict) as refused:
        services.booking_transition(actor=caseworker, booking=booking, name="record_no_show")
    assert "once the session has begun" in refused.value.message
    with time_machine.travel(booking.starts_at + dt.timedelta(minutes=20)):
        booking = services.booking_transition(
            actor=caseworker, booking=booking, name="record_no_show", reason="Did not answer."
        )
    assert booking.state == "no_show"
    actions = list(
        AuditEvent.objects.filter(changes__subject=booking.audit_subject)
        .order_by("id")
        .values_list("action", "target_state")
    )
    assert actions == [
        ("booking.requested", "requested"),
        ("booking.confirm", "confirmed"),
        ("booking.record_no_show", "no_show"),
    ]


def test_cancel_needs_a_reason(caseworker, dari_interpreter, interview):
    booking = book(caseworker, dari_interpreter, interview)
    with pytest.raises(TransitionInvalid):
        services.booking_transition(actor=caseworker, booking=booking, name="cancel", reason="")


def test_an_interview_is_not_recorded_held_with_an_unconfirmed_interpreter_without_a_reason(
    caseworker, dari_interpreter, interview
):
    book(caseworker, dari_interpreter, interview)
    with time_machine.travel(interview.scheduled_at + dt.timedelta(hours=1)):
        with pytest.raises(TransitionInvalid) as refused:
            interview_record_held(actor=caseworker, interview=interview)
        assert "has not confirmed" in str(refused.value)
        interview.refresh_from_db()
        assert interview.held_at is None
        interview_record_held(
            actor=caseworker, interview=interview, reason="Interpreter came, never confirmed."
        )
    event = AuditEvent.objects.get(action="interview_held")
    assert event.reason == "Interpreter came, never confirmed."


def test_a_confirmed_or_cancelled_booking_does_not_stand_in_the_way(
    caseworker, dari_interpreter, interview
):
    booking = book(caseworker, dari_interpreter, interview)
    services.booking_transition(actor=caseworker, booking=booking, name="confirm")
    with time_machine.travel(interview.scheduled_at + dt.timedelta(hours=1)):
        interview_record_held(actor=caseworker, interview=interview)
    assert AuditEvent.objects.get(action="interview_held").reason == ""


def test_interpreters_offered_best_fit_first(coordinator, caseworker, dari_interpreter, case):
    woman = services.interpreter_register(
        actor=coordinator,
        name="Zahra Karimi",
        gender="female",
        region="Oslo",
        languages=[{"language": "prs", "qualification": "B", "dialects": "Herati"}],
    )
    interview = InterviewFactory(application=case, scheduled_at=at(9), language="prs")
    book(caseworker, dari_interpreter, interview)  # Farid is busy then
    found = selectors.interpreters_for(
        language="prs",
        dialect="herati",
        gender="female",
        starts_at=at(10),
        ends_at=at(11),
    )
    assert [c.interpreter.name for c in found] == ["Zahra Karimi", "Farid Ahmadi"]
    assert found[0].free and found[0].dialect_match and found[0].gender_match
    assert not found[1].free
    assert woman.pk == found[0].interpreter.pk


@pytest.mark.services("postgres")
def test_the_database_itself_refuses_an_overlap_written_past_the_service(
    caseworker, dari_interpreter, interview
):
    booking = book(caseworker, dari_interpreter, interview)
    clash = InterpreterBooking(
        interpreter=dari_interpreter,
        application=booking.application,
        kind="interview",
        interview=interview,
        starts_at=booking.starts_at + dt.timedelta(hours=1),
        ends_at=booking.ends_at + dt.timedelta(hours=1),
        location="x",
        language="prs",
    )
    assert connection.vendor == "postgresql"
    with pytest.raises(IntegrityError), transaction.atomic():
        clash.save()


def test_a_hearing_booking_names_its_time_and_place(appeals, dari_interpreter, unit, caseworker):
    from django.utils import timezone

    from casework.models import Appeal

    app = ApplicationFactory(unit=unit, assigned_to=caseworker, state="appealed")
    app.appealed_at = timezone.now()
    app.save()
    appeal = Appeal.objects.create(application=app, lodged_at=timezone.now(), lodged_by="x")
    with pytest.raises(TransitionInvalid):
        services.booking_request(
            actor=appeals, interpreter=dari_interpreter, appeal=appeal, language="prs"
        )
    booking = services.booking_request(
        actor=appeals,
        interpreter=dari_interpreter,
        appeal=appeal,
        language="prs",
        starts_at=at(13),
        location="UNE, board room 2",
    )
    assert booking.kind == "hearing" and booking.ends_at == at(16)


def test_waiving_the_interview_releases_its_interpreter(
    caseworker, decider, dari_interpreter, interview
):
    from casework.applications.services import interview_waive

    booking = book(caseworker, dari_interpreter, interview)
    services.booking_transition(actor=caseworker, booking=booking, name="confirm")
    interview_waive(
        actor=decider, application=interview.application, reason="Cannot be interviewed."
    )
    booking.refresh_from_db()
    assert booking.state == "cancelled"
    assert booking.reason == "The interview was called off (waived)."
    event = AuditEvent.objects.get(action="booking.cancel")
    assert event.actor == decider


# --- the interview moves -------------------------------------------------------------------


def test_moving_the_interview_moves_its_booking_to_be_confirmed_again(
    caseworker, dari_interpreter, interview
):
    """No interpreter stays booked at the old time: the booking takes the new time and
    place, keeps its length, and asks the interpreter again."""
    booking = services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=interview, language="prs"
    )
    services.booking_transition(actor=caseworker, booking=booking, name="confirm")
    length = booking.ends_at - booking.starts_at
    interview_move(
        actor=caseworker, interview=interview, scheduled_at=at(13, days=8), location="Room 4"
    )
    booking.refresh_from_db()
    assert booking.state == "requested"
    assert (booking.starts_at, booking.ends_at) == (at(13, days=8), at(13, days=8) + length)
    assert booking.location == "Room 4"
    assert not InterpreterBooking.objects.filter(
        interpreter=dari_interpreter, starts_at=at(9), state__in=("requested", "confirmed")
    ).exists()
    event = AuditEvent.objects.get(action="booking.reschedule")
    assert event.application_id == interview.application_id
    assert "confirms the new time" in event.reason
    # The interpreter is free at the old time again: another case may book them then.
    other_case = ApplicationFactory(unit=interview.application.unit, state="examined")
    other = InterviewFactory(application=other_case, scheduled_at=at(9), language="prs")
    assert services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=other, language="prs"
    ).starts_at == at(9)


def test_an_interpreter_busy_at_the_new_time_is_released_not_double_booked(
    caseworker, dari_interpreter, interview, case
):
    booking = services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=interview, language="prs"
    )
    busy = InterviewFactory(application=case, scheduled_at=at(13, days=8), language="prs")
    elsewhere = services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=busy, language="prs"
    )
    interview_move(actor=caseworker, interview=interview, scheduled_at=at(13, 30, days=8))
    booking.refresh_from_db()
    elsewhere.refresh_from_db()
    assert booking.state == "cancelled" and "book another interpreter" in booking.reason
    assert booking.starts_at == at(9)  # cancelled where it was: it holds no time any more
    assert elsewhere.state == "requested" and elsewhere.starts_at == at(13, days=8)


def test_a_system_move_is_refused_to_a_person(caseworker, dari_interpreter, interview):
    booking = services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=interview, language="prs"
    )
    with pytest.raises(PermissionDenied):
        services.booking_transition(
            actor=caseworker,
            booking=booking,
            name="reschedule",
            starts_at=at(15),
            ends_at=at(16),
        )
