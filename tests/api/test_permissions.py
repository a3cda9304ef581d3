"""Every endpoint against every role: the answer, and no audit row for a refusal.

Casework's and integration's endpoints (work permits, family reunification, introduction
programme: every role, including each transition, create and record-adding action).

Codes: 401 without credentials; 403 when the role may not use the endpoint or make the
change (whatever the id, so nothing is learned); 404 for a case the user may not see, exactly
as for a case that does not exist; 400 when the input names a person the user may not see.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.utils import timezone

from casework.applications.choices import State
from casework.models import AuditEvent
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

ROLES = [
    "caseworker",
    "decider",
    "appeals",
    "registrar",
    "reception",
    "integration",
    "auditor",
    "outsider",
    "anonymous",
]


def _person(ctx):
    return {
        "given_name": "Test",
        "family_name": "Person",
        "date_of_birth": "1990-01-31",
        "nationality": "AF",
        "sex": "male",
    }


# endpoint: (method, url template, payload builder or None, expected per role in ROLES order)
MATRIX = {
    "people-list": (
        "get",
        "/api/v1/people/",
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    "people-detail": (
        "get",
        "/api/v1/people/{person}/",
        None,
        [200, 200, 404, 200, 404, 404, 200, 404, 401],
    ),
    "people-create": (
        "post",
        "/api/v1/people/",
        _person,
        [201, 403, 403, 201, 403, 403, 403, 201, 401],
    ),
    "people-update": (
        "patch",
        "/api/v1/people/{person}/",
        lambda ctx: {"phone": "+4791234567"},
        [200, 403, 403, 200, 403, 403, 403, 404, 401],
    ),
    "applications-list": (
        "get",
        "/api/v1/applications/",
        None,
        [200, 200, 200, 200, 403, 403, 200, 200, 401],
    ),
    "applications-detail": (
        "get",
        "/api/v1/applications/{app}/",
        None,
        [200, 200, 404, 200, 403, 403, 200, 404, 401],
    ),
    "applications-create": (
        "post",
        "/api/v1/applications/",
        lambda ctx: {"person": ctx["person"], "kind": "protection"},
        [201, 403, 403, 201, 403, 403, 403, 400, 401],
    ),
    "applications-assign": (
        "patch",
        "/api/v1/applications/{app}/",
        lambda ctx: {"assigned_to": ctx["caseworker"]},
        [200, 200, 404, 403, 403, 403, 403, 404, 401],
    ),
    "interview-waiver": (
        "post",
        "/api/v1/applications/{app}/interview-waiver/",
        lambda ctx: {"reason": "The applicant cannot be interviewed."},
        [403, 200, 404, 403, 403, 403, 403, 404, 401],
    ),
    "me": (
        "get",
        "/api/v1/me/",
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    "transitions-list": (
        "get",
        "/api/v1/applications/{app}/transitions/",
        None,
        [200, 200, 404, 200, 403, 403, 200, 404, 401],
    ),
    "transition-start-examination": (
        "post",
        "/api/v1/applications/{app}/transitions/start_examination/",
        lambda ctx: {},
        [200, 403, 404, 403, 403, 403, 403, 404, 401],
    ),
    "transition-withdraw": (
        "post",
        "/api/v1/applications/{app}/transitions/withdraw/",
        lambda ctx: {"reason": "The applicant left the country."},
        [200, 403, 404, 403, 403, 403, 403, 404, 401],
    ),
    "transition-accept": (
        "post",
        "/api/v1/applications/{examined}/transitions/accept/",
        lambda ctx: {"outcome": "refugee_convention", "grounds": "Well-founded fear."},
        [403, 200, 404, 403, 403, 403, 403, 404, 401],
    ),
    "transition-grant-appeal": (
        "post",
        "/api/v1/applications/{appealed}/transitions/grant_appeal/",
        lambda ctx: {"outcome": "refugee_convention", "grounds": "New evidence."},
        [403, 403, 200, 403, 403, 403, 403, 404, 401],
    ),
    "interviews-list": (
        "get",
        "/api/v1/applications/{app}/interviews/",
        None,
        [200, 200, 404, 403, 403, 403, 200, 404, 401],
    ),
    "interviews-create": (
        "post",
        "/api/v1/applications/{app}/interviews/",
        lambda ctx: {
            "scheduled_at": (timezone.now() + dt.timedelta(days=3)).isoformat(),
            "location": "UDI, Oslo",
            "language": "ara",
        },
        [201, 201, 403, 403, 403, 403, 403, 404, 401],
    ),
    "interviews-held": (
        "patch",
        "/api/v1/applications/{app}/interviews/{interview}/",
        lambda ctx: {},
        [200, 200, 403, 403, 403, 403, 403, 404, 401],
    ),
    "decisions-list": (
        "get",
        "/api/v1/applications/{app}/decisions/",
        None,
        [200, 200, 404, 403, 403, 403, 200, 404, 401],
    ),
    "events-list": (
        "get",
        "/api/v1/applications/{app}/events/",
        None,
        [200, 200, 404, 403, 403, 403, 200, 404, 401],
    ),
    "reminders-list": (
        "get",
        "/api/v1/reminders/",
        None,
        [200, 200, 200, 200, 200, 200, 200, 200, 401],
    ),
    # --- integration: work permits, family reunification, introduction programme ----------
    # (their records come from ``integration_world``)
    "work-permits-list": (
        "get",
        "/api/v1/work-permits/",
        None,
        [200, 200, 403, 200, 403, 403, 200, 200, 401],
    ),
    "work-permits-detail": (
        "get",
        "/api/v1/work-permits/{permit}/",
        None,
        [200, 200, 403, 200, 403, 403, 200, 404, 401],
    ),
    "work-permits-create": (
        "post",
        "/api/v1/work-permits/",
        lambda ctx: {"case_reference": ctx["permit_case"]},
        [201, 403, 403, 201, 403, 403, 403, 404, 401],
    ),
    "work-permits-transitions": (
        "get",
        "/api/v1/work-permits/{permit}/transitions/",
        None,
        [200, 200, 403, 200, 403, 403, 200, 404, 401],
    ),
    "work-permit-grant": (
        "post",
        "/api/v1/work-permits/{permit}/transitions/grant/",
        lambda ctx: {"months": 6},
        [403, 200, 403, 200, 403, 403, 403, 404, 401],
    ),
    "work-permit-refuse": (
        "post",
        "/api/v1/work-permits/{permit}/transitions/refuse/",
        lambda ctx: {"grounds": "Identity not documented."},
        [403, 200, 403, 200, 403, 403, 403, 404, 401],
    ),
    "family-list": (
        "get",
        "/api/v1/family-reunifications/",
        None,
        [200, 200, 200, 200, 403, 403, 200, 200, 401],
    ),
    "family-detail": (
        "get",
        "/api/v1/family-reunifications/{family}/",
        None,
        [200, 200, 404, 200, 403, 403, 200, 200, 401],
    ),
    "family-create": (
        "post",
        "/api/v1/family-reunifications/",
        lambda ctx: {
            "sponsor_registration_number": ctx["sponsor_number"],
            "applicant_registration_number": ctx["child_number"],
            "relation": "child",
            "sponsor_basis": "residence_permit",
            "sponsor_arrived_on": "2020-01-01",
        },
        [201, 403, 403, 201, 403, 403, 403, 201, 401],
    ),
    "family-transitions": (
        "get",
        "/api/v1/family-reunifications/{family}/transitions/",
        None,
        [200, 200, 404, 200, 403, 403, 200, 200, 401],
    ),
    "family-start-examination": (
        "post",
        "/api/v1/family-reunifications/{family}/transitions/start_examination/",
        lambda ctx: {},
        [200, 403, 404, 403, 403, 403, 403, 200, 401],
    ),
    "family-accept": (
        "post",
        "/api/v1/family-reunifications/{family_examined}/transitions/accept/",
        lambda ctx: {"grounds": "Documented.", "income_requirement_met": True},
        [403, 200, 404, 403, 403, 403, 403, 403, 401],
    ),
    "family-documents": (
        "post",
        "/api/v1/family-reunifications/{family}/documents/",
        lambda ctx: {},
        [200, 403, 404, 200, 403, 403, 403, 200, 401],
    ),
    "programmes-list": (
        "get",
        "/api/v1/introduction-programmes/",
        None,
        [403, 403, 403, 403, 403, 200, 200, 403, 401],
    ),
    "programmes-detail": (
        "get",
        "/api/v1/introduction-programmes/{programme}/",
        None,
        [403, 403, 403, 403, 403, 200, 200, 403, 401],
    ),
    "programmes-create": (
        "post",
        "/api/v1/introduction-programmes/",
        lambda ctx: {
            "settlement": ctx["settlement"],
            "start_on": ctx["start_on"],
            "planned_end_on": ctx["planned_end_on"],
        },
        [403, 403, 403, 403, 403, 201, 403, 403, 401],
    ),
    "programmes-transitions": (
        "get",
        "/api/v1/introduction-programmes/{programme}/transitions/",
        None,
        [403, 403, 403, 403, 403, 200, 200, 403, 401],
    ),
    "programme-complete": (
        "post",
        "/api/v1/introduction-programmes/{programme}/transitions/complete/",
        lambda ctx: {"outcome": "work"},
        [403, 403, 403, 403, 403, 200, 403, 403, 401],
    ),
    "programme-elements": (
        "post",
        "/api/v1/introduction-programmes/{programme}/elements/",
        lambda ctx: {"kind": "work", "hours_per_week": "15", "start_on": ctx["start_on"]},
        [403, 403, 403, 403, 403, 201, 403, 403, 401],
    ),
    "programme-norwegian-tests": (
        "post",
        "/api/v1/introduction-programmes/{programme}/norwegian-tests/",
        lambda ctx: {"level": "B1", "taken_on": ctx["start_on"], "skill": "oral"},
        [403, 403, 403, 403, 403, 201, 403, 403, 401],
    ),
}

INTEGRATION_ENDPOINTS = set(list(MATRIX)[list(MATRIX).index("work-permits-list") :])


@pytest.fixture
def integration_world(unit, caseworker, decider, role_users):
    """A § 94-eligible request in the unit, family members' applications (one examined), and
    a programme in Bergen, where the integration officer works; a second settlement to enrol."""
    from integration import services as integration_services
    from integration.models import MunicipalityOfficer
    from tests.integration.factories import (
        FamilyReunificationFactory,
        WorkPermitFactory,
        eligible_case,
        municipality_named,
        settled,
    )

    officer = role_users["integration"]
    MunicipalityOfficer.objects.create(user=officer, municipality=municipality_named("Bergen"))
    case = eligible_case(unit=unit, assigned_to=caseworker)
    permit = WorkPermitFactory(application=case, person=case.person)
    other_case = eligible_case(unit=unit, assigned_to=caseworker)
    family = FamilyReunificationFactory()
    examined = FamilyReunificationFactory(state="examined")
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    programme = integration_services.programme_enrol(
        actor=officer,
        settlement=settlement,
        start_on=start,
        planned_end_on=start + dt.timedelta(days=300),
    )
    to_enrol = settled()
    return {
        "permit": permit.pk,
        "permit_case": other_case.display_reference,
        "family": family.pk,
        "family_examined": examined.pk,
        "sponsor_number": PersonFactory().registration_number,
        "child_number": PersonFactory(date_of_birth=dt.date(2016, 1, 1)).registration_number,
        "programme": programme.pk,
        "settlement": to_enrol.pk,
        "start_on": (to_enrol.settled_on + dt.timedelta(days=1)).isoformat(),
        "planned_end_on": (to_enrol.settled_on + dt.timedelta(days=400)).isoformat(),
    }


@pytest.fixture
def world(unit, caseworker, role_users):
    person = PersonFactory()
    app = ApplicationFactory(person=person, unit=unit, assigned_to=caseworker)
    examined = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    appealed = ApplicationFactory(
        state=State.APPEALED, unit=unit, assigned_to=caseworker, appealed_at=timezone.now()
    )
    # booked for an hour ago: it may be recorded as held now (never before its day)
    interview = InterviewFactory(
        application=app, scheduled_at=timezone.now() - dt.timedelta(hours=1)
    )
    return {
        "person": person.pk,
        "app": app.pk,
        "examined": examined.pk,
        "appealed": appealed.pk,
        "interview": interview.pk,
        "caseworker": caseworker.pk,
    }


@pytest.mark.django_db
@pytest.mark.parametrize("endpoint", list(MATRIX))
def test_permission_matrix(api, role_users, world, endpoint, request):
    """Each role's request runs in a transaction rolled back afterwards, so every role meets
    the same case (a successful start_examination must not turn the next role's 403 into 409).
    """
    method, template, payload, expected = MATRIX[endpoint]
    if endpoint in INTEGRATION_ENDPOINTS:
        world = {**world, **request.getfixturevalue("integration_world")}
    url = template.format(**world)
    clients = {r: api(None if r == "anonymous" else role_users[r]) for r in ROLES}
    got, audit_problems = {}, []
    for role in ROLES:
        with transaction.atomic():
            events_before = AuditEvent.objects.count()
            kwargs = {"format": "json"} if payload else {}
            response = getattr(clients[role], method)(
                url, payload(world) if payload else None, **kwargs
            )
            wrote = AuditEvent.objects.count() - events_before
            transaction.set_rollback(True)
        got[role] = response.status_code
        if response.status_code >= 400 and wrote:
            audit_problems.append(f"{role}: refused with {response.status_code} but audited")
        if response.status_code < 400 and method != "get" and not wrote:
            audit_problems.append(f"{role}: changed something without an audit row")
    assert got == dict(zip(ROLES, expected, strict=True))
    assert audit_problems == []


@pytest.mark.django_db
def test_a_case_not_yours_looks_exactly_like_no_case(api, outsider, world):
    client = api(outsider)
    hidden = client.get(f"/api/v1/applications/{world['app']}/")
    missing = client.get("/api/v1/applications/999999/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    hidden = client.get(f"/api/v1/applications/{world['app']}/events/")
    missing = client.get("/api/v1/applications/999999/events/")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()


@pytest.mark.django_db
def test_lists_show_only_what_the_role_may_see(api, unit, other_unit, role_users):
    mine = ApplicationFactory(unit=unit)
    theirs = ApplicationFactory(unit=other_unit)
    appealed = ApplicationFactory(unit=other_unit, state=State.APPEALED)

    def ids(role: str) -> set[int]:
        body = api(role_users[role]).get("/api/v1/applications/?page_size=100").json()
        return {row["id"] for row in body["results"]}

    assert ids("caseworker") == {mine.pk}
    assert ids("outsider") == {theirs.pk, appealed.pk}
    assert ids("appeals") == {appealed.pk}
    assert ids("auditor") == {mine.pk, theirs.pk, appealed.pk}

    people = api(role_users["caseworker"]).get("/api/v1/people/?page_size=100").json()
    assert {row["id"] for row in people["results"]} == {mine.person_id}
    assert api(role_users["reception"]).get("/api/v1/people/").json()["results"] == []


@pytest.mark.django_db
def test_special_category_data_only_for_roles_that_need_it(api, unit, role_users):
    person = PersonFactory(health_needs="Needs regular dialysis.")
    app = ApplicationFactory(person=person, unit=unit, state=State.ACCEPTED)
    from tests.factories import AuditEventFactory, DecisionFactory

    DecisionFactory(application=app, grounds="Persecution for political opinion.")
    AuditEventFactory(application=app, action="accept", reason="Persecution for political opinion.")

    def get(role: str, url: str) -> dict:
        response = api(role_users[role]).get(url)
        assert response.status_code == 200
        body = response.json()
        return body["results"][0] if "results" in body else body

    for role in ("caseworker", "decider"):
        assert get(role, f"/api/v1/people/{person.pk}/")["health_needs"]
        assert get(role, f"/api/v1/applications/{app.pk}/decisions/")["grounds"]
        assert get(role, f"/api/v1/applications/{app.pk}/events/")["reason"]
    for role in ("registrar", "auditor"):
        assert "health_needs" not in get(role, f"/api/v1/people/{person.pk}/")
    decision = get("auditor", f"/api/v1/applications/{app.pk}/decisions/")
    assert "grounds" not in decision and decision["outcome"] == "refugee_convention"
    assert "reason" not in get("auditor", f"/api/v1/applications/{app.pk}/events/")


@pytest.mark.django_db
def test_reminders_are_the_users_own(api, caseworker, decider):
    from tests.factories import ReminderFactory

    own = ReminderFactory(recipient=f"user:{caseworker.pk}")
    other = ReminderFactory(recipient=f"user:{decider.pk}")
    client = api(caseworker)
    body = client.get("/api/v1/reminders/").json()
    assert [row["id"] for row in body["results"]] == [own.pk]
    assert client.get(f"/api/v1/reminders/{other.pk}/").status_code == 404
