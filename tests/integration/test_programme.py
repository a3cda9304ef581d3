"""Introduction programme: the right to it (age, permit, residence), duration, hours, tests."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import AuditEvent, Deadline
from integration import selectors, services
from integration.choices import ProgrammeState as S
from integration.deadlines import PROGRAMME_END
from integration.eligibility import add_months
from integration.models import IntroductionProgramme, NorwegianTest, ProgrammeElement
from integration.services import ConditionsUnmet
from integration.workflow import PROGRAMME_TRANSITIONS
from tests.integration.factories import settled, with_state

pytestmark = pytest.mark.django_db

TODAY = timezone.localdate()
SETTLED_ON = TODAY - dt.timedelta(days=30)


def enrol(actor, settlement, start_on=None, years=2):
    start_on = start_on or settlement.settled_on + dt.timedelta(days=7)
    return services.programme_enrol(
        actor=actor,
        settlement=settlement,
        start_on=start_on,
        planned_end_on=add_months(start_on, 12 * years),
    )


def events(programme: IntroductionProgramme) -> int:
    return AuditEvent.objects.filter(changes__subject=programme.audit_subject).count()


# --- Enrolment ------------------------------------------------------------------------------


def test_an_officer_enrols_a_person_settled_in_their_municipality(bergen_officer, bergen):
    settlement = settled()
    programme = enrol(bergen_officer, settlement)
    assert programme.state == S.ENROLLED and programme.municipality == bergen
    assert not programme.collective_protection
    deadline = Deadline.objects.get(source=PROGRAMME_END.key, object_id=programme.pk)
    assert timezone.localtime(deadline.due_at).date() == programme.planned_end_on
    assert deadline.recipient_user == bergen_officer
    event = AuditEvent.objects.get(changes__subject=programme.audit_subject)
    assert (event.action, event.actor, event.target_state) == (
        "programme.enrolled",
        bergen_officer,
        "enrolled",
    )


@pytest.mark.parametrize(
    "age,ok", [(17, False), (18, True), (55, True), (56, False)], ids=lambda v: str(v)
)
def test_age_at_settlement_must_be_18_to_55(age, ok, bergen_officer):
    # Born so that the person turned ``age`` on the day of settlement.
    settlement = settled(settled_on=SETTLED_ON, born=add_months(SETTLED_ON, -12 * age))
    if ok:
        assert enrol(bergen_officer, settlement).state == S.ENROLLED
        return
    with pytest.raises(ConditionsUnmet) as err:
        enrol(bergen_officer, settlement)
    assert [u.code for u in err.value.unmet] == ["age"]
    assert f"Aged {age} at settlement" in err.value.message
    assert not IntroductionProgramme.objects.exists() and not AuditEvent.objects.exists()


def test_the_day_before_the_18th_birthday_is_too_young(bergen_officer):
    born = add_months(SETTLED_ON, -12 * 18) + dt.timedelta(days=1)
    with pytest.raises(ConditionsUnmet, match="Aged 17"):
        enrol(bergen_officer, settled(settled_on=SETTLED_ON, born=born))


@pytest.mark.parametrize("outcome", ["minor_limited", "rejected"])
def test_a_qualifying_permit_is_needed(outcome, bergen_officer):
    with pytest.raises(ConditionsUnmet) as err:
        enrol(bergen_officer, settled(outcome=outcome))
    assert [u.code for u in err.value.unmet] == ["permit"]


@pytest.mark.parametrize("outcome", ["refugee_other", "humanitarian"])
def test_other_qualifying_permits(outcome, bergen_officer):
    assert enrol(bergen_officer, settled(outcome=outcome)).state == S.ENROLLED


def test_collective_protection_qualifies_and_is_marked(bergen_officer):
    programme = enrol(bergen_officer, settled(kind="collective", outcome="collective"))
    assert programme.collective_protection


@pytest.mark.parametrize("extra_days,ok", [(0, True), (1, False)])
def test_the_right_lapses_two_years_after_settlement(extra_days, ok, bergen_officer):
    settled_on = add_months(TODAY, -24) - dt.timedelta(days=extra_days)
    settlement = settled(settled_on=settled_on, born=dt.date(1990, 1, 1))
    if ok:
        assert enrol(bergen_officer, settlement, start_on=TODAY).state == S.ENROLLED
    else:
        with pytest.raises(ConditionsUnmet) as err:
            enrol(bergen_officer, settlement, start_on=TODAY)
        assert [u.code for u in err.value.unmet] == ["resident_too_long"]


def test_every_reason_is_given_at_once(bergen_officer):
    settlement = settled(born=add_months(SETTLED_ON, -12 * 60), outcome="minor_limited")
    with pytest.raises(ConditionsUnmet) as err:
        enrol(bergen_officer, settlement)
    assert [u.code for u in err.value.unmet] == ["age", "permit"]


@pytest.mark.parametrize(
    "role", ["caseworker", "decider", "reception", "auditor", "registrar", "outsider"]
)
def test_only_the_municipalitys_officers_enrol(role, role_users, bergen_officer):
    with pytest.raises(PermissionDenied):
        enrol(role_users[role], settled())
    assert not IntroductionProgramme.objects.exists() and not AuditEvent.objects.exists()


def test_an_officer_of_another_municipality_may_not_enrol(oslo_officer):
    with pytest.raises(PermissionDenied):
        enrol(oslo_officer, settled(municipality="Bergen"))
    assert enrol(oslo_officer, settled(municipality="Oslo")).state == S.ENROLLED


def test_an_integration_officer_with_no_municipality_may_not_enrol(integration_officer):
    with pytest.raises(PermissionDenied):
        enrol(integration_officer, settled())


@pytest.mark.parametrize("months,ok", [(36, True), (37, False)])
def test_a_programme_lasts_up_to_three_years(months, ok, bergen_officer):
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    end = add_months(start, months)
    if ok:
        assert services.programme_enrol(
            actor=bergen_officer, settlement=settlement, start_on=start, planned_end_on=end
        )
    else:
        with pytest.raises(TransitionInvalid) as err:
            services.programme_enrol(
                actor=bergen_officer, settlement=settlement, start_on=start, planned_end_on=end
            )
        assert "planned_end_on" in err.value.message_dict


def test_one_running_programme_per_person(bergen_officer):
    settlement = settled()
    enrol(bergen_officer, settlement)
    with pytest.raises(TransitionConflict, match="already enrolled"):
        enrol(bergen_officer, settlement)


# --- Transitions ----------------------------------------------------------------------------

TABLE = {
    "extend": ({S.ENROLLED}, S.ENROLLED, "extend"),
    "complete": ({S.ENROLLED}, S.COMPLETED, "complete"),
    "discontinue": ({S.ENROLLED}, S.DISCONTINUED, "discontinue"),
}


def fields_for(name: str, programme: IntroductionProgramme) -> dict:
    if name == "extend":
        return {
            "planned_end_on": add_months(programme.start_on, 48),
            "reason": "Completing upper-secondary education.",
        }
    if name == "complete":
        return {"outcome": "work", "note": "Hired as a nurse's aide."}
    return {"reason": "Moved abroad."}


def test_the_table_covers_every_transition():
    assert set(TABLE) == set(PROGRAMME_TRANSITIONS)


def test_the_declarations_are_the_lawful_lifecycle():
    """``workflow.py`` declares exactly the sources and targets the table gives."""
    declared = {n: (set(d.source), d.target) for n, d in services.PROGRAMMES.transitions.items()}
    table = {n: (set(row[0]), row[1]) for n, row in TABLE.items()}
    assert declared == table


@pytest.mark.parametrize("name", PROGRAMME_TRANSITIONS)
@pytest.mark.parametrize("state", list(S))
def test_each_transition_from_each_state(name, state, bergen_officer):
    sources, target, _ = TABLE[name]
    programme = with_state(IntroductionProgramme, enrol(bergen_officer, settled()), state)
    before = events(programme)
    fields = fields_for(name, programme)
    if state in sources:
        programme = services.programme_transition(
            actor=bergen_officer, programme=programme, name=name, **fields
        )
        assert programme.state == target
        event = AuditEvent.objects.filter(changes__subject=programme.audit_subject).latest("id")
        assert (event.action, event.source_state, event.target_state) == (
            f"programme.{name}",
            state,
            target,
        )
    else:
        with pytest.raises(TransitionConflict, match="not possible while"):
            services.programme_transition(
                actor=bergen_officer, programme=programme, name=name, **fields
            )
        programme.refresh_from_db()
        assert programme.state == state and events(programme) == before


@pytest.mark.parametrize("name", PROGRAMME_TRANSITIONS)
@pytest.mark.parametrize(
    "who", ["bergen", "oslo", "caseworker", "decider", "auditor", "reception", "registrar"]
)
def test_permission_matrix(name, who, bergen_officer, oslo_officer, role_users):
    actor = {"bergen": bergen_officer, "oslo": oslo_officer}.get(who) or role_users[who]
    programme = enrol(bergen_officer, settled())
    before = events(programme)
    fields = fields_for(name, programme)
    if who == "bergen":
        services.programme_transition(actor=actor, programme=programme, name=name, **fields)
    else:
        with pytest.raises(PermissionDenied):
            services.programme_transition(actor=actor, programme=programme, name=name, **fields)
        programme.refresh_from_db()
        assert programme.state == S.ENROLLED and events(programme) == before


def test_extension_by_up_to_a_year_needs_a_reason(bergen_officer):
    programme = enrol(bergen_officer, settled(), years=3)
    four_years = add_months(programme.start_on, 48)
    with pytest.raises(TransitionInvalid) as err:
        services.programme_transition(
            actor=bergen_officer,
            programme=programme,
            name="extend",
            planned_end_on=four_years,
            reason="",
        )
    assert "reason" in err.value.message_dict
    with pytest.raises(TransitionInvalid) as err:
        services.programme_transition(
            actor=bergen_officer,
            programme=programme,
            name="extend",
            planned_end_on=four_years + dt.timedelta(days=1),
            reason="Upper secondary.",
        )
    assert "planned_end_on" in err.value.message_dict
    programme = services.programme_transition(
        actor=bergen_officer,
        programme=programme,
        name="extend",
        planned_end_on=four_years,
        reason="Upper secondary.",
    )
    assert programme.planned_end_on == four_years and programme.extension_reason
    deadline = Deadline.objects.get(source=PROGRAMME_END.key, object_id=programme.pk)
    assert timezone.localtime(deadline.due_at).date() == four_years


def test_completion_records_the_outcome_and_closes_the_deadline(bergen_officer):
    programme = enrol(bergen_officer, settled())
    with pytest.raises(TransitionInvalid) as err:
        services.programme_transition(
            actor=bergen_officer, programme=programme, name="complete", outcome="retired"
        )
    assert "outcome" in err.value.message_dict
    programme = services.programme_transition(
        actor=bergen_officer, programme=programme, name="complete", outcome="education"
    )
    assert (programme.state, programme.outcome, programme.ended_on) == (
        S.COMPLETED,
        "education",
        TODAY,
    )
    assert Deadline.objects.get(source=PROGRAMME_END.key).closed_at is not None


# --- Weekly hours ---------------------------------------------------------------------------


@pytest.fixture
def collective_programme(bergen_officer):
    settlement = settled(
        kind="collective", outcome="collective", settled_on=TODAY - dt.timedelta(days=90)
    )
    return services.programme_enrol(
        actor=bergen_officer,
        settlement=settlement,
        start_on=dt.date(TODAY.year, TODAY.month, 1) - dt.timedelta(days=31),
        planned_end_on=add_months(TODAY, 12),
    )


def add(actor, programme, kind, hours, start_on, end_on=None, provider=""):
    return services.programme_add_element(
        actor=actor,
        programme=programme,
        kind=kind,
        hours_per_week=hours,
        start_on=start_on,
        end_on=end_on,
        provider=provider,
    )


def test_collective_protection_needs_15_hours_of_work_from_month_four(
    bergen_officer, collective_programme
):
    p = collective_programme
    month4 = add_months(p.start_on, 3)
    _el, warnings = add(bergen_officer, p, "norwegian", 15, p.start_on)
    assert len(warnings) == 1 and "0 h/week of work-oriented" in warnings[0]
    assert f"From {month4:%d %b %Y}" in warnings[0]
    _el, warnings = add(bergen_officer, p, "work", 10, month4)
    assert "10 h/week of work-oriented" in warnings[0]
    _el, warnings = add(bergen_officer, p, "work", 5, month4, provider="NAV work training")
    assert warnings == []
    assert services.programme_warnings(p) == []
    event = AuditEvent.objects.filter(changes__subject=p.audit_subject).latest("id")
    assert event.action == "programme.element_added" and event.changes["warnings"] == []


def test_work_starting_a_day_after_month_four_falls_short(bergen_officer, collective_programme):
    p = collective_programme
    month4 = add_months(p.start_on, 3)
    _el, warnings = add(bergen_officer, p, "work", 15, month4 + dt.timedelta(days=1))
    assert f"From {month4:%d %b %Y} the plan has 0 h/week" in warnings[0]


def test_a_gap_between_work_placements_is_found(bergen_officer, collective_programme):
    p = collective_programme
    month4 = add_months(p.start_on, 3)
    gap = month4 + dt.timedelta(days=30)
    add(bergen_officer, p, "work", 15, month4, end_on=gap - dt.timedelta(days=1))
    _el, warnings = add(bergen_officer, p, "work", 15, gap + dt.timedelta(days=1))
    assert f"From {gap:%d %b %Y} the plan has 0 h/week" in warnings[0]


def test_the_work_rule_is_for_collective_protection_only(bergen_officer):
    p = enrol(bergen_officer, settled())
    _el, warnings = add(bergen_officer, p, "norwegian", 20, p.start_on)
    assert warnings == []


def test_more_than_full_time_is_flagged(bergen_officer):
    p = enrol(bergen_officer, settled())
    add(bergen_officer, p, "norwegian", 20, p.start_on)
    el, warnings = add(bergen_officer, p, "digital_norwegian", 18, p.start_on, provider="Online")
    assert el.get_kind_display() == "digital Norwegian course" and el.provider == "Online"
    assert "38 h/week, more than full time" in warnings[0]


@pytest.mark.parametrize(
    "field,kw",
    [
        ("hours_per_week", {"hours": 0}),
        ("hours_per_week", {"hours": "many"}),
        ("kind", {"kind": "yoga"}),
        ("start_on", {"start_offset": -1}),
    ],
)
def test_element_input_is_checked(field, kw, bergen_officer):
    p = enrol(bergen_officer, settled())
    before = events(p)
    with pytest.raises(TransitionInvalid) as err:
        add(
            bergen_officer,
            p,
            kw.get("kind", "work"),
            kw.get("hours", 10),
            p.start_on + dt.timedelta(days=kw.get("start_offset", 0)),
        )
    assert field in err.value.message_dict
    assert not ProgrammeElement.objects.exists() and events(p) == before


def test_no_elements_after_the_programme_ended(bergen_officer):
    p = enrol(bergen_officer, settled())
    services.programme_transition(actor=bergen_officer, programme=p, name="discontinue", reason="x")
    with pytest.raises(TransitionConflict):
        add(bergen_officer, p, "work", 10, p.start_on)


def test_an_officer_of_another_municipality_may_not_plan(bergen_officer, oslo_officer):
    p = enrol(bergen_officer, settled())
    with pytest.raises(PermissionDenied):
        add(oslo_officer, p, "work", 10, p.start_on)


# --- Norwegian tests ------------------------------------------------------------------------


def test_norwegian_tests_are_recorded_with_level_and_date(bergen_officer):
    p = enrol(bergen_officer, settled())
    services.programme_record_test(actor=bergen_officer, programme=p, level="A2", taken_on=TODAY)
    for level, taken_on, field in (
        ("C2", TODAY, "level"),
        ("B1", TODAY + dt.timedelta(days=1), "taken_on"),
    ):
        with pytest.raises(TransitionInvalid) as err:
            services.programme_record_test(
                actor=bergen_officer, programme=p, level=level, taken_on=taken_on
            )
        assert field in err.value.message_dict
    assert list(NorwegianTest.objects.values_list("level", "taken_on")) == [("A2", TODAY)]
    assert AuditEvent.objects.filter(action="programme.test_recorded").count() == 1


# --- Who sees what --------------------------------------------------------------------------


def test_an_officer_sees_the_programmes_and_people_of_their_municipality(
    bergen_officer, oslo_officer, caseworker, auditor
):
    in_bergen = enrol(bergen_officer, settled(municipality="Bergen"))
    in_oslo = enrol(oslo_officer, settled(municipality="Oslo"))
    assert list(selectors.programmes_visible_to(bergen_officer)) == [in_bergen]
    assert list(selectors.programmes_visible_to(oslo_officer)) == [in_oslo]
    assert set(selectors.programmes_visible_to(auditor)) == {in_bergen, in_oslo}
    assert not selectors.programmes_visible_to(caseworker).exists()
    assert list(selectors.people_settled_in_users_municipalities(bergen_officer)) == [
        in_bergen.person
    ]
    assert not selectors.people_settled_in_users_municipalities(caseworker).exists()


# --- Who an integration officer sees --------------------------------------------------------


def test_an_officer_sees_the_people_settled_in_their_municipality_and_no_one_else(
    client, bergen_officer
):
    """Casework's person list and the API show the officer the people settled where they work."""
    from rest_framework.test import APIClient

    here = settled(municipality="Bergen").person
    there = settled(municipality="Oslo").person
    client.force_login(bergen_officer)
    listed = client.get("/admin/casework/person/")
    assert listed.status_code == 200
    page = listed.content.decode()
    assert here.registration_number in page and there.registration_number not in page
    api = APIClient()
    api.force_authenticate(bergen_officer)
    ids = [row["id"] for row in api.get("/api/v1/people/").json()["results"]]
    assert ids == [here.pk]
    assert api.get(f"/api/v1/people/{there.pk}/").status_code == 404
