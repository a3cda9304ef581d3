"""Family reunification: the income-requirement windows, the 24-year rule, the state machine."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.services import application_decide
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.reminders import reminders_create_due
from casework.models import AuditEvent, Deadline, Reminder
from integration import services
from integration.choices import FamilyState as S
from integration.choices import IncomeRule
from integration.deadlines import FAMILY_APPEAL, FAMILY_DOCUMENTS_WINDOW, FAMILY_REGISTRATION_WINDOW
from integration.eligibility import add_months, family_windows
from integration.models import FamilyReunification
from integration.workflow import FAMILY_TRANSITIONS
from tests.factories import PersonFactory
from tests.integration.factories import FamilyReunificationFactory, eligible_case

pytestmark = pytest.mark.django_db

DECIDED = dt.datetime(2026, 3, 15, 10, tzinfo=dt.UTC)  # protection decision: 15 March 2026
ARRIVED = dt.date(2025, 9, 1)


def utc(y: int, m: int, d: int, h: int = 10) -> dt.datetime:
    return dt.datetime(y, m, d, h, tzinfo=dt.UTC)


@pytest.fixture
def sponsor_case(unit, caseworker, decider):
    """A refugee granted protection on 15 March 2026, who came to Norway on 1 September 2025."""
    app = eligible_case(unit=unit, assigned_to=caseworker, lodged_on=ARRIVED)
    with time_machine.travel(DECIDED, tick=False):
        application_decide(
            actor=decider, application=app, outcome="refugee_convention", grounds="Persecution."
        )
    app.refresh_from_db()
    return app


def register(actor, sponsor_case, *, on: dt.date, relation="child", applicant=None, **kw):
    if applicant is None:
        born = on - dt.timedelta(days=365 * 10) if relation == "child" else dt.date(1990, 1, 1)
        applicant = PersonFactory(date_of_birth=born)
    with time_machine.travel(dt.datetime.combine(on, dt.time(10), tzinfo=dt.UTC), tick=False):
        return services.family_register(
            actor=actor,
            sponsor=sponsor_case.person,
            applicant=applicant,
            relation=relation,
            sponsor_basis="protection",
            sponsor_application=sponsor_case,
            **kw,
        )


# --- Windows and reminders ------------------------------------------------------------------


def test_month_arithmetic_at_month_ends():
    assert add_months(dt.date(2026, 8, 31), 6) == dt.date(2027, 2, 28)
    assert add_months(dt.date(2027, 8, 31), 6) == dt.date(2028, 2, 29)
    assert family_windows(dt.date(2026, 3, 15)) == (dt.date(2026, 9, 15), dt.date(2027, 3, 15))
    # Protection granted before 1 August 2017: only the 12-month deadline applied.
    assert family_windows(dt.date(2017, 7, 31)) == (None, dt.date(2018, 7, 31))


def test_protection_opens_both_windows_with_reminders_a_month_before_each_closes(sponsor_case):
    rows = {d.source: d for d in Deadline.objects.filter(object_id=sponsor_case.pk)}
    reg, docs = rows[FAMILY_REGISTRATION_WINDOW.key], rows[FAMILY_DOCUMENTS_WINDOW.key]
    assert timezone.localtime(reg.due_at).date() == dt.date(2026, 9, 15)
    assert timezone.localtime(docs.due_at).date() == dt.date(2027, 3, 15)
    # 30 days before each window closes: at about 5 and about 11 months.
    assert timezone.localtime(reg.remind_from).date() == dt.date(2026, 8, 16)
    assert timezone.localtime(docs.remind_from).date() == dt.date(2027, 2, 13)
    assert reg.person == sponsor_case.person and reg.notify_person and reg.application is None
    assert AuditEvent.objects.filter(
        person=sponsor_case.person, action="family.windows_opened", application=None
    )


def test_the_sponsor_is_reminded_a_month_before_the_registration_window_closes(sponsor_case):
    recipient = f"person:{sponsor_case.person_id}"
    # the sponsor's own case told them of its events (received, decision): not this test's
    Reminder.objects.filter(recipient=recipient).delete()
    with time_machine.travel(utc(2026, 8, 16, 12), tick=False):
        reminders_create_due()
    assert not Reminder.objects.filter(recipient=recipient).exists()
    with time_machine.travel(utc(2026, 8, 17, 8), tick=False):
        reminders_create_due()
        reminders_create_due()  # a repeated sweep changes nothing
    reminder = Reminder.objects.get(recipient=recipient)
    assert reminder.deadline.source == FAMILY_REGISTRATION_WINDOW.key


@pytest.mark.parametrize("outcome", ["humanitarian", "collective"])
def test_no_windows_without_refugee_status(outcome, unit, caseworker, decider):
    app = eligible_case(
        unit=unit, assigned_to=caseworker, kind=outcome.replace("humanitarian", "protection")
    )
    application_decide(actor=decider, application=app, outcome=outcome, grounds="x")
    assert not Deadline.objects.filter(source__startswith="integration.family").exists()


def test_registration_and_documents_close_the_sponsor_reminders(caseworker, sponsor_case):
    r = register(caseworker, sponsor_case, on=dt.date(2026, 5, 1))
    reg = Deadline.objects.get(source=FAMILY_REGISTRATION_WINDOW.key)
    docs = Deadline.objects.get(source=FAMILY_DOCUMENTS_WINDOW.key)
    assert reg.closed_at is not None and docs.closed_at is None
    services.family_record_documents(
        actor=caseworker, reunification=r, handed_in_on=dt.date(2026, 6, 1)
    )
    docs.refresh_from_db()
    assert docs.closed_at is not None


# --- The 6/12-month rule at its boundaries --------------------------------------------------


@pytest.mark.parametrize(
    "registered_on,rule",
    [(dt.date(2026, 9, 15), IncomeRule.PENDING), (dt.date(2026, 9, 16), IncomeRule.APPLIES)],
)
def test_registration_within_six_months(registered_on, rule, caseworker, sponsor_case):
    r = register(caseworker, sponsor_case, on=registered_on)
    assert r.income_rule == rule
    assert r.registration_deadline == dt.date(2026, 9, 15)
    if rule == IncomeRule.APPLIES:
        assert "after the 6-month deadline of 15 Sep 2026" in r.income_rule_reason
    else:
        assert "handed in by 15 Mar 2027" in r.income_rule_reason


@pytest.mark.parametrize(
    "handed_in_on,rule",
    [(dt.date(2027, 3, 15), IncomeRule.EXEMPT), (dt.date(2027, 3, 16), IncomeRule.APPLIES)],
)
def test_documents_within_twelve_months(handed_in_on, rule, caseworker, sponsor_case):
    r = register(caseworker, sponsor_case, on=dt.date(2026, 9, 15))
    with time_machine.travel(dt.datetime.combine(handed_in_on, dt.time(12), tzinfo=dt.UTC)):
        r = services.family_record_documents(
            actor=caseworker, reunification=r, handed_in_on=handed_in_on
        )
    assert r.income_rule == rule
    event = AuditEvent.objects.filter(changes__subject=r.audit_subject).latest("id")
    assert event.action == "family.documents"
    assert event.changes["income_rule"] == ["pending", rule]
    assert event.reason == r.income_rule_reason


@pytest.mark.parametrize(
    "today,rule",
    [(utc(2027, 3, 15, 20), IncomeRule.PENDING), (utc(2027, 3, 16, 8), IncomeRule.APPLIES)],
)
def test_the_exemption_lapses_when_twelve_months_pass_without_documents(
    today, rule, caseworker, sponsor_case
):
    r = register(caseworker, sponsor_case, on=dt.date(2026, 6, 1))
    with time_machine.travel(today, tick=False):
        r = services.family_transition(actor=caseworker, reunification=r, name="start_examination")
    assert r.income_rule == rule


def test_protection_before_august_2017_has_only_the_twelve_month_deadline(caseworker):
    sponsor_app = eligible_case(lodged_on=dt.date(2016, 1, 4), state="accepted")
    sponsor_app.decisions.create(
        instance="first", outcome="refugee_other", grounds="x", decided_at=utc(2017, 7, 31)
    )
    r = register(caseworker, sponsor_app, on=dt.date(2018, 7, 1))
    assert r.income_rule == IncomeRule.PENDING and r.registration_deadline is None


# --- Who is exempt: relations and the sponsor's basis ---------------------------------------


def test_a_spouse_married_before_the_sponsor_came_is_exempt(caseworker, sponsor_case):
    r = register(
        caseworker,
        sponsor_case,
        on=dt.date(2026, 5, 1),
        relation="spouse",
        relationship_since=dt.date(2015, 6, 1),
    )
    assert r.income_rule == IncomeRule.PENDING and not r.age_rule_applies


def test_a_spouse_married_after_the_sponsor_came_meets_the_income_and_age_rules(
    caseworker, sponsor_case
):
    r = register(
        caseworker,
        sponsor_case,
        on=dt.date(2026, 5, 1),
        relation="spouse",
        relationship_since=dt.date(2025, 12, 1),
    )
    assert r.income_rule == IncomeRule.APPLIES and "after the sponsor came" in r.income_rule_reason
    assert r.age_rule_applies


def test_other_relatives_meet_the_income_requirement(caseworker, sponsor_case):
    r = register(
        caseworker,
        sponsor_case,
        on=dt.date(2026, 5, 1),
        relation="other",
        exception_reason="Dependent parent with no other family.",
    )
    assert r.income_rule == IncomeRule.APPLIES and "other relatives" in r.income_rule_reason


def test_a_sponsor_with_another_residence_permit_meets_the_general_rule(caseworker):
    r = services.family_register(
        actor=caseworker,
        sponsor=PersonFactory(),
        applicant=PersonFactory(date_of_birth=dt.date(2015, 1, 1)),
        relation="child",
        sponsor_basis="residence_permit",
        sponsor_arrived_on=dt.date(2020, 1, 1),
    )
    assert r.income_rule == IncomeRule.APPLIES and "not a refugee" in r.income_rule_reason


@pytest.mark.parametrize(
    "relation,kw,field",
    [
        ("child", {"applicant": "adult"}, "relation"),
        ("cohabitant", {"relationship_since": dt.date(2024, 5, 2)}, "relationship_since"),
        ("spouse", {}, "relationship_since"),
        ("other", {}, "exception_reason"),
    ],
)
def test_registration_checks_the_relationship(relation, kw, field, caseworker, sponsor_case):
    if kw.get("applicant") == "adult":
        kw["applicant"] = PersonFactory(date_of_birth=dt.date(2008, 5, 1))  # 18 on 1 May 2026
    with pytest.raises(TransitionInvalid) as err:
        register(caseworker, sponsor_case, on=dt.date(2026, 5, 1), relation=relation, **kw)
    assert field in err.value.message_dict
    assert not FamilyReunification.objects.exists()
    assert not AuditEvent.objects.filter(action="family.registered").exists()


def test_cohabitants_of_exactly_two_years_qualify(caseworker, sponsor_case):
    r = register(
        caseworker,
        sponsor_case,
        on=dt.date(2026, 5, 1),
        relation="cohabitant",
        relationship_since=dt.date(2024, 5, 1),
        sponsor_arrived_on=dt.date(2025, 9, 1),
    )
    assert r.income_rule == IncomeRule.PENDING


def test_a_protection_sponsor_needs_an_accepted_application(caseworker):
    examined = eligible_case()
    with pytest.raises(TransitionInvalid) as err:
        services.family_register(
            actor=caseworker,
            sponsor=examined.person,
            applicant=PersonFactory(),
            relation="child",
            sponsor_basis="protection",
            sponsor_application=examined,
        )
    assert "sponsor_application" in err.value.message_dict


@pytest.mark.parametrize("role", ["decider", "appeals", "reception", "integration", "auditor"])
def test_who_may_not_register(role, role_users, sponsor_case):
    with pytest.raises(PermissionDenied):
        register(role_users[role], sponsor_case, on=dt.date(2026, 5, 1))
    assert not AuditEvent.objects.filter(action="family.registered").exists()


# --- Decisions: income requirement and 24-year rule -----------------------------------------


def test_when_the_income_requirement_applies_acceptance_needs_it_met(caseworker, decider):
    r = FamilyReunificationFactory(state=S.EXAMINED, income_rule=IncomeRule.APPLIES)
    with pytest.raises(TransitionInvalid) as err:
        services.family_transition(actor=decider, reunification=r, name="accept", grounds="ok")
    assert "income_requirement_met" in err.value.message_dict
    r = services.family_transition(
        actor=decider, reunification=r, name="accept", grounds="ok", income_requirement_met=True
    )
    assert r.state == S.ACCEPTED


def test_very_special_circumstances_may_exempt_from_income(decider):
    r = FamilyReunificationFactory(state=S.EXAMINED, income_rule=IncomeRule.APPLIES)
    r = services.family_transition(
        actor=decider,
        reunification=r,
        name="accept",
        grounds="ok",
        income_exemption_reason="Strong humanitarian considerations.",
    )
    assert r.state == S.ACCEPTED


@pytest.mark.parametrize(
    "applicant_born,ok", [(dt.date(2003, 1, 1), False), (dt.date(2000, 1, 1), True)]
)
@time_machine.travel(utc(2026, 6, 1), tick=False)
def test_the_24_year_rule(applicant_born, ok, decider):
    r = FamilyReunificationFactory(
        state=S.EXAMINED,
        relation="spouse",
        age_rule_applies=True,
        income_rule=IncomeRule.APPLIES,
        sponsor=PersonFactory(date_of_birth=dt.date(1995, 1, 1)),
        applicant=PersonFactory(date_of_birth=applicant_born),
    )
    fields = {"grounds": "ok", "income_requirement_met": True}
    if ok:
        assert services.family_transition(actor=decider, reunification=r, name="accept", **fields)
        return
    with pytest.raises(TransitionInvalid) as err:
        services.family_transition(actor=decider, reunification=r, name="accept", **fields)
    assert "age_rule_waiver" in err.value.message_dict
    r = services.family_transition(
        actor=decider,
        reunification=r,
        name="accept",
        age_rule_waiver="Obviously voluntary: long relationship documented.",
        **fields,
    )
    assert r.state == S.ACCEPTED


# --- Every transition from every state, every role ------------------------------------------

TABLE = {
    "start_examination": ({S.SUBMITTED}, S.EXAMINED, "caseworker", {}),
    "accept": (
        {S.EXAMINED},
        S.ACCEPTED,
        "decider",
        {"grounds": "ok", "income_requirement_met": True},
    ),
    "reject": ({S.EXAMINED}, S.REJECTED, "decider", {"grounds": "Relationship not proven."}),
    "appeal": ({S.REJECTED}, S.APPEALED, "caseworker", {}),
    "grant_appeal": ({S.APPEALED}, S.ACCEPTED, "appeals", {"grounds": "DNA test positive."}),
    "dismiss_appeal": ({S.APPEALED}, S.REJECTED, "appeals", {"grounds": "Upheld."}),
}
ROLES = ["caseworker", "decider", "appeals", "registrar", "reception", "integration", "auditor"]


def test_the_table_covers_every_transition():
    assert set(TABLE) == set(FAMILY_TRANSITIONS)


def test_the_declarations_are_the_lawful_lifecycle():
    """``workflow.py`` declares exactly the sources and targets the table gives."""
    declared = {n: (set(d.source), d.target) for n, d in services.FAMILY.transitions.items()}
    table = {n: (set(row[0]), row[1]) for n, row in TABLE.items()}
    assert declared == table


def events(r: FamilyReunification) -> int:
    return AuditEvent.objects.filter(changes__subject=r.audit_subject).count()


@pytest.mark.parametrize("name", FAMILY_TRANSITIONS)
@pytest.mark.parametrize("state", list(S))
def test_each_transition_from_each_state(name, state, role_users):
    sources, target, role, fields = TABLE[name]
    r = FamilyReunificationFactory(state=state)
    if state in sources:
        r = services.family_transition(actor=role_users[role], reunification=r, name=name, **fields)
        r.refresh_from_db()
        assert r.state == target
        event = AuditEvent.objects.filter(changes__subject=r.audit_subject).latest("id")
        assert (event.action, event.source_state, event.target_state, event.actor) == (
            f"family.{name}",
            state,
            target,
            role_users[role],
        )
    else:
        with pytest.raises(TransitionConflict, match="not possible while"):
            services.family_transition(actor=role_users[role], reunification=r, name=name, **fields)
        r.refresh_from_db()
        assert r.state == state and events(r) == 0


@pytest.mark.parametrize("name", FAMILY_TRANSITIONS)
@pytest.mark.parametrize("role", ROLES)
def test_permission_matrix(name, role, role_users):
    sources, target, allowed, fields = TABLE[name]
    state = sorted(sources)[0]
    r = FamilyReunificationFactory(state=state)
    if role == allowed:
        r = services.family_transition(actor=role_users[role], reunification=r, name=name, **fields)
        assert r.state == target
    else:
        with pytest.raises(PermissionDenied):
            services.family_transition(actor=role_users[role], reunification=r, name=name, **fields)
        r.refresh_from_db()
        assert r.state == state and events(r) == 0


def test_rejection_sets_the_appeal_deadline_and_a_late_appeal_needs_a_reason(caseworker, decider):
    r = FamilyReunificationFactory(state=S.EXAMINED)
    with time_machine.travel(utc(2026, 4, 6), tick=False):  # a Monday
        r = services.family_transition(actor=decider, reunification=r, name="reject", grounds="x")
    assert timezone.localtime(r.appeal_deadline).date() == dt.date(2026, 4, 27)
    deadline = Deadline.objects.get(source=FAMILY_APPEAL.key, object_id=r.pk)
    assert deadline.person == r.applicant and deadline.due_at == r.appeal_deadline
    with time_machine.travel(utc(2026, 4, 28), tick=False):
        with pytest.raises(TransitionInvalid) as err:
            services.family_transition(actor=caseworker, reunification=r, name="appeal")
        assert "late_reason" in err.value.message_dict
        r = services.family_transition(
            actor=caseworker, reunification=r, name="appeal", late_reason="Letter arrived late."
        )
    assert r.state == S.APPEALED
    deadline.refresh_from_db()
    assert deadline.closed_at is not None


def test_a_dismissed_appeal_is_final(caseworker, appeals):
    r = FamilyReunificationFactory(state=S.APPEALED)
    r = services.family_transition(
        actor=appeals, reunification=r, name="dismiss_appeal", grounds="Upheld."
    )
    assert r.state == S.REJECTED and r.is_final
    with pytest.raises(TransitionConflict, match="final"):
        services.family_transition(actor=caseworker, reunification=r, name="appeal")


def test_a_stale_version_is_a_conflict(caseworker):
    r = FamilyReunificationFactory()
    with pytest.raises(TransitionConflict, match="Another user"):
        services.family_transition(
            actor=caseworker, reunification=r, name="start_examination", expected_version=0
        )
    assert events(r) == 0


def test_documents_are_not_recorded_after_the_decision(caseworker):
    r = FamilyReunificationFactory(state=S.ACCEPTED, registered_on=dt.date(2026, 1, 1))
    with pytest.raises(TransitionConflict):
        services.family_record_documents(actor=caseworker, reunification=r)
