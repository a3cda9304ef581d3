"""The state machine: every transition from every state, every role, every guard."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.choices import HOLDABLE_STATES, State
from casework.applications.services import (
    APPLICATIONS,
    application_appeal,
    application_assign,
    application_available_transitions,
    application_decide,
    application_start_examination,
    application_transition,
    interview_waive,
)
from casework.applications.workflow import appeal_deadline_for, appeal_is_late
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import Appeal, Application, AuditEvent, Decision
from casework.transitions.declaration import (
    BACK,
    CHOICE,
    DATE,
    DATETIME,
    LONG_TEXT,
    SAME,
    TEXT,
    Transition,
)
from tests.factories import ApplicationFactory, deliver

pytestmark = pytest.mark.django_db

HOLDERS = "caseworker, decision-maker or appeals body"
REVERSERS = "decision-maker or appeals body"

# The lifecycle as the law and the design give it: name -> (allowed source states, target,
# role that may do it). The declarations in ``workflow.py`` must say exactly this.
LIFECYCLE = {
    "start_examination": ({State.SUBMITTED}, State.EXAMINED, "caseworker"),
    "accept": ({State.EXAMINED}, State.ACCEPTED, "decision-maker"),
    "reject": ({State.EXAMINED}, State.REJECTED, "decision-maker"),
    # Lodged with the Directorate, which reviews it first (Public Administration Act § 33).
    "appeal": ({State.REJECTED}, State.UNDER_REVIEW, "caseworker"),
    "reverse_on_review": ({State.UNDER_REVIEW}, State.ACCEPTED, "decision-maker"),
    "forward_appeal": ({State.UNDER_REVIEW}, State.APPEALED, "decision-maker"),
    "grant_appeal": ({State.APPEALED}, State.ACCEPTED, "appeals body"),
    "dismiss_appeal": ({State.APPEALED}, State.REJECTED, "appeals body"),
    "remit": ({State.APPEALED}, State.EXAMINED, "appeals body"),
    "withdraw": ({State.SUBMITTED, State.EXAMINED}, State.WITHDRAWN, "caseworker"),
    # On hold (berostilt) from any state before a final decision, and back to it.
    "put_on_hold": (set(HOLDABLE_STATES), State.ON_HOLD, HOLDERS),
    "move_hold_review": ({State.ON_HOLD}, SAME, HOLDERS),
    "resume": ({State.ON_HOLD}, BACK, HOLDERS),
    # A request to reverse a final rejection (Public Administration Act § 35): it stays rejected.
    "lodge_reversal_request": ({State.REJECTED}, SAME, "caseworker"),
    "grant_reversal_request": ({State.REJECTED}, State.ACCEPTED, REVERSERS),
    "refuse_reversal_request": ({State.REJECTED}, SAME, REVERSERS),
    # The day the decision reached the applicant or their lawyer; the case stays where it is.
    "record_notification": ({State.ACCEPTED, State.REJECTED}, SAME, "caseworker"),
    # The Dublin transfer deadline passed: Norway is responsible (made by the system only;
    # tests/dublin and tests/test_transitions_declared.py cover them).
    "take_responsibility": (
        {State.SUBMITTED, State.EXAMINED},
        SAME,
        "system",
    ),
    "reopen_on_merits": (
        {State.REJECTED, State.UNDER_REVIEW, State.APPEALED},
        State.EXAMINED,
        "system",
    ),
    "take_responsibility_on_hold": ({State.ON_HOLD}, SAME, "system"),
}
# The transitions a person makes (the system's are refused to everyone).
BY_PEOPLE = [n for n, d in APPLICATIONS.transitions.items() if d.permission is not None]
FIXTURE_OF_ROLE = {
    "caseworker": "caseworker",
    "decision-maker": "decider",
    "appeals body": "appeals",
}
# Who of several may make it on the case ``ready_case`` makes in its first source state:
# the appeals board holds a case it has (``appealed``, the first in order); the unit holds
# one it has (on hold from ``examined``); a first-instance rejection's request is the unit's.
ALLOWED_IN_MATRIX = {
    "put_on_hold": {"appeals"},
    "move_hold_review": {"caseworker", "decider"},
    "resume": {"caseworker", "decider"},
    "grant_reversal_request": {"decider"},
    "refuse_reversal_request": {"decider"},
}
REVERSAL_REQUEST = ("lodge_reversal_request", "grant_reversal_request", "refuse_reversal_request")


def sample_input(declaration: Transition) -> dict:
    """Valid input for a declared transition, from its declaration alone: the first choice,
    some text, the default of the rest."""
    values = {}
    for spec in declaration.inputs:
        if spec.kind == CHOICE:
            values[spec.name] = spec.choices[0][0]
        elif spec.kind in (TEXT, LONG_TEXT) and spec.required:
            values[spec.name] = f"{spec.label} given in a test."
        elif spec.kind == DATETIME and spec.required:
            values[spec.name] = timezone.now()
        elif spec.kind == DATE and spec.required:
            values[spec.name] = timezone.localdate() + dt.timedelta(days=30)
    if declaration.name == "record_notification":  # a receipt, or who confirmed it
        values["confirmed_by"] = "The lawyer, by telephone."
    return values


def test_the_declarations_are_the_lawful_lifecycle():
    declared = {
        name: (set(d.source), d.target, d.role) for name, d in APPLICATIONS.transitions.items()
    }
    assert declared == LIFECYCLE


def ready_case(state: str, unit, caseworker, name: str = "") -> Application:
    """A case in ``state`` that meets every guard: assigned, interviewed, within deadlines;
    decided (and not yet delivered) when accepted or rejected; on hold from examination.
    For a request to reverse (transition ``name``), the rejection is final: its appeal
    deadline passed, and the request is lodged to be decided."""
    decided = state in (State.ACCEPTED, State.REJECTED)
    held = state == State.ON_HOLD
    deadline = timezone.now() + dt.timedelta(days=10) if state == State.REJECTED else None
    if deadline is not None and name in REVERSAL_REQUEST:
        deadline = timezone.now() - dt.timedelta(days=10)
    return ApplicationFactory(
        state=state,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
        decided_at=timezone.now() - dt.timedelta(days=1) if decided else None,
        appeal_deadline=deadline,
        held_from=State.EXAMINED if held else "",
        hold_review_on=timezone.localdate() + dt.timedelta(days=20) if held else None,
        reversal_requested_at=(
            timezone.now() if name in REVERSAL_REQUEST[1:] and state == State.REJECTED else None
        ),
    )


def permitted_actor(declaration: Transition, app: Application, role_users):
    """The fixture user of the declaration's role; of several, the first the case allows."""
    if declaration.role in FIXTURE_OF_ROLE:
        return role_users[FIXTURE_OF_ROLE[declaration.role]]
    for key in ("caseworker", "decider", "appeals"):
        if declaration.permitted(app, role_users[key]):
            return role_users[key]
    raise AssertionError(f"nobody may make {declaration.name} on a case {app.state}")


