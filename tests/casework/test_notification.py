"""The day a decision reached the applicant or their lawyer: recorded, and the clocks run from it.

Public Administration Act § 29: the appeal period runs from the day the written decision
reached the party or their representative. A decision is therefore no longer taken to be
notified when it is made: until its delivery is recorded the applicant reads that it is being
delivered (in their language), no appeal deadline runs, and the caseworker is reminded to
record it; recording it sets the deadline. The appeal deadline's boundary (the last minute in
time, the next one late) is in ``test_workflow.py``; the work permit's lapse in
``tests/integration/test_work_permits.py``.
"""

from __future__ import annotations

import datetime as dt
import importlib
import re
from pathlib import Path

import pytest
import time_machine
from django.apps import apps as django_apps
from django.conf import settings
from django.utils import timezone, translation

from casework.applications.choices import NotificationChannel, State
from casework.applications.services import (
    application_appeal,
    application_decide,
    application_transition,
    decision_delivery_pending,
    decision_notification_record,
)
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.locale_formats import local_date
from casework.deadlines.reminders import sweep
from casework.models import Application, AuditEvent, Deadline, Decision, Reminder
from casework.status.page import APPEAL_STARTS_TEXT, DELIVERING_TEXT, NEXT_TEXT, status_page_for
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory, deliver
from tests.status.conftest import BIRTH_DATE, lookup, text_of

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
PLACEHOLDER = re.compile(r"%\(\w+\)s")
DELIVERY = "casework.decision_delivery"
APPEAL = "casework.appeal"


def examined(unit, caseworker, **extra) -> Application:
    return ApplicationFactory(
        person=PersonFactory(date_of_birth=BIRTH_DATE),
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
        **extra,
    )


def rejected(unit, caseworker, decider, **extra) -> Application:
    app = examined(unit, caseworker, **extra)
    return application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")


# --- What the applicant reads, before and after delivery, in all nine languages -------------


def test_the_status_page_says_the_decision_is_being_delivered_until_it_is_recorded(
    client, unit, caseworker, decider
):
    app = rejected(unit, caseworker, decider)
    assert decision_delivery_pending(app) and app.appeal_deadline is None
    with translation.override("en"):
        english = {str(DELIVERING_TEXT), str(APPEAL_STARTS_TEXT)}
    for language in LANGUAGES:
        page = text_of(lookup(client, reference=app.reference, language=language))
        with translation.override(language):
            delivering, starts = str(DELIVERING_TEXT), str(APPEAL_STARTS_TEXT)
            read_the_letter = str(NEXT_TEXT[(State.REJECTED, app.kind)])
            appeal_by = translation.gettext("You can appeal until %(date)s.")
        if language != "en":  # translated, not the English text shown in another language
            assert not {delivering, starts} & english, language
        assert delivering in page, language
        assert starts in page, language
        assert read_the_letter not in page, language
        assert max(PLACEHOLDER.split(appeal_by), key=len).strip() not in page, language

    deliver(app, by=caseworker)
    app.refresh_from_db()
    assert not decision_delivery_pending(app) and app.appeal_deadline is not None
    for language in LANGUAGES:
        page = text_of(lookup(client, reference=app.reference, language=language))
        with translation.override(language):
            delivering = str(DELIVERING_TEXT)
            read_the_letter = str(NEXT_TEXT[(State.REJECTED, app.kind)])
            appeal_line = translation.gettext("You can appeal until %(date)s.") % {
                "date": local_date(app.appeal_deadline)
            }
        assert delivering not in page, language
        assert read_the_letter in page, language
        assert appeal_line in page, language


def test_an_acceptance_is_being_delivered_too_and_then_only_says_what_comes_next(
    unit, caseworker, decider
):
    app = examined(unit, caseworker)
    app = application_decide(
        actor=decider, application=app, outcome="refugee_convention", grounds="Persecution."
    )
    with translation.override("en"):
        page = status_page_for(application=app)
        assert (
            page.delivery_text == "We are delivering the decision in writing to you or your lawyer."
        )
        assert page.next_text == str(NEXT_TEXT[(State.ACCEPTED, app.kind)])
        assert page.deadlines == []
        app = decision_notification_record(
            app,
            actor=caseworker,
            notified_at=timezone.now(),
            channel=NotificationChannel.DIGITAL,
            receipt="digipost receipt 5521",
        )
        page = status_page_for(application=app)
    assert page.delivery_text == "" and page.deadlines == []
    assert app.appeal_deadline is None  # a grant has no appeal deadline


