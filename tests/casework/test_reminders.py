"""Deadline reminders without a broker: the registry, the sweep at each boundary, delivery.

The worker, Redis and concurrency tests are in ``test_reminders_services.py``.
"""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.management import call_command
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import (
    application_appeal,
    application_decide,
    application_start_examination,
)
from casework.deadlines import registry as deadlines
from casework.deadlines.channels import (
    Channel,
    PermanentDeliveryError,
    get_channel,
    register_channel,
    unregister_channel,
)
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.registry import PERSON
from casework.deadlines.reminders import (
    CANCELLED,
    FAILED,
    RETRY,
    SENT,
    SKIPPED,
    reminder_deliver,
    reminder_resend,
    reminders_create_due,
    reminders_reclaim_stale,
    sweep,
)
from casework.deadlines.services import deadline_set
from casework.models import Deadline, Reminder, ResidencePermit
from casework.status.services import waiting_figures_refresh
from casework.vulnerability.services import tb_screening_open
from tests.casework.reminder_helpers import (
    T0,
    held_case,
    interview_case,
    lodged_case,
    rejected_case,
    reminders_of,
)
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory

pytestmark = pytest.mark.django_db


def run_sweep(at: dt.datetime):
    with time_machine.travel(at, tick=False):
        return sweep(enqueue=False)


def deliver_all(at: dt.datetime | None = None, deadline: Deadline | None = None) -> list[str]:
    """Deliver the pending reminders (of ``deadline`` only, when given: the services also
    make the applicant's event notices, which a test of one deadline leaves aside)."""
    pending = Reminder.objects.filter(status="pending")
    if deadline is not None:
        pending = pending.filter(deadline=deadline)
    ids = pending.order_by("id").values_list("id", flat=True)
    with time_machine.travel(at or timezone.now(), tick=False):
        return [reminder_deliver(reminder_id=i).outcome for i in ids]


# --- every casework source at its boundary (time-machine) -----------------------------------

CW = "user:{cw}"
STAFF_ROWS = {("admin", CW), ("email", CW)}
PERSON_ROWS = {("email", "person:{person}")}

# (source, kind) -> how to build the case, and the reminder rows expected at the boundary
BOUNDARIES = {
    ("casework.examination_target", "soon"): ("lodged", STAFF_ROWS),
    ("casework.examination_target", "overdue"): ("lodged", STAFF_ROWS),
    ("casework.queue_notice", "notice"): ("lodged", PERSON_ROWS),
    ("casework.appeal", "soon"): ("rejected", STAFF_ROWS | PERSON_ROWS),
    ("casework.appeal", "overdue"): ("rejected", STAFF_ROWS),
    # the caseworker is reminded to record a decision's delivery (the applicant is not)
    ("casework.decision_delivery", "soon"): ("undelivered", STAFF_ROWS),
    ("casework.decision_delivery", "overdue"): ("undelivered", STAFF_ROWS),
    ("casework.interview", "soon"): ("interview", STAFF_ROWS | PERSON_ROWS),
    ("casework.interview", "overdue"): ("interview", STAFF_ROWS),
    # a case on hold: the unit (its caseworker) is reminded of the review date
    ("casework.hold_review", "soon"): ("held", STAFF_ROWS),
    ("casework.hold_review", "overdue"): ("held", STAFF_ROWS),
    # a delivered rejection's departure deadline: the applicant (and the unit) a week before,
    # the unit alone the day after it passed
    ("casework.departure", "soon"): ("rejected", STAFF_ROWS | PERSON_ROWS),
    ("casework.departure", "overdue"): ("rejected", STAFF_ROWS),
    # a granted case's residence permit: the holder and the unit 3 months and 5 weeks before
    # it expires, the unit once it has
    ("casework.permit_expiry", "soon"): ("granted", STAFF_ROWS | PERSON_ROWS),
    ("casework.permit_expiry", "last_month"): ("granted", STAFF_ROWS | PERSON_ROWS),
    ("casework.permit_expiry", "overdue"): ("granted", STAFF_ROWS),
    # the tuberculosis screening after arrival: the reception centre's officer only
    ("casework.tb_screening", "soon"): ("arrived", STAFF_ROWS),
    ("casework.tb_screening", "overdue"): ("arrived", STAFF_ROWS),
}


