"""Temporary work permits (Immigration Act § 94): conditions, transitions, roles, validity."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.services import (
    application_appeal,
    application_decide,
    application_transition,
    interview_waive,
)
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import Application, AuditEvent, Deadline
from integration import services
from integration.choices import WorkPermitState as S
from integration.deadlines import WORK_PERMIT_LAPSE, WORK_PERMIT_RENEWAL
from integration.models import WorkPermit, WorkPermitPeriod
from integration.services import ConditionsUnmet
from integration.workflow import WORK_PERMIT_TRANSITIONS
from tests.factories import ApplicationFactory, IdentityDocumentFactory, PersonFactory, deliver
from tests.integration.factories import WorkPermitFactory, eligible_case

pytestmark = pytest.mark.django_db

ROLES = ["caseworker", "decider", "appeals", "registrar", "reception", "integration", "auditor"]

# name -> (allowed source states, target, fields)
TABLE = {
    "grant": ({S.REQUESTED}, S.GRANTED, {"months": 6}),
    "refuse": ({S.REQUESTED}, S.REFUSED, {"grounds": "Identity in doubt after all."}),
    "renew": ({S.GRANTED}, S.GRANTED, {"months": 6}),
    "revoke": ({S.GRANTED}, S.REVOKED, {"reason": "False identity document."}),
    "expire": ({S.GRANTED}, S.EXPIRED, {"reason": "test"}),
}


def permit_for(unit, caseworker, state=None, **kw):
    app = eligible_case(unit=unit, assigned_to=caseworker, **kw)
    return WorkPermitFactory(application=app, person=app.person, state=state)


def events(permit: WorkPermit) -> int:
    return AuditEvent.objects.filter(changes__subject=permit.audit_subject).count()


def test_the_table_covers_every_transition():
    assert set(TABLE) == set(WORK_PERMIT_TRANSITIONS)


def test_the_declarations_are_the_lawful_lifecycle():
    """``workflow.py`` declares exactly the sources and targets the table gives."""
    declared = {n: (set(d.source), d.target) for n, d in services.WORK_PERMITS.transitions.items()}
    table = {n: (set(row[0]), row[1]) for n, row in TABLE.items()}
    assert declared == table


# --- Request --------------------------------------------------------------------------------


def test_a_caseworker_registers_a_request_and_it_is_logged(unit, caseworker):
    app = eligible_case(unit=unit)
    permit = services.work_permit_request(actor=caseworker, application=app)
    assert permit.state == S.REQUESTED and permit.person == app.person
    event = AuditEvent.objects.get(changes__subject=permit.audit_subject)
    assert (event.action, event.actor, event.application) == (
        "work_permit.requested",
        caseworker,
        app,
    )


def test_collective_protection_applicants_are_told_they_need_none(unit, caseworker):
    app = eligible_case(unit=unit, kind="collective")
    with pytest.raises(TransitionInvalid) as err:
        services.work_permit_request(actor=caseworker, application=app)
    assert "needs no temporary work permit" in str(err.value.message_dict["application"])
    assert not WorkPermit.objects.exists() and not AuditEvent.objects.exists()


@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_who_may_register_a_request(role, unit, role_users):
    app = eligible_case(unit=unit)
    if role in ("caseworker", "registrar"):
        services.work_permit_request(actor=role_users[role], application=app)
        assert WorkPermit.objects.count() == 1
    else:
        with pytest.raises(PermissionDenied):
            services.work_permit_request(actor=role_users[role], application=app)
        assert not WorkPermit.objects.exists() and not AuditEvent.objects.exists()


def test_one_open_permit_per_case(unit, caseworker):
    app = eligible_case(unit=unit)
    services.work_permit_request(actor=caseworker, application=app)
    with pytest.raises(TransitionConflict, match="already has a work permit"):
        services.work_permit_request(actor=caseworker, application=app)


def test_interview_waiver_group_follows_nationality(unit, caseworker):
    syrian = services.work_permit_request(
        actor=caseworker, application=eligible_case(unit=unit, nationality="SY")
    )
    assert syrian.interview_waiver_group == "syria"
    with pytest.raises(TransitionInvalid, match="does not match"):
        services.work_permit_request(
            actor=caseworker,
            application=eligible_case(unit=unit, nationality="AF"),
            interview_waiver_group="uyghur",
        )
    uyghur = services.work_permit_request(
        actor=caseworker,
        application=eligible_case(unit=unit, nationality="CN"),
        interview_waiver_group="uyghur",
    )
    assert uyghur.interview_waiver_group == "uyghur"


# --- § 94 conditions, one by one ------------------------------------------------------------


def _break(condition: str, permit: WorkPermit) -> None:
    app = permit.application
    if condition == "interview_not_held":
        type(app).objects.filter(pk=app.pk).update(interview_held_at=None)
    elif condition == "identity_not_documented":
        app.person.documents.update(verified=False)
    elif condition == "already_decided":
        type(app).objects.filter(pk=app.pk).update(state="rejected")
    elif condition == "dublin":
        type(app).objects.filter(pk=app.pk).update(track="dublin")


CONDITIONS = ["interview_not_held", "identity_not_documented", "already_decided", "dublin"]


def test_grant_when_every_condition_is_met(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    permit = services.work_permit_transition(
        actor=decider, permit=permit, name="grant", valid_from=dt.date(2026, 1, 31), months=6
    )
    assert permit.state == S.GRANTED
    assert (permit.valid_from, permit.valid_until) == (dt.date(2026, 1, 31), dt.date(2026, 7, 30))
    assert permit.decided_by == decider
    period = WorkPermitPeriod.objects.get(permit=permit)
    assert (period.kind, period.valid_until) == ("first", dt.date(2026, 7, 30))


@pytest.mark.parametrize("condition", CONDITIONS)
def test_each_unmet_condition_is_named_and_nothing_is_written(condition, unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    _break(condition, permit)
    before = events(permit)
    with pytest.raises(ConditionsUnmet) as err:
        services.work_permit_transition(actor=decider, permit=permit, name="grant")
    assert [u.code for u in err.value.unmet] == [condition]
    assert str(err.value.unmet[0].message) in err.value.message
    permit.refresh_from_db()
    assert permit.state == S.REQUESTED and events(permit) == before
    assert not WorkPermitPeriod.objects.exists()


@pytest.mark.parametrize("state", ["accepted", "rejected", "appealed", "withdrawn"])
def test_any_decision_on_the_case_blocks_the_grant(state, unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    type(permit.application).objects.filter(pk=permit.application_id).update(state=state)
    with pytest.raises(ConditionsUnmet) as err:
        services.work_permit_transition(actor=decider, permit=permit, name="grant")
    assert [u.code for u in err.value.unmet] == ["already_decided"]


def test_identity_needs_a_verified_identity_document_not_a_birth_certificate(
    unit, caseworker, decider
):
    permit = permit_for(unit, caseworker)
    permit.person.documents.all().delete()
    IdentityDocumentFactory(person=permit.person, kind="birth_certificate", verified=True)
    with pytest.raises(ConditionsUnmet) as err:
        services.work_permit_transition(actor=decider, permit=permit, name="grant")
    assert [u.code for u in err.value.unmet] == ["identity_not_documented"]
    IdentityDocumentFactory(person=permit.person, kind="national_id", verified=True)
    assert services.work_permit_transition(actor=decider, permit=permit, name="grant").state == (
        S.GRANTED
    )


def test_every_unmet_condition_is_named_at_once(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    for condition in CONDITIONS:
        _break(condition, permit)
    with pytest.raises(ConditionsUnmet) as err:
        services.work_permit_transition(actor=decider, permit=permit, name="grant")
    assert [u.code for u in err.value.unmet] == CONDITIONS


@pytest.mark.parametrize("nationality,group", [("SY", ""), ("YE", ""), ("CN", "uyghur")])
def test_the_interview_is_waived_for_the_groups(nationality, group, unit, caseworker, decider):
    app = eligible_case(unit=unit, nationality=nationality)
    type(app).objects.filter(pk=app.pk).update(interview_held_at=None)
    permit = services.work_permit_request(
        actor=caseworker, application=app, interview_waiver_group=group
    )
    permit = services.work_permit_transition(actor=decider, permit=permit, name="grant")
    assert permit.state == S.GRANTED


def test_an_interview_waived_on_the_case_counts(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    _break("interview_not_held", permit)
    interview_waive(actor=decider, application=permit.application, reason="Cannot be interviewed.")
    assert services.work_permit_transition(actor=decider, permit=permit, name="grant").state == (
        S.GRANTED
    )


def test_a_refusal_records_each_unmet_condition(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    _break("dublin", permit)
    _break("identity_not_documented", permit)
    permit = services.work_permit_transition(actor=decider, permit=permit, name="refuse")
    assert permit.state == S.REFUSED
    assert [u["code"] for u in permit.unmet_conditions] == ["identity_not_documented", "dublin"]
    event = AuditEvent.objects.filter(changes__subject=permit.audit_subject).latest("id")
    assert event.changes["unmet"] == ["identity_not_documented", "dublin"]


def test_refusing_when_every_condition_is_met_needs_grounds(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    with pytest.raises(TransitionInvalid) as err:
        services.work_permit_transition(actor=decider, permit=permit, name="refuse", grounds=" ")
    assert "grounds" in err.value.message_dict
    permit.refresh_from_db()
    assert permit.state == S.REQUESTED


# --- Every transition from every state, every role ------------------------------------------


@pytest.mark.parametrize("name", WORK_PERMIT_TRANSITIONS)
@pytest.mark.parametrize("state", list(S))
def test_each_transition_from_each_state(name, state, unit, caseworker, decider):
    sources, target, fields = TABLE[name]
    permit = permit_for(unit, caseworker, state=state)
    actor = None if name == "expire" else decider
    before = events(permit)
    if state in sources:
        permit = services.work_permit_transition(actor=actor, permit=permit, name=name, **fields)
        permit.refresh_from_db()
        assert permit.state == target
        event = AuditEvent.objects.filter(changes__subject=permit.audit_subject).latest("id")
        assert (event.action, event.source_state, event.target_state) == (
            f"work_permit.{name}",
            state,
            target,
        )
        assert event.actor == actor
    else:
        with pytest.raises(TransitionConflict, match="not possible while"):
            services.work_permit_transition(actor=actor, permit=permit, name=name, **fields)
        permit.refresh_from_db()
        assert permit.state == state and events(permit) == before


@pytest.mark.parametrize("name", WORK_PERMIT_TRANSITIONS)
@pytest.mark.parametrize("role", [*ROLES, "outsider"])
def test_permission_matrix(name, role, unit, role_users):
    """A decision-maker of the case's unit or the police decide; nobody may 'expire' by hand."""
    sources, target, fields = TABLE[name]
    permit = permit_for(unit, role_users["caseworker"], state=sorted(sources)[0])
    before = events(permit), WorkPermitPeriod.objects.count()
    allowed = role in ("decider", "registrar") and name != "expire"
    if allowed:
        permit = services.work_permit_transition(
            actor=role_users[role], permit=permit, name=name, **fields
        )
        assert permit.state == target
    else:
        with pytest.raises(PermissionDenied):
            services.work_permit_transition(
                actor=role_users[role], permit=permit, name=name, **fields
            )
        permit.refresh_from_db()
        assert permit.state == sorted(sources)[0]
        assert (events(permit), WorkPermitPeriod.objects.count()) == before


