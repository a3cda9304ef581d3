"""After the first decision: the Directorate's review of an appeal, cases on hold, and
requests to reverse a final rejection, as the people who make them and the applicant see them.

The lifecycle table, every transition from every state and the role matrix are in
``test_workflow.py``; the whole-system walk (``tests/test_transitions_declared.py``) checks
guards, refusals, the API and the admin form of each.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from casework.applications.choices import HOLDABLE_STATES, Instance, State
from casework.applications.services import (
    application_appeal,
    application_available_transitions,
    application_decide,
    application_transition,
)
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.locale_formats import local_date
from casework.deadlines.reminders import reminders_create_due
from casework.models import Application, AuditEvent, Deadline, Reminder
from casework.returns.departure import departure_deadline
from casework.status.page import REVERSAL_REQUEST_TEXT, STATE_TEXT
from integration.choices import WorkPermitState
from tests.factories import ApplicationFactory, PersonFactory, deliver
from tests.integration.test_work_permits import granted_on_examined_case
from tests.status.conftest import BIRTH_DATE, lookup, text_of

pytestmark = pytest.mark.django_db


def _rejected(unit, caseworker, decider, **extra) -> Application:
    app = ApplicationFactory(
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
        person=PersonFactory(date_of_birth=BIRTH_DATE),
        **extra,
    )
    app = application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")
    return deliver(app, by=caseworker)


def _open_deadlines(app: Application) -> dict[str, dt.datetime]:
    return dict(app.deadlines.filter(closed_at=None).values_list("source", "due_at"))


# --- The Directorate's review of an appeal ----------------------------------------------------


def test_an_appeal_is_reviewed_by_the_directorate_before_the_board(
    unit, caseworker, decider, appeals
):
    app = _rejected(unit, caseworker, decider)
    app = application_appeal(actor=caseworker, application=app)
    assert app.state == State.UNDER_REVIEW
    # the Directorate's decision-makers review it; nobody else may, the board not yet
    assert application_available_transitions(application=app, user=decider) == [
        "reverse_on_review",
        "forward_appeal",
        "put_on_hold",
    ]
    assert application_available_transitions(application=app, user=appeals) == []
    for who in (caseworker, appeals):
        with pytest.raises(PermissionDenied):
            application_transition(
                actor=who, application=app, name="forward_appeal", assessment="x"
            )
    with pytest.raises(TransitionInvalid) as missing:
        application_transition(actor=decider, application=app, name="forward_appeal")
    assert "assessment" in missing.value.message_dict

    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="Nothing new."
    )
    assert app.state == State.APPEALED
    event = AuditEvent.objects.filter(application=app).latest("id")
    assert (event.action, event.source_state, event.reason) == (
        "forward_appeal",
        "under_review",
        "Nothing new.",
    )
    # the applicant is told the board has it, and the board decides as before
    assert "casework.appeal_notice" in _open_deadlines(app)
    assert application_available_transitions(application=app, user=decider) == []
    app = application_transition(actor=appeals, application=app, name="dismiss_appeal", grounds="x")
    assert app.state == State.REJECTED and app.is_final


def test_the_directorate_reverses_its_own_decision_with_a_new_decision_to_deliver(
    client, unit, caseworker, decider
):
    app = _rejected(unit, caseworker, decider)
    app = application_appeal(actor=caseworker, application=app)
    app = application_transition(
        actor=decider,
        application=app,
        name="reverse_on_review",
        outcome="refugee_convention",
        grounds="The appeal's documents prove the account.",
    )
    assert app.state == State.ACCEPTED and app.notified_at is None
    decision = app.decisions.order_by("-decided_at", "-pk").first()
    assert (decision.instance, decision.outcome) == (Instance.REVERSAL, "refugee_convention")
    assert app.appeals.get().outcome == "reversed"
    # a decision of its own: the applicant is told, and its delivery is to be recorded
    assert {"casework.decision_notice", "casework.decision_delivery"} <= set(_open_deadlines(app))
    assert application_available_transitions(application=app, user=caseworker) == [
        "record_notification"
    ]
    app = deliver(app, by=caseworker)
    assert app.notified_at is not None
    decision.refresh_from_db()
    assert decision.notified_at == app.notified_at
    page = text_of(lookup(client, reference=app.reference))
    assert "Your application has been accepted" in page


def test_a_case_appealed_before_the_review_existed_stays_at_the_board(
    client, unit, caseworker, decider, appeals
):
    """Existing data: "appealed" meant at the appeals board, and still does (no row moved).
    The board decides it; the Directorate has no review to make on it."""
    app = ApplicationFactory(
        state=State.APPEALED,
        unit=unit,
        assigned_to=caseworker,
        appealed_at=timezone.now() - dt.timedelta(days=30),
        person=PersonFactory(date_of_birth=BIRTH_DATE),
    )
    assert application_available_transitions(application=app, user=appeals) == [
        "grant_appeal",
        "dismiss_appeal",
        "remit",
        "put_on_hold",
    ]
    assert application_available_transitions(application=app, user=decider) == []
    with pytest.raises(TransitionConflict, match="not possible while the case is appealed"):
        application_transition(
            actor=decider, application=app, name="forward_appeal", assessment="x"
        )
    page = text_of(lookup(client, reference=app.reference))
    assert "The Immigration Appeals Board is considering your appeal." in page


def test_the_status_page_explains_the_review_in_every_language(client, unit):
    app = ApplicationFactory(
        state=State.UNDER_REVIEW, unit=unit, person=PersonFactory(date_of_birth=BIRTH_DATE)
    )
    for language in ("en", "nb", "ar", "ti"):
        page = text_of(lookup(client, reference=app.reference, language=language))
        with translation.override(language):
            assert str(STATE_TEXT[(State.UNDER_REVIEW, app.kind)]) in page
    assert "Directorate of Immigration is first checking" in text_of(
        lookup(client, reference=app.reference, language="en")
    )


# --- On hold ----------------------------------------------------------------------------------


def _in_state(state: str, unit, caseworker) -> Application:
    return ApplicationFactory(
        state=state,
        unit=unit,
        assigned_to=caseworker,
        appealed_at=timezone.now() if state in (State.UNDER_REVIEW, State.APPEALED) else None,
        person=PersonFactory(date_of_birth=BIRTH_DATE),
    )


@pytest.mark.parametrize("state", HOLDABLE_STATES)
def test_a_case_on_hold_goes_back_to_exactly_the_state_it_left(
    state, unit, caseworker, decider, appeals
):
    app = _in_state(state, unit, caseworker)
    # the board holds what it has; the unit holds the rest
    who = appeals if state == State.APPEALED else caseworker
    other = caseworker if state == State.APPEALED else appeals
    review_on = timezone.localdate() + dt.timedelta(days=60)
    with pytest.raises(PermissionDenied):
        application_transition(
            actor=other, application=app, name="put_on_hold", reason="x", review_on=review_on
        )
    before = _open_deadlines(app)
    app = application_transition(
        actor=who,
        application=app,
        name="put_on_hold",
        reason="The security situation in the country of origin is unclear.",
        review_on=review_on,
    )
    assert (app.state, app.held_from, app.hold_review_on) == (State.ON_HOLD, state, review_on)
    review = app.deadlines.get(source="casework.hold_review", closed_at=None)
    assert timezone.localtime(review.due_at).date() == review_on
    assert review.recipient_user == caseworker  # the unit is reminded through its caseworker
    assert application_available_transitions(application=app, user=who) == [
        "move_hold_review",
        "resume",
    ]
    app = application_transition(actor=who, application=app, name="resume", reason="Clear now.")
    assert app.state == state
    assert app.hold_review_on is None
    event = AuditEvent.objects.filter(application=app).latest("id")
    assert (event.action, event.source_state, event.target_state) == ("resume", "on_hold", state)
    # nothing else moved: the case is where it was, with the deadlines it had
    assert _open_deadlines(app) == before


def test_a_hold_needs_a_reason_and_a_review_date_ahead(unit, caseworker):
    app = _in_state(State.EXAMINED, unit, caseworker)
    with pytest.raises(TransitionInvalid) as missing:
        application_transition(actor=caseworker, application=app, name="put_on_hold")
    assert set(missing.value.message_dict) == {"reason", "review_on"}
    with pytest.raises(TransitionInvalid) as past:
        application_transition(
            actor=caseworker,
            application=app,
            name="put_on_hold",
            reason="Waiting for country information.",
            review_on=timezone.localdate(),
        )
    assert "review date must be after today" in str(past.value.message_dict["review_on"])
    assert Application.objects.get(pk=app.pk).state == State.EXAMINED
    for final in (State.ACCEPTED, State.REJECTED, State.WITHDRAWN):
        done = _in_state(final, unit, caseworker)
        with pytest.raises(TransitionConflict):
            application_transition(
                actor=caseworker,
                application=done,
                name="put_on_hold",
                reason="x",
                review_on=timezone.localdate() + dt.timedelta(days=9),
            )


def test_the_review_date_reminds_the_unit_and_can_be_moved(unit, caseworker):
    app = _in_state(State.EXAMINED, unit, caseworker)
    review_on = timezone.localdate() + dt.timedelta(days=30)
    app = application_transition(
        actor=caseworker, application=app, name="put_on_hold", reason="x", review_on=review_on
    )
    deadline = app.deadlines.get(source="casework.hold_review", closed_at=None)
    week_before = deadline.due_at - dt.timedelta(days=6)
    with time_machine.travel(week_before, tick=False):
        reminders_create_due(now=week_before)
    reminders = set(Reminder.objects.filter(deadline=deadline).values_list("recipient", "kind"))
    assert reminders == {(f"user:{caseworker.pk}", "soon")}
    later = review_on + dt.timedelta(days=90)
    app = application_transition(
        actor=caseworker,
        application=app,
        name="move_hold_review",
        reason="Country information still unclear.",
        review_on=later,
    )
    assert app.state == State.ON_HOLD and app.hold_review_on == later
    moved = app.deadlines.get(source="casework.hold_review", closed_at=None)
    assert timezone.localtime(moved.due_at).date() == later


def test_the_status_page_says_the_case_is_on_hold_and_when_it_is_looked_at_again(
    client, unit, caseworker
):
    app = _in_state(State.EXAMINED, unit, caseworker)
    review_on = timezone.localdate() + dt.timedelta(days=45)
    app = application_transition(
        actor=caseworker,
        application=app,
        name="put_on_hold",
        reason="Internal: waiting for a Country of Origin report.",
        review_on=review_on,
    )
    for language in ("en", "nb", "uk", "ar", "fa", "ps", "ti", "so", "ru"):
        page = text_of(lookup(client, reference=app.reference, language=language))
        with translation.override(language):
            assert str(STATE_TEXT[(State.ON_HOLD, app.kind)]) in page, language
            assert local_date(review_on) in page, language
    page = text_of(lookup(client, reference=app.reference, language="en"))
    assert "Your case is on hold for now" in page
    assert "Country of Origin report" not in page  # the staff's reason stays with the staff


def test_a_held_case_is_told_it_is_on_hold_not_that_it_waits_in_the_queue(unit, caseworker):
    """The monthly notice of a held case gives the status page's on-hold wording and its
    review date in every language, never the queue's expected date or cases ahead; and an
    older held case is not counted ahead of a case that waits."""
    from casework.status.notices import queue_text
    from casework.status.page import HOLD_REVIEW_TEXT, NEXT_TEXT
    from casework.status.waiting import cases_ahead

    app = _in_state(State.EXAMINED, unit, caseworker)
    later = _in_state(State.EXAMINED, unit, caseworker)
    later.lodged_on = app.lodged_on + dt.timedelta(days=1)
    later.save(update_fields=["lodged_on"])
    assert cases_ahead(application=later) == 1
    review_on = timezone.localdate() + dt.timedelta(days=45)
    app = application_transition(
        actor=caseworker,
        application=app,
        name="put_on_hold",
        reason="Internal: waiting for a Country of Origin report.",
        review_on=review_on,
    )
    assert cases_ahead(application=later) == 0  # the held case waits for nothing
    assert cases_ahead(application=app) == 0
    for language in ("en", "nb", "uk", "ar", "fa", "ps", "ti", "so", "ru"):
        with translation.override(language):
            text = queue_text(None, app)
            body = "\n".join(text.lines)
            assert str(STATE_TEXT[(State.ON_HOLD, app.kind)]) in body, language
            review = str(HOLD_REVIEW_TEXT) % {"date": local_date(review_on)}
            assert review in body and review in text.sms, language
            assert str(NEXT_TEXT[(State.ON_HOLD, app.kind)]) in body, language
            assert app.display_reference in text.subject, language
            if language != "en":  # translated, not the English words
                assert "is on hold" not in text.subject, language
    with translation.override("en"):
        text = queue_text(None, app)
    assert text.subject == f"Your case {app.display_reference} is on hold"
    assert "queue" not in text.subject + "\n".join(text.lines) + text.sms
    assert "Country of Origin report" not in "\n".join(text.lines)


# --- Requests to reverse a final rejection ----------------------------------------------------


def _finally_rejected_with_permit(unit, caseworker, decider, appeals):
    """A final rejection by the appeals board, with a work permit lapsing at the departure
    deadline (3 weeks after the board's decision)."""
    permit = granted_on_examined_case(unit, caseworker, decider)
    app = application_decide(
        actor=decider, application=permit.application, outcome="rejected", grounds="No."
    )
    app = deliver(app, by=caseworker)
    app = application_appeal(actor=caseworker, application=app)
    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="Stands."
    )
    app = application_transition(
        actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
    )
    permit.refresh_from_db()
    assert app.is_final and permit.lapses_at is not None
    return app, permit