# The applicant's event notices: made by their service at the event, at once
# (tests/casework/test_notices.py), not at a boundary the sweep reaches.
EVENTS = {
    ("casework.received_notice", "event"),
    ("casework.interview_notice", "event"),
    ("casework.decision_notice", "event"),
    ("casework.appeal_notice", "event"),
    # written for each permit a renewal extends (tests/casework/test_permits*.py)
    ("casework.permit_renewed", "event"),
}


def test_the_boundary_table_covers_every_casework_source_and_kind():
    declared = {
        (key, kind.name)
        for key, spec in deadlines.sources().items()
        if key.startswith("casework.")
        for kind in spec.reminders
    }
    assert declared == set(BOUNDARIES) | EVENTS


def _build(how: str, source: str, unit, registrar, caseworker, decider) -> Deadline:
    if how == "lodged":
        app = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit)
    elif how == "rejected":
        app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    elif how == "undelivered":
        app = rejected_case(caseworker=caseworker, decider=decider, unit=unit, delivered=False)
    elif how == "held":
        app = held_case(caseworker=caseworker, unit=unit)
    elif how == "granted":
        app = ApplicationFactory(
            state=State.EXAMINED,
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=T0 - dt.timedelta(days=3),
        )
        with time_machine.travel(T0, tick=False):
            app = application_decide(
                actor=decider, application=app, outcome="refugee_convention", grounds="Yes."
            )
        permit = ResidencePermit.objects.get(application=app)
        return Deadline.objects.get(source=source, object_id=permit.pk)
    elif how == "arrived":
        with time_machine.travel(T0, tick=False):
            screening = tb_screening_open(
                actor=None,
                person=PersonFactory(),
                arrived_on=T0.date(),
                recipient_user=caseworker,
            )
        return Deadline.objects.get(source=source, object_id=screening.pk)
    else:
        app = interview_case(caseworker=caseworker, unit=unit).application
    return Deadline.objects.get(application=app, source=source)


@pytest.mark.parametrize(("source", "kind"), sorted(BOUNDARIES))
def test_each_source_reminds_exactly_at_its_boundary(
    source, kind, unit, registrar, caseworker, decider
):
    how, expected = BOUNDARIES[(source, kind)]
    deadline = _build(how, source, unit, registrar, caseworker, decider)
    boundary = deadline.due_at + deadlines.get_source(source).kind(kind).offset

    run_sweep(boundary - dt.timedelta(seconds=1))
    assert reminders_of(deadline, kind) == []

    report = run_sweep(boundary)
    assert report.created[(source, kind)] == len(expected)
    who = {"cw": caseworker.pk, "person": deadline.person_id}
    assert reminders_of(deadline, kind) == sorted(
        (kind, recipient.format(**who), channel) for channel, recipient in expected
    )
    # a second sweep at the same moment, or later, creates nothing more for this kind
    run_sweep(boundary)
    run_sweep(boundary + dt.timedelta(hours=1))
    assert len(reminders_of(deadline, kind)) == len(expected)


def test_a_due_soon_reminder_is_not_sent_once_the_deadline_has_passed(unit, caseworker, decider):
    """If no sweep ran in the window (outage), the caseworker gets "overdue", not "soon"."""
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at + dt.timedelta(seconds=1))
    assert {k for k, _r, _c in reminders_of(deadline)} == {"overdue"}


def test_queue_notice_recurs_every_30_days_until_the_decision(unit, registrar, caseworker, decider):
    app = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit)
    notice = app.deadlines.get(source="casework.queue_notice")
    first = notice.due_at
    run_sweep(first)
    run_sweep(first + dt.timedelta(days=29))
    assert Reminder.objects.filter(deadline=notice).count() == 1
    notice.refresh_from_db()
    assert (notice.due_at, notice.cycle) == (first + dt.timedelta(days=30), 1)
    run_sweep(first + dt.timedelta(days=30))
    assert list(
        Reminder.objects.filter(deadline=notice).order_by("cycle").values_list("cycle", "kind")
    ) == [(0, "notice"), (1, "notice")]
    # the decision ends the notices
    with time_machine.travel(first + dt.timedelta(days=31), tick=False):
        application_start_examination(actor=caseworker, application=app)
        app.refresh_from_db()
        app.interview_held_at = timezone.now()
        app.save(update_fields=["interview_held_at"])
        application_decide(
            actor=decider, application=app, outcome="refugee_convention", grounds="Persecution."
        )
    run_sweep(first + dt.timedelta(days=90))
    assert Reminder.objects.filter(deadline=notice).count() == 2
    # and it never counted as the case's "next deadline" (other apps may add real ones, such
    # as reception's settlement target once protection is granted)
    app.refresh_from_db()
    shown = app.deadlines.filter(closed_at=None).exclude(source__in=deadlines.hidden_sources())
    assert app.next_deadline == min((d.due_at for d in shown), default=None)