def test_a_decision_maker_of_another_unit_may_not_decide(unit, other_unit, caseworker, decider):
    permit = permit_for(other_unit, caseworker)
    assert (
        services.available_transitions(record=permit, user=decider, names=WORK_PERMIT_TRANSITIONS)
        == []
    )
    with pytest.raises(PermissionDenied):
        services.work_permit_transition(actor=decider, permit=permit, name="grant")


def test_available_transitions_follow_state_and_guards(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    names = WORK_PERMIT_TRANSITIONS
    assert services.available_transitions(record=permit, user=decider, names=names) == [
        "grant",
        "refuse",
    ]
    _break("dublin", permit)
    permit.refresh_from_db()
    assert services.available_transitions(record=permit, user=decider, names=names) == ["refuse"]


# --- Validity, renewal, reminders, expiry ---------------------------------------------------


def test_validity_is_at_most_six_months(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    for months in (0, 7, "x"):
        with pytest.raises(TransitionInvalid) as err:
            services.work_permit_transition(
                actor=decider, permit=permit, name="grant", months=months
            )
        assert "months" in err.value.message_dict
    permit.refresh_from_db()
    assert permit.state == S.REQUESTED and events(permit) == 0


@time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=dt.UTC), tick=False)
def test_renewal_creates_a_new_period_and_moves_the_reminder(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    permit = services.work_permit_transition(actor=decider, permit=permit, name="grant", months=3)
    assert permit.valid_until == dt.date(2026, 6, 1)
    reminder = Deadline.objects.get(source=WORK_PERMIT_RENEWAL.key, object_id=permit.pk)
    assert timezone.localtime(reminder.due_at).date() == dt.date(2026, 6, 1)
    assert reminder.remind_from == reminder.due_at - dt.timedelta(days=30)
    assert reminder.person == permit.person and reminder.notify_person

    permit = services.work_permit_transition(actor=decider, permit=permit, name="renew", months=6)
    assert (permit.valid_from, permit.valid_until) == (dt.date(2026, 6, 2), dt.date(2026, 12, 1))
    periods = list(WorkPermitPeriod.objects.filter(permit=permit).values_list("kind", "valid_from"))
    assert periods == [("first", dt.date(2026, 3, 2)), ("renewal", dt.date(2026, 6, 2))]
    reminder.refresh_from_db()
    assert timezone.localtime(reminder.due_at).date() == dt.date(2026, 12, 1)


def test_no_renewal_after_a_final_decision(unit, caseworker, decider):
    permit = permit_for(unit, caseworker, state=S.GRANTED)
    type(permit.application).objects.filter(pk=permit.application_id).update(
        state="rejected", is_final=True
    )
    with pytest.raises(TransitionConflict, match="final decision"):
        services.work_permit_transition(actor=decider, permit=permit, name="renew")
    assert WorkPermitPeriod.objects.count() == 0


def test_the_sweep_expires_permits_after_their_last_day(unit, caseworker, decider):
    with time_machine.travel(dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC), tick=False):
        permit = services.work_permit_transition(
            actor=decider, permit=permit_for(unit, caseworker), name="grant", months=1
        )
    assert permit.valid_until == dt.date(2026, 2, 9)
    with time_machine.travel(dt.datetime(2026, 2, 9, 20, tzinfo=dt.UTC), tick=False):
        assert services.work_permits_expire_due() == 0
    with time_machine.travel(dt.datetime(2026, 2, 10, 8, tzinfo=dt.UTC), tick=False):
        assert services.work_permits_expire_due() == 1
        assert services.work_permits_expire_due() == 0
    permit.refresh_from_db()
    assert permit.state == S.EXPIRED and "validity period ended" in permit.lapse_reason
    assert Deadline.objects.get(source=WORK_PERMIT_RENEWAL.key).closed_at is not None
    event = AuditEvent.objects.filter(changes__subject=permit.audit_subject).latest("id")
    assert (event.action, event.actor) == ("work_permit.expire", None)