def test_a_reversal_request_does_not_change_the_departure_deadline(
    client, unit, caseworker, decider, appeals
):
    app, permit = _finally_rejected_with_permit(unit, caseworker, decider, appeals)
    Application.objects.filter(pk=app.pk).update(person=PersonFactory(date_of_birth=BIRTH_DATE))
    app.refresh_from_db()
    departure = permit.lapses_at
    assert departure_deadline(app) == departure  # casework's one rule, the permit follows it
    deadlines = _open_deadlines(app)
    assert deadlines["casework.departure"] == departure
    all_deadlines = list(Deadline.objects.order_by("pk").values("pk", "due_at", "closed_at"))

    app = application_transition(
        actor=caseworker,
        application=app,
        name="lodge_reversal_request",
        new_information="A new medical report on torture injuries.",
        lodged_by="Advokat Nilsen",
    )
    assert app.state == State.REJECTED and app.is_final
    assert app.reversal_requested_at is not None
    assert departure_deadline(app) == departure
    permit.refresh_from_db()
    assert (permit.state, permit.lapses_at) == (WorkPermitState.GRANTED, departure)
    assert _open_deadlines(app) == deadlines
    assert list(Deadline.objects.order_by("pk").values("pk", "due_at", "closed_at")) == (
        all_deadlines
    )
    page = text_of(lookup(client, reference=app.reference))
    assert str(REVERSAL_REQUEST_TEXT) in page
    assert "does not stop your deadline to leave Norway" in page
    assert f"You must leave Norway by {local_date(departure)}." in page
    assert "This decision is final." in page

    # the board's rejection stands: the board answers, not the Directorate
    with pytest.raises(PermissionDenied):
        application_transition(
            actor=decider, application=app, name="refuse_reversal_request", grounds="x"
        )
    app = application_transition(
        actor=appeals,
        application=app,
        name="refuse_reversal_request",
        grounds="The report adds nothing to what was assessed.",
    )
    assert app.state == State.REJECTED and app.is_final and app.reversal_requested_at is None
    permit.refresh_from_db()
    assert permit.lapses_at == departure == departure_deadline(app)
    assert _open_deadlines(app)["casework.departure"] == departure
    assert [e.action for e in AuditEvent.objects.filter(application=app).order_by("id")][-2:] == [
        "lodge_reversal_request",
        "refuse_reversal_request",
    ]
    assert str(REVERSAL_REQUEST_TEXT) not in text_of(lookup(client, reference=app.reference))