@pytest.mark.parametrize("name", BY_PEOPLE)
@pytest.mark.parametrize("state", list(State))
def test_each_transition_from_each_state(name, state, unit, role_users):
    declaration = APPLICATIONS.transitions[name]
    sources, target, fields = declaration.source, declaration.target, sample_input(declaration)
    app = ready_case(state, unit, role_users["caseworker"], name)
    actor = permitted_actor(declaration, app, role_users)
    events_before = AuditEvent.objects.filter(application=app).count()
    if state in sources:
        # BACK: to the state the case left when it was put on hold
        target = app.held_from if target == BACK else declaration.target_from(state)
        app = application_transition(actor=actor, application=app, name=name, **fields)
        app.refresh_from_db()
        assert app.state == target
        event = AuditEvent.objects.filter(application=app).latest("id")
        assert (event.action, event.source_state, event.target_state) == (name, state, target)
        assert event.actor == actor
    else:
        with pytest.raises(TransitionConflict) as err:
            application_transition(actor=actor, application=app, name=name, **fields)
        assert "not possible while the case is" in err.value.message
        app.refresh_from_db()
        assert app.state == state
        assert AuditEvent.objects.filter(application=app).count() == events_before


@pytest.mark.parametrize("name", BY_PEOPLE)
@pytest.mark.parametrize(
    "role",
    [
        "caseworker",
        "decider",
        "appeals",
        "registrar",
        "reception",
        "integration",
        "auditor",
        "outsider",
    ],
)
def test_permission_matrix(name, role, unit, role_users):
    """Only the role the declaration names may make each transition; others leave no trace."""
    declaration = APPLICATIONS.transitions[name]
    sources, fields = declaration.source, sample_input(declaration)
    allowed = ALLOWED_IN_MATRIX.get(name) or {FIXTURE_OF_ROLE[declaration.role]}
    state = sorted(sources)[0]
    app = ready_case(state, unit, role_users["caseworker"], name)
    before = AuditEvent.objects.count(), Decision.objects.count(), Appeal.objects.count()
    if role in allowed:
        back = app.held_from
        application_transition(actor=role_users[role], application=app, name=name, **fields)
        app.refresh_from_db()
        assert app.state == (back if declaration.target == BACK else declaration.target_from(state))
    else:
        with pytest.raises(PermissionDenied):
            application_transition(actor=role_users[role], application=app, name=name, **fields)
        app.refresh_from_db()
        assert app.state == state
        assert (
            AuditEvent.objects.count(),
            Decision.objects.count(),
            Appeal.objects.count(),
        ) == before


