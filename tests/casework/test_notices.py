"""What the applicant is told when something happens: application received, interview set or
moved, decision made, appeal received by the appeals board, and the queue notice (also the
provisional reply of the Public Administration Act § 11 a). Each is made by the service, in
its transaction, at once, and delivered after commit exactly once per channel."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core import mail
from django.db import transaction
from django.utils import timezone

from casework.applications.services import (
    application_appeal,
    application_decide,
    application_lodge,
    application_transition,
    interview_move,
    interview_schedule,
    interview_waive,
)
from casework.deadlines.reminders import reminder_deliver, sweep
from casework.models import Deadline, Reminder
from tests.casework.reminder_helpers import rejected_case
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.django_db


def notices(source: str, person, kind: str = "event") -> list[Reminder]:
    return list(
        Reminder.objects.filter(
            deadline__source=source, recipient=f"person:{person.pk}", kind=kind
        ).order_by("pk")
    )


def deliver(reminders: list[Reminder]) -> list[mail.EmailMessage]:
    before = len(mail.outbox)
    for reminder in reminders:
        assert reminder_deliver(reminder_id=reminder.pk).outcome == "sent"
    return mail.outbox[before:]


def test_lodging_tells_the_applicant_at_once_after_commit_and_only_once(
    registrar, django_capture_on_commit_callbacks, monkeypatch
):
    from casework.deadlines import reminders as machinery

    queued: list[list[int]] = []
    monkeypatch.setattr(machinery, "_publish", lambda ids: queued.append(ids) or (ids, []))
    person = PersonFactory(preferred_language="en")
    with django_capture_on_commit_callbacks(execute=True):
        app = application_lodge(actor=registrar, person=person, kind="protection")
    (reminder,) = notices("casework.received_notice", person)
    assert reminder.channel == "email"
    assert queued == [[reminder.pk]]  # queued by the service, after its commit
    (message,) = deliver([reminder])
    assert message.to == [person.email]
    assert message.subject == f"We have received your application {app.display_reference}"
    assert f"Your case reference is {app.display_reference}." in message.body
    assert "date of birth you can see where your case stands on the status page: http" in (
        message.body
    )
    # the sweep, later and again, makes nothing more: one notice per channel
    sweep(enqueue=False)
    with time_machine.travel(timezone.now() + dt.timedelta(days=3), tick=False):
        sweep(enqueue=False)
    assert len(notices("casework.received_notice", person)) == 1


def test_nothing_is_told_when_the_service_rolls_back(registrar):
    person = PersonFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        application_lodge(actor=registrar, person=person, kind="protection")
        raise RuntimeError("the caller fails after the service")
    assert not Reminder.objects.exists()
    assert not Deadline.objects.exists()


def test_an_interview_is_told_with_date_place_and_interpreter_and_again_when_moved(caseworker):
    app = ApplicationFactory(state="submitted", assigned_to=caseworker)
    app.person.preferred_language = "en"
    app.person.save()
    at = timezone.localtime(timezone.now() + dt.timedelta(days=10)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    interview = interview_schedule(
        actor=caseworker,
        application=app,
        scheduled_at=at,
        location="UDI, Hausmanns gate 21, Oslo",
        language="tir",
    )
    (first,) = notices("casework.interview_notice", app.person)
    (message,) = deliver([first])
    day = f"{at.day} {at:%B %Y}"
    assert message.subject == f"Your asylum interview is on {day}"
    assert f"Your asylum interview is on {day} at 09:30." in message.body
    assert "Place: UDI, Hausmanns gate 21, Oslo" in message.body
    assert "An interpreter for Tigrinya will be there." in message.body

    later = at + dt.timedelta(days=2, hours=2)
    interview_move(actor=caseworker, interview=interview, scheduled_at=later)
    told = notices("casework.interview_notice", app.person)
    assert [r.cycle for r in told] == [0, 1]
    (moved,) = deliver([told[1]])
    assert moved.subject == f"Your asylum interview has been moved to {later.day} {later:%B %Y}"
    assert "Your asylum interview has been moved to a new time." in moved.body
    assert "at 11:30." in moved.body
    # the caseworker's and the applicant's reminders of the interview follow the new time
    assert Deadline.objects.get(source="casework.interview").due_at == later
    assert app.events.filter(action="interview_moved").count() == 1


def test_an_interview_notice_not_yet_sent_is_not_sent_once_the_interview_is_waived(
    caseworker, decider
):
    app = ApplicationFactory(state="examined", assigned_to=caseworker)
    interview_schedule(
        actor=caseworker,
        application=app,
        scheduled_at=timezone.now() + dt.timedelta(days=5),
        location="UDI, Oslo",
        language="ara",
    )
    (pending,) = notices("casework.interview_notice", app.person)
    interview_waive(actor=decider, application=app, reason="Too ill to be interviewed.")
    pending.refresh_from_db()
    assert pending.status == "cancelled"


def test_a_rejection_is_told_with_where_to_get_it_and_the_appeal_deadline(
    unit, caseworker, decider
):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit, at=timezone.now())
    app.person.preferred_language = "en"
    app.person.save()
    (reminder,) = notices("casework.decision_notice", app.person)
    (message,) = deliver([reminder])
    deadline = timezone.localtime(app.appeal_deadline)
    assert message.subject == f"A decision has been made in your case {app.display_reference}"
    assert "sent to your lawyer, or to your reception centre" in message.body
    assert f"You can appeal until {deadline.day} {deadline:%B %Y}." in message.body
    assert "rejected" not in message.body.lower()  # the outcome is in the letter only


def test_an_acceptance_is_told_without_an_appeal_deadline(caseworker, decider):
    app = ApplicationFactory(
        state="examined", assigned_to=caseworker, interview_held_at=timezone.now()
    )
    app.person.preferred_language = "en"
    app.person.save()
    application_decide(
        actor=decider, application=app, outcome="refugee_convention", grounds="Persecution."
    )
    (message,) = deliver(notices("casework.decision_notice", app.person))
    assert "A decision has been made in your case" in message.body
    assert "appeal" not in message.body


def test_the_appeals_board_receiving_the_appeal_is_told_with_its_published_time(
    unit, caseworker, decider, settings
):
    settings.APPEALS_BOARD_WAITING_DAYS = 90
    settings.APPEALS_BOARD_WAITING_SOURCE = "une.no"
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit, at=timezone.now())
    app.person.preferred_language = "en"
    app.person.save()
    app = application_appeal(actor=caseworker, application=app, lodged_by="the applicant")
    # the board has it once the Directorate, reviewing the appeal, sends it on
    assert not notices("casework.appeal_notice", app.person)
    application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="It stands."
    )
    (message,) = deliver(notices("casework.appeal_notice", app.person))
    expected = timezone.localdate() + dt.timedelta(days=90)
    assert message.subject == "The Immigration Appeals Board has received your appeal"
    assert (
        "expects to decide appeals like yours within 90 days: "
        f"by {expected.day} {expected:%B %Y}." in message.body
    )
    assert "(une.no)" in message.body


def test_the_queue_notice_is_a_provisional_reply_saying_why_and_when(registrar, caseworker):
    """Public Administration Act § 11 a: a case that takes longer than a month gets a reply
    saying why and when an answer can be expected."""
    person = PersonFactory(preferred_language="en")
    app = application_lodge(actor=registrar, person=person, kind="protection")
    notice = app.deadlines.get(source="casework.queue_notice")
    with time_machine.travel(notice.due_at, tick=False):
        sweep(enqueue=False)
        (message,) = deliver(notices("casework.queue_notice", person, kind="notice"))
    assert "It is taking more than a month because we examine cases in the order" in (message.body)
    assert "estimate the waiting time" in message.body  # when: the status page's estimate
    assert "We will write to you again in a month if your case is still waiting." in (message.body)


def test_a_rejection_not_yet_delivered_is_told_that_the_time_to_appeal_starts_on_delivery(
    unit, caseworker, decider
):
    """The notice goes out at the decision; the deadline runs only from the day the decision
    reaches them, so it names none yet."""
    app = rejected_case(
        caseworker=caseworker, decider=decider, unit=unit, at=timezone.now(), delivered=False
    )
    app.person.preferred_language = "en"
    app.person.save()
    (message,) = deliver(notices("casework.decision_notice", app.person))
    assert "sent to your lawyer, or to your reception centre" in message.body
    assert (
        "Your time to appeal starts on the day the decision reaches you or your lawyer."
        in message.body
    )
    assert "You can appeal until" not in message.body