def test_a_sweep_that_missed_several_periods_sends_one_notice_not_a_burst(
    unit, registrar, caseworker
):
    app = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit)
    notice = app.deadlines.get(source="casework.queue_notice")
    late = notice.due_at + dt.timedelta(days=95)
    run_sweep(late)
    run_sweep(late + dt.timedelta(minutes=5))
    assert Reminder.objects.filter(deadline=notice).count() == 1
    notice.refresh_from_db()
    assert notice.due_at == late + dt.timedelta(days=30)


def test_moving_a_deadline_reminds_again_and_cancels_reminders_of_the_old_date(unit, caseworker):
    interview = interview_case(caseworker=caseworker, unit=unit, days_ahead=2)
    deadline = Deadline.objects.get(source="casework.interview", object_id=interview.pk)
    # two days ahead is inside the 3-day lead: deadline_set created the reminders at once
    assert len(reminders_of(deadline, "soon")) == 3
    with time_machine.travel(T0 + dt.timedelta(hours=1), tick=False):
        deadline_set(
            source="casework.interview",
            object_id=interview.pk,
            due_at=T0 + dt.timedelta(days=2, hours=4),
            application=interview.application,
        )
    deadline.refresh_from_db()
    assert deadline.cycle == 1
    rows = Reminder.objects.filter(deadline=deadline, kind="soon")
    assert (
        sorted(rows.values_list("cycle", "status")) == [(0, "cancelled")] * 3 + [(1, "pending")] * 3
    )


def test_closing_a_deadline_cancels_what_is_not_sent_and_delivery_skips_it(
    unit, caseworker, decider
):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=1))
    pending = list(Reminder.objects.filter(deadline=deadline).values_list("id", flat=True))
    assert len(pending) == 3
    with time_machine.travel(deadline.due_at - dt.timedelta(hours=2), tick=False):
        application_appeal(actor=caseworker, application=app)
    assert set(Reminder.objects.filter(id__in=pending).values_list("status", flat=True)) == {
        "cancelled"
    }
    assert [reminder_deliver(reminder_id=i).outcome for i in pending] == [SKIPPED] * 3
    assert mail.outbox == []


def test_delivery_that_finds_the_deadline_closed_cancels_instead_of_sending(
    unit, caseworker, decider
):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=1))
    reminder = Reminder.objects.filter(deadline=deadline, channel="email").first()
    Deadline.objects.filter(pk=deadline.pk).update(closed_at=timezone.now())  # a race
    assert reminder_deliver(reminder_id=reminder.pk).outcome == CANCELLED
    assert mail.outbox == []


# --- delivery: exactly once, in the recipient's language ------------------------------------


def test_each_reminder_is_delivered_once_however_often_its_task_runs(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    ids = list(Reminder.objects.filter(deadline=deadline).values_list("id", flat=True))
    outcomes = [reminder_deliver(reminder_id=i).outcome for i in ids + ids + ids]
    assert outcomes.count(SENT) == 3 and outcomes.count(SKIPPED) == 6
    assert sorted(m.to[0] for m in mail.outbox) == sorted([caseworker.email, app.person.email])
    sent = Reminder.objects.filter(deadline=deadline)
    assert set(sent.values_list("status", "attempts")) == {("sent", 1)}


def test_the_applicant_is_written_to_in_their_language_and_staff_in_theirs(
    unit, caseworker, decider
):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    app.person.preferred_language = "uk"
    app.person.save()
    caseworker.staff_profile.language = "nb"
    caseworker.staff_profile.save()
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    # the appeal's reminders (the departure deadline's, the same day, says when to leave)
    deliver_all(deadline=deadline)
    by_address = {m.to[0]: m for m in mail.outbox}
    to_person = by_address[app.person.email]
    to_staff = by_address[caseworker.email]
    assert to_person.extra_headers["Content-Language"] == "uk"
    assert "Ви можете оскаржити рішення до" in to_person.body
    assert "січня" in to_person.body  # the due date, with the month in Ukrainian
    assert app.display_reference in to_person.body
    assert to_staff.extra_headers["Content-Language"] == "nb"
    assert to_staff.subject.startswith("Frist nærmer seg: klagefrist")


def test_the_queue_notice_tells_the_applicant_in_their_language(unit, registrar, caseworker):
    app = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit, language="ar")
    notice = app.deadlines.get(source="casework.queue_notice")
    run_sweep(notice.due_at)
    deliver_all(deadline=notice)
    (message,) = mail.outbox
    assert message.to == [app.person.email]
    assert message.extra_headers["Content-Language"] == "ar"
    assert app.display_reference in message.subject
    assert "لا يزال طلبك" in message.body
    # the waiting-time lines of the status page, in Arabic too (no similar cases decided yet)
    assert "ليس لدينا بعد عدد كافٍ من القضايا المشابهة" in message.body
    assert "لا توجد قضايا أقدم تنتظر قبل قضيتك" in message.body