# --- Lapse at the departure deadline after a rejection --------------------------------------


def granted_on_examined_case(unit, caseworker, decider):
    permit = permit_for(unit, caseworker)
    return services.work_permit_transition(actor=decider, permit=permit, name="grant")


def test_a_first_rejection_sets_the_lapse_at_the_appeal_deadline_once_delivered(
    unit, caseworker, decider
):
    """The departure deadline of a rejection not appealed is the end of the appeal period,
    which runs from the day the decision reached the applicant, not from the decision."""
    permit = granted_on_examined_case(unit, caseworker, decider)
    decided = timezone.now() - dt.timedelta(days=10)
    with time_machine.travel(decided, tick=False):
        app = application_decide(
            actor=decider,
            application=permit.application,
            outcome="rejected",
            grounds="Not credible.",
        )
    permit.refresh_from_db()
    assert permit.state == S.GRANTED and permit.lapses_at is None  # no deadline runs yet
    assert not Deadline.objects.filter(source=WORK_PERMIT_LAPSE.key).exists()
    with time_machine.travel(decided + dt.timedelta(days=6), tick=False):
        app = deliver(app, by=caseworker, at=decided + dt.timedelta(days=4))
    permit.refresh_from_db()
    assert permit.state == S.GRANTED and permit.lapses_at == app.appeal_deadline
    # 3 weeks from the day it reached them, not from the day of the decision
    reached = timezone.localdate(decided + dt.timedelta(days=4))
    assert timezone.localdate(permit.lapses_at) == reached + dt.timedelta(weeks=3)
    lapse = Deadline.objects.get(source=WORK_PERMIT_LAPSE.key, object_id=permit.pk)
    assert lapse.due_at == app.appeal_deadline and lapse.closed_at is None

    # Not appealed: at the appeal deadline (the departure deadline) the sweep ends it.
    assert services.work_permits_expire_due(now=app.appeal_deadline - dt.timedelta(seconds=1)) == 0
    assert services.work_permits_expire_due(now=app.appeal_deadline) == 1
    permit.refresh_from_db()
    assert permit.state == S.EXPIRED and "departure deadline" in permit.lapse_reason