def test_a_group_grant_alone_does_not_pass_the_unit_rule(unit, other_unit, caseworker, outsider):
    """The outsider is a caseworker, with the same group permissions, of another unit."""
    app = ready_case(State.SUBMITTED, unit, caseworker)
    assert "start_examination" in application_available_transitions(
        application=app, user=caseworker
    )
    assert application_available_transitions(application=app, user=outsider) == []
    with pytest.raises(PermissionDenied):
        application_start_examination(actor=outsider, application=app)


def test_examination_needs_an_assigned_caseworker(unit, caseworker):
    app = ApplicationFactory(unit=unit)
    with pytest.raises(TransitionConflict, match="caseworker must be assigned"):
        application_start_examination(actor=caseworker, application=app)
    application_assign(actor=caseworker, application=app, assignee=caseworker)
    app = application_start_examination(actor=caseworker, application=app)
    assert app.state == State.EXAMINED


def test_a_decision_needs_the_interview_unless_waived_or_collective(unit, caseworker, decider):
    app = ApplicationFactory(state=State.EXAMINED, unit=unit, assigned_to=caseworker)
    with pytest.raises(TransitionConflict, match="interview must be held"):
        application_decide(actor=decider, application=app, outcome="rejected", grounds="x")
    with pytest.raises(TransitionInvalid):
        interview_waive(actor=decider, application=app, reason="  ")
    interview_waive(actor=decider, application=app, reason="Applicant is too ill.")
    app = application_decide(
        actor=decider, application=app, outcome="humanitarian", grounds="Serious illness."
    )
    assert app.state == State.ACCEPTED

    collective = ApplicationFactory(state=State.EXAMINED, unit=unit, kind="collective")
    collective = application_decide(
        actor=decider, application=collective, outcome="collective", grounds="Ukrainian citizen."
    )
    assert collective.state == State.ACCEPTED
    decision = collective.decisions.get()
    assert (decision.permit_months, decision.instance) == (12, "first")


def test_decision_input_is_checked(unit, caseworker, decider):
    app = ready_case(State.EXAMINED, unit, caseworker)
    with pytest.raises(TransitionInvalid) as err:
        application_transition(
            actor=decider, application=app, name="accept", outcome="rejected", grounds="x"
        )
    assert "outcome" in err.value.message_dict
    with pytest.raises(TransitionInvalid) as err:
        application_transition(
            actor=decider, application=app, name="reject", outcome="rejected", grounds=" "
        )
    assert "grounds" in err.value.message_dict
    with pytest.raises(TransitionInvalid):  # collective outcome only for collective cases
        application_decide(actor=decider, application=app, outcome="collective", grounds="x")
    app.refresh_from_db()
    assert app.state == State.EXAMINED
    assert not Decision.objects.filter(application=app).exists()


def test_a_dismissed_appeal_is_final(unit, caseworker, appeals):
    app = ready_case(State.APPEALED, unit, caseworker)
    app = application_transition(
        actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
    )
    assert app.state == State.REJECTED and app.is_final
    with pytest.raises(TransitionConflict, match="final"):
        application_appeal(actor=caseworker, application=app)
    assert app.decisions.get().instance == "appeal"


def test_the_state_cannot_be_set_by_hand(unit, caseworker):
    app = ready_case(State.SUBMITTED, unit, caseworker)
    with pytest.raises(AttributeError):
        app.state = State.ACCEPTED


def test_stale_version_is_a_conflict(unit, caseworker):
    app = ready_case(State.SUBMITTED, unit, caseworker)
    seen = app.version
    application_assign(actor=caseworker, application=app, assignee=caseworker)
    with pytest.raises(TransitionConflict, match="Another user changed this case"):
        application_start_examination(actor=caseworker, application=app, expected_version=seen)


# --- appeal deadlines per track, at the boundary -------------------------------------------

OSLO = dt.timezone(dt.timedelta(hours=1))  # Norway in winter (CET)


DECIDED = dt.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO)  # a Monday
DELIVERED = dt.datetime(2026, 3, 5, 14, 30, tzinfo=OSLO)  # the Thursday after


