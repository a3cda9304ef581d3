"""The transfer period ending makes Norway responsible (Dublin III art. 29(2)) whatever state
the case is in: each state a Dublin case can be in when the sweep finds the period over, and
what the case becomes through the application's declared system transitions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from casework.applications.choices import State
from casework.applications.services import application_transition
from casework.dublin.choices import RequestState
from casework.dublin.records import TO_MERITS
from casework.dublin.services import dublin_deadlines_sweep
from casework.models import Application, AuditEvent
from tests.dublin.helpers import accepted, at, dublin_case, prepared, sent

pytestmark = pytest.mark.django_db

LODGED = dt.date(2026, 6, 11)
# Accepted on 15 July 2026: six months to transfer, to 15 January 2027 (art. 29(1)).
AFTER_THE_PERIOD = ("2027-01-16", "00:00:01")
DECIDED = {"decided_at": at("2026-08-01"), "notified_at": at("2026-08-02")}

# state the case is in (and where it was held from) -> (state, held_from, audit action) after
EXPECTED = {
    (State.SUBMITTED, ""): (State.SUBMITTED, "", "take_responsibility"),
    (State.EXAMINED, ""): (State.EXAMINED, "", "take_responsibility"),
    (State.REJECTED, ""): (State.EXAMINED, "", "reopen_on_merits"),
    (State.UNDER_REVIEW, ""): (State.EXAMINED, "", "reopen_on_merits"),
    (State.APPEALED, ""): (State.EXAMINED, "", "reopen_on_merits"),
    (State.ON_HOLD, State.SUBMITTED): (
        State.ON_HOLD,
        State.SUBMITTED,
        "take_responsibility_on_hold",
    ),
    (State.ON_HOLD, State.EXAMINED): (State.ON_HOLD, State.EXAMINED, "take_responsibility_on_hold"),
    (State.ON_HOLD, State.UNDER_REVIEW): (
        State.ON_HOLD,
        State.EXAMINED,
        "take_responsibility_on_hold",
    ),
    (State.ON_HOLD, State.APPEALED): (State.ON_HOLD, State.EXAMINED, "take_responsibility_on_hold"),
}


def _accepted_case(caseworker, state: str, held_from: str = "") -> tuple[Application, object]:
    app = dublin_case(caseworker, lodged_on=LODGED)
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    request = accepted(caseworker, request, now=at("2026-07-15"))
    after_decision = state in (State.REJECTED, State.UNDER_REVIEW, State.APPEALED) or (
        held_from in (State.UNDER_REVIEW, State.APPEALED)
    )
    Application.objects.filter(pk=app.pk).update(
        state=state,
        held_from=held_from,
        hold_reason="Waiting for a medical report." if held_from else "",
        hold_review_on=dt.date(2027, 3, 1) if held_from else None,
        **(DECIDED if after_decision else {}),
    )
    return app, request


def test_every_state_the_case_can_be_in_has_its_move_or_none_by_rule():
    assert set(TO_MERITS) | {State.ACCEPTED, State.WITHDRAWN} == set(State.values)


@pytest.mark.parametrize(("state", "held_from"), list(EXPECTED), ids=lambda v: v or "-")
def test_the_transfer_period_ending_takes_the_case_off_the_dublin_track_in_each_open_state(
    caseworker, state, held_from
):
    app, request = _accepted_case(caseworker, state, held_from)
    with time_machine.travel(at(*AFTER_THE_PERIOD), tick=False):
        assert dublin_deadlines_sweep() == {"accepted_by_silence": 0, "lapsed": 1}
        assert dublin_deadlines_sweep() == {"accepted_by_silence": 0, "lapsed": 0}
    request.refresh_from_db()
    app.refresh_from_db()
    want_state, want_held_from, action = EXPECTED[(state, held_from)]
    assert request.state == RequestState.LAPSED
    assert (app.state, app.track, app.held_from) == (want_state, "normal", want_held_from)
    event = AuditEvent.objects.get(action=action, application=app)
    assert event.actor is None and event.changes["track"] == "normal"
    if want_state == State.EXAMINED or want_held_from != held_from:
        # the Dublin decision no longer stands: examined again, on the merits
        assert (app.decided_at, app.notified_at, app.appeal_deadline) == (None, None, None)
        assert not app.is_final
    if state == State.ON_HOLD:  # the hold itself stays, with its reason and review date
        assert app.hold_reason and app.hold_review_on == dt.date(2027, 3, 1)


@pytest.mark.parametrize("held_from", [State.UNDER_REVIEW, State.APPEALED])
def test_a_case_held_after_the_dublin_decision_goes_to_the_merits_when_taken_off_hold(
    caseworker, held_from
):
    app, _ = _accepted_case(caseworker, State.ON_HOLD, held_from)
    with time_machine.travel(at(*AFTER_THE_PERIOD), tick=False):
        dublin_deadlines_sweep()
    app.refresh_from_db()
    with time_machine.travel(at("2027-02-01"), tick=False):
        app = application_transition(
            actor=caseworker, application=app, name="resume", reason="The report came."
        )
    app.refresh_from_db()
    assert (app.state, app.track) == (State.EXAMINED, "normal")


@pytest.mark.parametrize("state", [State.ACCEPTED, State.WITHDRAWN])
def test_a_case_already_closed_keeps_its_state_and_the_request_still_lapses(caseworker, state):
    app, request = _accepted_case(caseworker, state)
    with time_machine.travel(at(*AFTER_THE_PERIOD), tick=False):
        assert dublin_deadlines_sweep()["lapsed"] == 1
    request.refresh_from_db()
    app.refresh_from_db()
    assert request.state == RequestState.LAPSED
    assert (app.state, app.track) == (state, "dublin")
    assert not AuditEvent.objects.filter(
        application=app, action__in=set(TO_MERITS.values())
    ).exists()