def test_a_granted_reversal_request_is_a_new_decision(unit, caseworker, decider, appeals):
    app, permit = _finally_rejected_with_permit(unit, caseworker, decider, appeals)
    app = application_transition(
        actor=caseworker, application=app, name="lodge_reversal_request", new_information="New."
    )
    app = application_transition(
        actor=appeals,
        application=app,
        name="grant_reversal_request",
        outcome="humanitarian",
        grounds="The new report shows a serious illness.",
    )
    assert app.state == State.ACCEPTED and not app.is_final and app.notified_at is None
    decision = app.decisions.order_by("-decided_at", "-pk").first()
    assert (decision.instance, decision.outcome) == (Instance.REVERSAL, "humanitarian")
    assert "casework.decision_delivery" in _open_deadlines(app)
    # no longer rejected: no departure deadline runs, and the permit ended with the decision
    assert departure_deadline(app) is None
    assert "casework.departure" not in _open_deadlines(app)


def test_no_reversal_request_while_the_appeal_deadline_runs(unit, caseworker, decider):
    app = _rejected(unit, caseworker, decider)
    assert app.appeal_deadline > timezone.now()
    with pytest.raises(TransitionConflict, match="Only a final rejection"):
        application_transition(
            actor=caseworker, application=app, name="lodge_reversal_request", new_information="x"
        )
    # once the deadline passed unused, the Directorate answers the request (its rejection)
    with time_machine.travel(app.appeal_deadline + dt.timedelta(days=1), tick=False):
        app = application_transition(
            actor=caseworker, application=app, name="lodge_reversal_request", new_information="x"
        )
        with pytest.raises(PermissionDenied):
            application_transition(
                actor=caseworker, application=app, name="refuse_reversal_request", grounds="x"
            )
        app = application_transition(
            actor=decider, application=app, name="refuse_reversal_request", grounds="Nothing new."
        )
    assert app.state == State.REJECTED