def test_the_queue_notice_gives_the_expected_time_as_the_status_page_does(
    unit, registrar, caseworker
):
    app = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit, language="en")
    notice = app.deadlines.get(source="casework.queue_notice")
    at = notice.due_at
    for days in (100, 110, 120, 130, 140):  # 80th percentile: 132 days
        decided = ApplicationFactory(
            state="accepted", lodged_on=(at - dt.timedelta(days=days + 10)).date()
        )
        DecisionFactory(application=decided, decided_at=at - dt.timedelta(days=10))
    ApplicationFactory(state="examined", lodged_on=app.lodged_on - dt.timedelta(days=1))
    waiting_figures_refresh(now=at)  # as beat does: the notice reads the refreshed figures
    run_sweep(at)
    deliver_all(at, deadline=notice)
    (message,) = mail.outbox
    expected = (app.lodged_on + dt.timedelta(days=132)).strftime("%-d %B %Y")
    assert (
        "If your case takes as long as most similar cases, you will get a decision by "
        f"{expected}." in message.body
    )
    assert "1 older case is still waiting before yours." in message.body


def test_a_failed_send_is_recorded_retried_and_then_delivered_once(
    unit, caseworker, decider, settings
):
    settings.EMAIL_BACKEND = "tests.casework.test_reminders.FailOnceBackend"
    FailOnceBackend.failures = 1
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    email = Reminder.objects.filter(deadline=deadline, channel="email", recipient__startswith="p")
    reminder = email.get()
    assert reminder_deliver(reminder_id=reminder.pk).outcome == RETRY
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("pending", 1)
    assert reminder.failure == "ConnectionRefusedError: SMTP server said no"
    assert reminder_deliver(reminder_id=reminder.pk).outcome == SENT
    assert reminder_deliver(reminder_id=reminder.pk).outcome == SKIPPED
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)
    assert [m.to for m in mail.outbox] == [[app.person.email]]


def test_after_the_last_attempt_the_reminder_is_failed_with_its_reason(
    unit, caseworker, decider, settings
):
    settings.EMAIL_BACKEND = "tests.casework.test_reminders.FailOnceBackend"
    settings.REMINDER_MAX_ATTEMPTS = 3
    FailOnceBackend.failures = 99
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    reminder = Reminder.objects.filter(deadline=deadline, channel="email").first()
    outcomes = [reminder_deliver(reminder_id=reminder.pk).outcome for _ in range(4)]
    assert outcomes == [RETRY, RETRY, FAILED, SKIPPED]
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("failed", 3)
    assert "SMTP server said no" in reminder.failure