@pytest.mark.parametrize(
    ("track", "unfounded", "last_moment"),
    [
        ("normal", False, dt.datetime(2026, 3, 26, 23, 59, 59, tzinfo=OSLO)),
        ("fast", False, dt.datetime(2026, 3, 12, 23, 59, 59, tzinfo=OSLO)),
        ("normal", True, dt.datetime(2026, 3, 12, 23, 59, 59, tzinfo=OSLO)),
        ("dublin", False, dt.datetime(2026, 3, 7, 14, 30, tzinfo=OSLO)),
    ],
)
def test_appeal_deadline_per_track_runs_from_delivery(
    track, unfounded, last_moment, unit, caseworker, decider
):
    """Decided on a Monday, delivered on the Thursday, recorded the Monday after: the appeal
    period (and the Dublin 48 hours to ask to stay) runs from the Thursday; its last minute
    is in time, the next minute is late."""
    assert (
        appeal_deadline_for(track=track, notified_at=DELIVERED, manifestly_unfounded=unfounded)
        == last_moment
    )
    app = ready_case(State.EXAMINED, unit, caseworker)
    Application.objects.filter(pk=app.pk).update(track=track)
    with time_machine.travel(DECIDED, tick=False):
        app = application_transition(
            actor=decider,
            application=app,
            name="reject",
            outcome="rejected",
            grounds="Not credible.",
            manifestly_unfounded=unfounded,
        )
    assert app.appeal_deadline is None  # not delivered: no deadline runs yet
    assert not app.deadlines.filter(source="casework.appeal").exists()
    with time_machine.travel(dt.datetime(2026, 3, 9, 9, 0, tzinfo=OSLO), tick=False):
        app = deliver(app, by=caseworker, at=DELIVERED)
    assert app.appeal_deadline == last_moment
    assert app.deadlines.get(source="casework.appeal", closed_at=None).due_at == last_moment
    last_minute = last_moment.replace(second=0)  # 23:59 on the last day; the 48th hour
    next_minute = last_minute + dt.timedelta(minutes=1)
    with time_machine.travel(last_minute, tick=False):
        assert not appeal_is_late(app, timezone.now())
    with time_machine.travel(next_minute, tick=False):
        assert appeal_is_late(app, timezone.now())
        with pytest.raises(TransitionInvalid) as err:
            application_appeal(actor=caseworker, application=app)
        assert "late_reason" in err.value.message_dict
    with time_machine.travel(last_minute, tick=False):
        in_time = application_appeal(actor=caseworker, application=app)
    assert in_time.state == State.UNDER_REVIEW
    assert in_time.appeals.get().late_reason == ""


@pytest.mark.parametrize("track", ["normal", "fast", "dublin"])
def test_appeal_after_the_deadline_needs_a_reason(track, unit, caseworker, decider):
    app = ready_case(State.EXAMINED, unit, caseworker)
    Application.objects.filter(pk=app.pk).update(track=track)
    with time_machine.travel(DECIDED, tick=False):
        app = application_transition(
            actor=decider, application=app, name="reject", outcome="rejected", grounds="No."
        )
        app = deliver(app, by=caseworker, at=DECIDED)
    one_second_late = app.appeal_deadline + dt.timedelta(seconds=1)
    with time_machine.travel(one_second_late, tick=False):
        with pytest.raises(TransitionInvalid) as err:
            application_appeal(actor=caseworker, application=app)
        assert "late_reason" in err.value.message_dict
        app.refresh_from_db()
        assert app.state == State.REJECTED
        app = application_appeal(
            actor=caseworker, application=app, late_reason="Hospitalised; certificate on file."
        )
    assert app.state == State.UNDER_REVIEW
    assert app.appeals.get().late_reason.startswith("Hospitalised")


def test_appeal_deadline_becomes_a_deadline_row_and_closes_on_appeal(unit, caseworker, decider):
    app = ready_case(State.EXAMINED, unit, caseworker)
    app = application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")
    app = deliver(app, by=caseworker)
    deadline = app.deadlines.get(source="casework.appeal")
    assert deadline.due_at == app.appeal_deadline and deadline.notify_person
    assert app.next_deadline == app.appeal_deadline
    application_appeal(actor=caseworker, application=app)
    deadline.refresh_from_db()
    assert deadline.closed_at is not None


def test_an_appeal_in_time_is_in_time_whatever_is_typed_as_a_late_reason(
    client, unit, caseworker, decider
):
    app = ready_case(State.EXAMINED, unit, caseworker)
    app = application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")
    app = application_appeal(
        actor=caseworker, application=app, late_reason="Just in case it is late."
    )
    assert app.appeals.get().late_reason == ""
    event = AuditEvent.objects.get(application=app, action="appeal")
    assert event.changes["late"] is False
    client.force_login(caseworker)
    page = client.get(f"/admin/casework/application/{app.pk}/change/").content.decode()
    assert "Appeal lodged" in page
    assert "late appeal, admitted" not in page


def test_a_late_appeal_is_labelled_admitted_late(client, unit, caseworker, decider):
    app = ready_case(State.EXAMINED, unit, caseworker)
    app = application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")
    app = deliver(app, by=caseworker)
    with time_machine.travel(app.appeal_deadline + dt.timedelta(days=2)):
        app = application_appeal(
            actor=caseworker, application=app, late_reason="Hospitalised; certificate on file."
        )
        client.force_login(caseworker)
        page = client.get(f"/admin/casework/application/{app.pk}/change/").content.decode()
    assert AuditEvent.objects.get(application=app, action="appeal").changes["late"] is True
    assert "late appeal, admitted" in page