def test_an_appeal_lifts_the_lapse_and_a_dismissal_sets_it_three_weeks_on(
    unit, caseworker, decider, appeals
):
    permit = granted_on_examined_case(unit, caseworker, decider)
    app = application_decide(
        actor=decider, application=permit.application, outcome="rejected", grounds="Not credible."
    )
    app = deliver(app, by=caseworker)
    app = application_appeal(actor=caseworker, application=app, lodged_by="x")
    permit.refresh_from_db()
    assert permit.lapses_at is None
    assert Deadline.objects.get(source=WORK_PERMIT_LAPSE.key).closed_at is not None

    # The Directorate upholds its decision: the appeal goes on to the board, no lapse yet.
    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="Nothing new."
    )
    permit.refresh_from_db()
    assert permit.lapses_at is None
    with time_machine.travel(dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC), tick=False):
        application_transition(
            actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
        )
    permit.refresh_from_db()
    # the appeals body's final decision is notified when made: 3 weeks from then
    dismissed = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    assert Application.objects.get(pk=app.pk).notified_at == dismissed
    assert permit.lapses_at == dt.datetime(2026, 5, 25, 12, tzinfo=dt.UTC)
    actions = list(
        AuditEvent.objects.filter(changes__subject=permit.audit_subject)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions[-3:] == [
        "work_permit.lapse_set",
        "work_permit.lapse_lifted",
        "work_permit.lapse_set",
    ]
    assert services.work_permits_expire_due(now=permit.lapses_at) == 1


def test_acceptance_ends_the_permit_at_once(unit, caseworker, decider):
    permit = granted_on_examined_case(unit, caseworker, decider)
    application_decide(
        actor=decider, application=permit.application, outcome="refugee_convention", grounds="x"
    )
    permit.refresh_from_db()
    assert permit.state == S.EXPIRED and "decided" in permit.lapse_reason


def test_a_refused_asylum_transition_leaves_the_permit_alone(unit, caseworker, decider, outsider):
    permit = granted_on_examined_case(unit, caseworker, decider)
    with pytest.raises(PermissionDenied):
        application_decide(
            actor=outsider, application=permit.application, outcome="rejected", grounds="x"
        )
    permit.refresh_from_db()
    assert permit.lapses_at is None and permit.state == S.GRANTED


def test_permits_of_other_cases_are_untouched(unit, caseworker, decider):
    permit = granted_on_examined_case(unit, caseworker, decider)
    other = ApplicationFactory(person=PersonFactory(), state="examined", unit=unit)
    type(other).objects.filter(pk=other.pk).update(interview_held_at=timezone.now())
    other.refresh_from_db()
    application_decide(actor=decider, application=other, outcome="rejected", grounds="x")
    permit.refresh_from_db()
    assert permit.lapses_at is None


def test_the_periodic_task_expires_what_is_due(unit, caseworker, decider):
    from config.celery import _beat_schedule
    from integration.tasks import expire_work_permits

    assert _beat_schedule()["expire-work-permits"]["task"] == expire_work_permits.name
    permit = permit_for(unit, caseworker, state=S.GRANTED)
    WorkPermit.objects.filter(pk=permit.pk).update(
        valid_until=timezone.localdate() - dt.timedelta(days=1)
    )
    assert expire_work_permits.apply().get() == 1
    permit.refresh_from_db()
    assert permit.state == S.EXPIRED


def test_the_applicant_is_reminded_a_month_before_expiry(unit, caseworker, decider):
    from casework.deadlines.reminders import reminders_create_due
    from casework.models import Reminder

    with time_machine.travel(dt.datetime(2026, 1, 10, 10, tzinfo=dt.UTC), tick=False):
        permit = services.work_permit_transition(
            actor=decider, permit=permit_for(unit, caseworker), name="grant", months=6
        )
    assert permit.valid_until == dt.date(2026, 7, 9)
    recipient = f"person:{permit.person_id}"
    with time_machine.travel(dt.datetime(2026, 6, 8, 12, tzinfo=dt.UTC), tick=False):
        reminders_create_due()
    assert not Reminder.objects.filter(recipient=recipient).exists()
    with time_machine.travel(dt.datetime(2026, 6, 10, 8, tzinfo=dt.UTC), tick=False):
        reminders_create_due()
    assert Reminder.objects.get(recipient=recipient).deadline.source == WORK_PERMIT_RENEWAL.key