def test_an_unreachable_recipient_fails_at_once_without_retries(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    reminder = Reminder.objects.get(deadline=deadline, channel="email", recipient__startswith="p")
    type(app.person).objects.filter(pk=app.person.pk).update(email="")
    assert reminder_deliver(reminder_id=reminder.pk).outcome == FAILED
    reminder.refresh_from_db()
    assert (reminder.status, reminder.failure) == ("failed", "the recipient has no e-mail address")


def test_people_without_an_address_get_no_email_row(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    type(app.person).objects.filter(pk=app.person.pk).update(email="")
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    assert {r for _k, r, _c in reminders_of(deadline)} == {f"user:{caseworker.pk}"}


def test_a_stale_sending_claim_is_reclaimed_by_the_sweep_and_delivered_once(
    unit, caseworker, decider, settings
):
    """A worker killed between claim and send leaves the row ``sending``; after the claim
    timeout the sweep puts it back and it is delivered (once)."""
    settings.REMINDER_CLAIM_TIMEOUT = 600
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    at = deadline.due_at - dt.timedelta(days=2)
    run_sweep(at)
    reminder = Reminder.objects.filter(deadline=deadline, channel="email").first()
    Reminder.objects.filter(pk=reminder.pk).update(status="sending", claimed_at=at, attempts=1)
    assert reminder_deliver(reminder_id=reminder.pk).outcome == SKIPPED  # a redelivered message
    with time_machine.travel(at + dt.timedelta(seconds=599), tick=False):
        assert reminders_reclaim_stale() == 0
    with time_machine.travel(at + dt.timedelta(seconds=601), tick=False):
        assert reminders_reclaim_stale() == 1
    assert reminder_deliver(reminder_id=reminder.pk).outcome == SENT
    reminder.refresh_from_db()
    assert (reminder.status, reminder.attempts) == ("sent", 2)
    assert len(mail.outbox) == 1


def test_a_send_repeated_after_the_mail_server_accepted_it_carries_the_same_message_id(
    unit, caseworker, decider, settings, monkeypatch
):
    """The worker dies after the mail server took the message and before the row says sent:
    the reclaimed reminder is sent again, as the same message (one Message-ID), so the
    recipient's mail system sees one e-mail twice, not two e-mails."""
    from casework.deadlines import reminders as machinery

    settings.REMINDER_CLAIM_TIMEOUT = 600
    settings.DEFAULT_FROM_EMAIL = "Casework <noreply@udi.example>"
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    at = deadline.due_at - dt.timedelta(days=2)
    run_sweep(at)
    reminder = Reminder.objects.get(deadline=deadline, channel="email", recipient__startswith="p")

    class Killed(BaseException):
        """The worker's death right after the send (not an error the task would record)."""

    def killed_after_the_send(reminder_row):
        get_channel("email").send(reminder_row)
        raise Killed

    monkeypatch.setattr(
        machinery, "get_channel", lambda name: type("C", (), {"send": killed_after_the_send})
    )
    with time_machine.travel(at, tick=False), pytest.raises(Killed):
        reminder_deliver(reminder_id=reminder.pk)
    monkeypatch.undo()
    reminder.refresh_from_db()
    assert reminder.status == "sending" and len(mail.outbox) == 1
    with time_machine.travel(at + dt.timedelta(seconds=601), tick=False):
        assert reminders_reclaim_stale() == 1
    assert reminder_deliver(reminder_id=reminder.pk).outcome == SENT
    first, again = mail.outbox
    assert first.message()["Message-ID"] == again.message()["Message-ID"]
    assert first.message()["Message-ID"] == f"<reminder-{reminder.pk}@udi.example>"
    # Another reminder is another message.
    other = Reminder.objects.get(deadline=deadline, channel="email", recipient__startswith="u")
    reminder_deliver(reminder_id=other.pk)
    assert mail.outbox[-1].message()["Message-ID"] == f"<reminder-{other.pk}@udi.example>"


# --- channels: a new one is one class and one registration ----------------------------------


class SmsChannel(Channel):
    """Test-only: a text channel sending into a list instead of a gateway (named apart from
    the real ``sms`` channel, which it must not replace)."""

    name = "test-text"
    label = "text message"
    audiences = frozenset({PERSON})
    sent: list[tuple[str, str]] = []

    def eligible(self, deadlines, audience):
        return deadlines.exclude(person__phone="")

    def send(self, reminder) -> None:
        from casework.deadlines.messages import render_reminder

        message = render_reminder(reminder)
        if not message.recipient.phone:
            raise PermanentDeliveryError("no phone number")
        self.sent.append((message.recipient.phone, message.body))


@pytest.fixture
def sms():
    SmsChannel.sent = []
    channel = register_channel(SmsChannel)
    yield channel
    unregister_channel("test-text")


def test_an_sms_channel_is_one_class_and_one_registration(sms, unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    type(app.person).objects.filter(pk=app.person.pk).update(phone="+4790000000")
    other = rejected_case(caseworker=caseworker, decider=decider, unit=unit)  # no phone
    due = app.deadlines.get(source="casework.appeal").due_at
    report = run_sweep(due - dt.timedelta(days=2))
    assert report.created[("casework.appeal", "soon")] == 2 * 3 + 1
    # the departure deadline's "soon" goes by text too: the appeal's is the one to check
    texts = Reminder.objects.filter(channel="test-text")
    assert {r.deadline.source for r in texts} == {"casework.appeal", "casework.departure"}
    appeal = texts.get(deadline__source="casework.appeal").deadline
    assert appeal.application == app
    deliver_all(deadline=appeal)
    assert [phone for phone, _body in SmsChannel.sent] == ["+4790000000"]
    assert not other.deadlines.get(source="casework.appeal").reminders.filter(channel="test-text")


# --- resend, the command ---------------------------------------------------------------------


def test_resend_creates_a_new_deliberate_delivery(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    run_sweep(deadline.due_at - dt.timedelta(days=2))
    deliver_all(deadline=deadline)
    original = Reminder.objects.get(deadline=deadline, channel="email", recipient__startswith="p")
    assert reminder_resend(actor=caseworker, reminder=original) is not None
    second = reminder_resend(actor=caseworker, reminder=original)
    assert list(original.resends.order_by("resend").values_list("resend", "status")) == [
        (1, "pending"),
        (2, "pending"),
    ]
    assert second.resend_of == original
    deliver_all(deadline=deadline)
    assert [m.to[0] for m in mail.outbox].count(app.person.email) == 3
    assert app.events.filter(action="reminder_resent").count() == 2
    # a pending reminder is not resent (it has not been sent yet)
    pending = Reminder.objects.create(
        deadline=deadline, recipient="person:1", kind="x", channel="email"
    )
    assert reminder_resend(actor=caseworker, reminder=pending) is None


def test_sweep_deadlines_command_prints_what_it_found(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    out = StringIO()
    with time_machine.travel(deadline.due_at - dt.timedelta(days=2), tick=False):
        call_command("sweep_deadlines", "--no-enqueue", stdout=out)
    text = out.getvalue()
    assert "      3  casework.appeal / soon" in text
    # the departure deadline ends with the appeal period; its "soon" is a week before
    assert "      3  casework.departure / soon" in text
    assert "      6  in all" in text
    assert "queued        0" in text


def test_set_based_sweep_uses_a_constant_number_of_queries(
    unit, caseworker, decider, django_assert_max_num_queries
):
    for _ in range(12):
        rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    due = Deadline.objects.filter(source="casework.appeal").first().due_at
    kinds = [kind for spec in deadlines.sources().values() for kind in spec.reminders]
    statements = sum(len(kind.audiences) * 2 for kind in kinds) + 3 * len(deadlines.sources())
    moment = time_machine.travel(due - dt.timedelta(days=1), tick=False)
    with moment, django_assert_max_num_queries(statements):
        created = reminders_create_due()
    assert created.counts[("casework.appeal", "soon")] == 12 * 3


# A mail backend that refuses the first N messages (a real backend class, configured by name).
from django.core.mail.backends.locmem import EmailBackend as _LocMem  # noqa: E402


class FailOnceBackend(_LocMem):
    failures = 1

    def send_messages(self, messages):
        if FailOnceBackend.failures > 0:
            FailOnceBackend.failures -= 1
            raise ConnectionRefusedError("SMTP server said no")
        return super().send_messages(messages)


assert ReminderStatus.SENDING == "sending"


def test_beat_sweeps_on_a_static_schedule_and_delivery_is_acked_late():
    """The schedule is code (no admin-editable beat); a stale sweep message expires instead
    of piling up; delivery acknowledges only after the task and requeues on a lost worker."""
    from casework.deadlines.tasks import deliver_reminder
    from config.celery import app

    app.finalize()  # beat installs the schedule once the app is finalized
    entry = app.conf.beat_schedule["sweep-deadlines"]
    assert entry["task"] == "casework.tasks.sweep_deadlines"
    assert entry["options"]["expires"] == entry["schedule"] == 300
    assert deliver_reminder.acks_late and deliver_reminder.reject_on_worker_lost
    assert deliver_reminder.time_limit < 600  # well below the claim timeout and visibility