def test_the_appeals_bodys_final_decision_is_notified_when_made(
    client, unit, caseworker, decider, appeals
):
    app = rejected(unit, caseworker, decider)
    app = deliver(app, by=caseworker)
    app = application_appeal(actor=caseworker, application=app, lodged_by="the applicant")
    # the Directorate upholds its decision and sends the appeal to the board
    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="It stands."
    )
    app = application_transition(
        actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
    )
    assert app.is_final and app.notified_at == app.decided_at
    decision = app.decisions.latest("decided_at")
    assert decision.notification_channel == NotificationChannel.AT_DECISION
    page = text_of(lookup(client, reference=app.reference))
    assert "This decision is final." in page
    assert "We are delivering the decision" not in page
    with pytest.raises(TransitionConflict, match="already recorded"):
        deliver(app, by=caseworker)


# --- The reminder to record the delivery ----------------------------------------------------


def test_the_caseworker_is_reminded_to_record_the_delivery_and_the_reminder_ends_with_it(
    unit, caseworker, decider
):
    decided = dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC)
    with time_machine.travel(decided, tick=False):
        app = rejected(unit, caseworker, decider)
    reminder_deadline = Deadline.objects.get(application=app, source=DELIVERY)
    assert reminder_deadline.due_at == decided + dt.timedelta(days=14)
    assert reminder_deadline.closed_at is None and not reminder_deadline.notify_person
    assert reminder_deadline.recipient_user == caseworker
    assert Application.objects.get(pk=app.pk).next_deadline == reminder_deadline.due_at

    # three days before: the caseworker (in the admin and by e-mail), never the applicant
    with time_machine.travel(reminder_deadline.due_at - dt.timedelta(days=3), tick=False):
        sweep(enqueue=False)
    rows = Reminder.objects.filter(deadline=reminder_deadline)
    assert sorted(rows.values_list("kind", "recipient", "channel")) == [
        ("soon", f"user:{caseworker.pk}", "admin"),
        ("soon", f"user:{caseworker.pk}", "email"),
    ]

    with time_machine.travel(decided + dt.timedelta(days=12), tick=False):
        app = deliver(app, by=caseworker, at=decided + dt.timedelta(days=9))
    reminder_deadline.refresh_from_db()
    assert reminder_deadline.closed_at is not None
    assert set(rows.values_list("status", flat=True)) == {"cancelled"}
    # closed: no "overdue" once its day has passed
    with time_machine.travel(reminder_deadline.due_at + dt.timedelta(days=1), tick=False):
        sweep(enqueue=False)
    assert not rows.filter(kind="overdue").exists()
    appeal = Deadline.objects.get(application=app, source=APPEAL, closed_at=None)
    assert appeal.due_at == app.appeal_deadline
    assert Application.objects.get(pk=app.pk).next_deadline == appeal.due_at


def test_an_appeal_lodged_before_the_delivery_is_recorded_ends_the_reminder(
    unit, caseworker, decider
):
    """The lawyer appealed: the decision plainly reached them."""
    app = rejected(unit, caseworker, decider)
    application_appeal(actor=caseworker, application=app, lodged_by="Advokat Nilsen")
    assert Deadline.objects.get(application=app, source=DELIVERY).closed_at is not None


# --- What is recorded, and what is refused ---------------------------------------------------


def test_the_delivery_is_recorded_on_the_decision_and_audited(unit, caseworker, decider):
    with time_machine.travel(timezone.now() - dt.timedelta(days=1), tick=False):
        app = rejected(unit, caseworker, decider, track="dublin")
    reached = timezone.now() - dt.timedelta(hours=2)
    decision = app.decisions.get()
    app = decision_notification_record(
        decision,
        actor=caseworker,
        notified_at=reached,
        channel=NotificationChannel.POLICE,
        receipt="POL-2026-0042",
        confirmed_by="Officer Berg, Oslo police",
    )
    assert app.state == State.REJECTED and app.notified_at == reached
    assert app.appeal_deadline == reached + dt.timedelta(hours=48)  # Dublin: ask to stay
    decision.refresh_from_db()
    assert (
        decision.notified_at,
        decision.notification_channel,
        decision.notification_receipt,
        decision.notification_confirmed_by,
        decision.notification_recorded_by,
    ) == (reached, "police", "POL-2026-0042", "Officer Berg, Oslo police", caseworker)
    event = AuditEvent.objects.get(application=app, action="record_notification")
    assert event.actor == caseworker
    assert (event.source_state, event.target_state) == (State.REJECTED, State.REJECTED)
    assert event.changes["notified_at"] == reached.isoformat()
    assert event.changes["channel"] == "police"
    assert event.changes["appeal_deadline"] == app.appeal_deadline.isoformat()


def test_a_delivery_is_confirmed_dated_after_the_decision_and_not_in_the_future(
    unit, caseworker, decider
):
    app = rejected(unit, caseworker, decider)
    cases = [
        (timezone.now() + dt.timedelta(days=1), "Lawyer", "notified_at"),
        (app.decided_at - dt.timedelta(days=1), "Lawyer", "notified_at"),
        (timezone.now(), "", "confirmed_by"),
    ]
    for at, confirmed_by, field in cases:
        with pytest.raises(TransitionInvalid) as err:
            deliver(app, by=caseworker, at=at, confirmed_by=confirmed_by)
        assert field in err.value.message_dict
    app.refresh_from_db()
    assert app.notified_at is None and app.appeal_deadline is None
    assert not AuditEvent.objects.filter(application=app, action="record_notification").exists()


def test_once_recorded_it_is_not_recorded_again_and_an_old_decision_is_refused(
    unit, caseworker, decider, appeals
):
    app = rejected(unit, caseworker, decider)
    first = app.decisions.get()
    app = deliver(app, by=caseworker)
    with pytest.raises(TransitionConflict, match="already recorded"):
        deliver(app, by=caseworker)
    app = application_appeal(actor=caseworker, application=app, lodged_by="x")
    # the Directorate upholds its decision and sends the appeal to the board
    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="It stands."
    )
    app = application_transition(
        actor=appeals,
        application=app,
        name="grant_appeal",
        outcome="refugee_convention",
        grounds="New information.",
    )
    assert decision_delivery_pending(app)  # the appeals body's grant is delivered afterwards
    with pytest.raises(TransitionConflict, match="no longer the case's current decision"):
        decision_notification_record(
            first, actor=caseworker, notified_at=timezone.now(), channel="lawyer", receipt="r"
        )
    decision_notification_record(
        app.decisions.latest("decided_at"),
        actor=caseworker,
        notified_at=timezone.now(),
        channel="digital",
        receipt="digipost-77",
    )
    assert not decision_delivery_pending(Application.objects.get(pk=app.pk))


# --- Over HTTP: who may record it -----------------------------------------------------------

URL = "/api/v1/applications/{}/transitions/record_notification/"


@pytest.mark.parametrize(
    "role", ["decider", "appeals", "registrar", "reception", "integration", "auditor", "outsider"]
)
def test_only_the_cases_caseworker_may_record_it_over_http(role, unit, role_users, decider):
    app = rejected(unit, role_users["caseworker"], decider)
    client = client_for(role_users[role])
    sees = client.get(f"/api/v1/applications/{app.pk}/").status_code == 200
    before = AuditEvent.objects.count()
    body = {
        "notified_at": timezone.now().isoformat(),
        "channel": "lawyer",
        "confirmed_by": "Advokat Nilsen",
    }
    response = client.post(URL.format(app.pk), body, format="json")
    # refused: 403 to those who see the case; to the others, 403 (no access to cases at all)
    # or 404 (not theirs: nothing revealed)
    assert response.status_code in ((403,) if sees else (403, 404)), response.content
    assert AuditEvent.objects.count() == before
    app.refresh_from_db()
    assert app.notified_at is None and app.appeal_deadline is None
    assert app.decisions.get().notified_at is None


def test_the_caseworker_records_it_over_http_with_if_match_and_idempotency_key(
    unit, caseworker, decider
):
    app = rejected(unit, caseworker, decider)
    client = client_for(caseworker)
    seen = client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    body = {
        "notified_at": timezone.now().isoformat(),
        "channel": "in_person",
        "confirmed_by": "Kari Nordmann, caseworker, at the reception centre",
    }
    first = client.post(
        URL.format(app.pk), body, format="json", HTTP_IF_MATCH=seen, HTTP_IDEMPOTENCY_KEY="d-1"
    )
    assert first.status_code == 200, first.content
    assert first.json()["appeal_deadline"] and first.json()["state"] == "rejected"
    again = client.post(
        URL.format(app.pk), body, format="json", HTTP_IF_MATCH=seen, HTTP_IDEMPOTENCY_KEY="d-1"
    )
    assert again.status_code == 200 and again.json() == first.json()  # the retry acts once
    assert AuditEvent.objects.filter(application=app, action="record_notification").count() == 1
    stale = client.post(URL.format(app.pk), body, format="json", HTTP_IF_MATCH=seen)
    assert stale.status_code == 412
    offered = client.get(f"/api/v1/applications/{app.pk}/transitions/").json()
    assert "record_notification" not in [t["name"] for t in offered]


# --- Existing cases keep their deadlines ----------------------------------------------------


def _migration():
    (path,) = Path(__file__).resolve().parents[2].glob("casework/migrations/*_decision_delivery.py")
    return importlib.import_module(f"casework.migrations.{path.stem}")


def test_the_migration_keeps_existing_cases_deadlines_and_takes_them_as_delivered(
    client, unit, caseworker
):
    """A case rejected before delivery was recorded on its own: its decision was taken as
    notified at the decision (or at the date given then), its appeal deadline set from it.
    The migration fills in the case's notification time and moves nothing."""
    notified = timezone.now() - dt.timedelta(days=2, hours=3)
    due = timezone.now() + dt.timedelta(days=19)
    app = ApplicationFactory(
        person=PersonFactory(date_of_birth=BIRTH_DATE),
        state=State.REJECTED,
        unit=unit,
        assigned_to=caseworker,
        decided_at=notified - dt.timedelta(days=1),
        appeal_deadline=due,
    )
    DecisionFactory(
        application=app, outcome="rejected", decided_at=app.decided_at, notified_at=notified
    )
    appeal = Deadline.objects.create(
        source=APPEAL, object_id=app.pk, application=app, person=app.person,
        due_at=due, remind_from=due - dt.timedelta(days=5), recipient_user=caseworker,
        notify_person=True,
    )  # fmt: skip
    Application.objects.filter(pk=app.pk).update(next_deadline=due)
    accepted = ApplicationFactory(state=State.ACCEPTED, unit=unit, decided_at=notified)
    waiting = ApplicationFactory(state=State.EXAMINED, unit=unit)
    deadlines_before = list(Deadline.objects.order_by("pk").values())
    cases_before = {
        a.pk: (a.appeal_deadline, a.next_deadline, a.decided_at, a.version)
        for a in Application.objects.all()
    }
    # the state before the migration: no case carries its notification time yet
    Application.objects.update(notified_at=None)
    Decision.objects.update(notification_channel="")

    _migration().delivered_before(django_apps, None)

    assert list(Deadline.objects.order_by("pk").values()) == deadlines_before
    assert {
        a.pk: (a.appeal_deadline, a.next_deadline, a.decided_at, a.version)
        for a in Application.objects.all()
    } == cases_before
    app.refresh_from_db()
    assert app.notified_at == notified and app.appeal_deadline == due
    assert app.decisions.get().notification_channel == NotificationChannel.AT_DECISION
    assert Application.objects.get(pk=accepted.pk).notified_at == notified  # from decided_at
    assert Application.objects.get(pk=waiting.pk).notified_at is None  # not decided
    appeal.refresh_from_db()
    assert (appeal.due_at, appeal.closed_at) == (due, None)
    # the applicant reads the deadline they were given, not "being delivered"
    page = text_of(lookup(client, reference=app.reference))
    assert "We are delivering the decision" not in page
    assert f"You can appeal until {local_date(due)}." in page
    assert not decision_delivery_pending(app)
    # and the staff are not asked to record a delivery that happened long ago
    assert not Deadline.objects.filter(source=DELIVERY).exists()
