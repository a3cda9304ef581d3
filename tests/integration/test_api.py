"""The integration API: scoping, creation, transitions and their error codes, the schema."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from casework.models import AuditEvent
from integration.models import FamilyReunification, IntroductionProgramme, WorkPermit
from tests.factories import PersonFactory
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    eligible_case,
    settled,
)

pytestmark = pytest.mark.django_db

WP = "/api/v1/work-permits/"
FR = "/api/v1/family-reunifications/"
IP = "/api/v1/introduction-programmes/"


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def permit_in(unit, **kw):
    app = eligible_case(unit=unit, **kw)
    return WorkPermitFactory(application=app, person=app.person)


def events(obj) -> int:
    return AuditEvent.objects.filter(changes__subject=obj.audit_subject).count()


# --- Work permits ---------------------------------------------------------------------------


def test_lists_are_scoped_and_other_roles_are_refused(unit, other_unit, decider, role_users):
    mine, theirs = permit_in(unit), permit_in(other_unit)
    body = api(decider).get(WP).json()
    assert [row["id"] for row in body["results"]] == [mine.pk]
    assert api(decider).get(f"{WP}{theirs.pk}/").status_code == 404
    assert api(role_users["reception"]).get(WP).status_code == 403
    assert APIClient().get(WP).status_code in (401, 403)


def test_a_request_is_created_by_case_reference(unit, caseworker, decider):
    app = eligible_case(unit=unit)
    response = api(caseworker).post(WP, {"case_reference": app.display_reference}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["state"] == "requested"
    assert api(caseworker).post(WP, {"case_reference": "XXXX-XXXX"}).status_code == 404
    collective = eligible_case(unit=unit, kind="collective")
    response = api(caseworker).post(WP, {"case_reference": collective.reference})
    assert response.status_code == 400
    assert "needs no temporary work permit" in response.json()["application"][0]
    # A decision-maker has no add permission: refused before any lookup.
    assert api(decider).post(WP, {"case_reference": app.reference}).status_code == 403


def test_transitions_lists_what_the_user_may_do_now_with_fields(unit, caseworker, decider):
    permit = permit_in(unit)
    body = api(decider).get(f"{WP}{permit.pk}/transitions/").json()
    assert [t["name"] for t in body] == ["grant", "refuse"]
    assert [f["name"] for f in body[0]["fields"]] == ["valid_from", "months"]
    assert body[0]["fields"][1]["type"] == "integer"
    assert api(caseworker).get(f"{WP}{permit.pk}/transitions/").json() == []


def test_grant_through_the_api(unit, decider):
    permit = permit_in(unit)
    response = api(decider).post(
        f"{WP}{permit.pk}/transitions/grant/",
        {"months": 6, "valid_from": "2026-12-01"},
        format="json",
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["state"], body["valid_until"]) == ("granted", "2027-05-31")
    assert body["periods"] == [
        {"kind": "first", "valid_from": "2026-12-01", "valid_until": "2027-05-31"}
    ]


@pytest.mark.parametrize(
    "case,status",
    [
        ("forbidden_role", 403),
        ("system_only", 403),
        ("wrong_state", 409),
        ("unmet", 409),
        ("bad_input", 400),
        ("unknown_name", 404),
        ("not_visible", 404),
    ],
)
def test_transition_errors(case, status, unit, other_unit, caseworker, decider):
    permit = permit_in(other_unit if case == "not_visible" else unit)
    actor, name, data = decider, "grant", {"months": 6}
    if case == "forbidden_role":
        actor = caseworker
    elif case == "system_only":
        name = "expire"
    elif case == "wrong_state":
        WorkPermit.objects.filter(pk=permit.pk).update(state="refused")
    elif case == "unmet":
        permit.person.documents.update(verified=False)
        type(permit.application).objects.filter(pk=permit.application_id).update(track="dublin")
    elif case == "bad_input":
        data = {"months": 9}
    elif case == "unknown_name":
        name = "approve"
    response = api(actor).post(f"{WP}{permit.pk}/transitions/{name}/", data, format="json")
    assert response.status_code == status, response.content
    if case == "unmet":
        body = response.json()
        assert [u["code"] for u in body["unmet"]] == ["identity_not_documented", "dublin"]
        assert body["current_state"] == "requested"
    if case == "bad_input":
        assert "months" in response.json()
    permit.refresh_from_db()
    assert permit.state in ("requested", "refused") and events(permit) == 0


# --- Family reunification -------------------------------------------------------------------


def test_family_registration_and_decision(caseworker, decider):
    sponsor, child = PersonFactory(), PersonFactory(date_of_birth=dt.date(2016, 1, 1))
    response = api(caseworker).post(
        FR,
        {
            "sponsor_registration_number": sponsor.registration_number,
            "applicant_registration_number": child.registration_number,
            "relation": "child",
            "sponsor_basis": "residence_permit",
            "sponsor_arrived_on": "2020-01-01",
        },
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["income_rule"] == "applies" and "not a refugee" in body["income_rule_reason"]
    pk = body["id"]
    assert api(caseworker).post(f"{FR}{pk}/transitions/start_examination/").status_code == 200
    names = [t["name"] for t in api(decider).get(f"{FR}{pk}/transitions/").json()]
    assert names == ["accept", "reject"]
    response = api(decider).post(f"{FR}{pk}/transitions/accept/", {"grounds": "ok"}, format="json")
    assert response.status_code == 400 and "income_requirement_met" in response.json()
    response = api(decider).post(
        f"{FR}{pk}/transitions/accept/",
        {"grounds": "ok", "income_requirement_met": True},
        format="json",
    )
    assert response.status_code == 200 and response.json()["state"] == "accepted"


def test_family_registration_input_errors(caseworker):
    response = api(caseworker).post(
        FR,
        {
            "sponsor_registration_number": "000000000000",
            "applicant_registration_number": PersonFactory().registration_number,
            "relation": "other",
            "sponsor_basis": "residence_permit",
        },
        format="json",
    )
    assert response.status_code == 400
    assert "sponsor_registration_number" in response.json()
    assert not FamilyReunification.objects.exists()


def test_appeals_body_sees_only_appealed_cases(appeals):
    appealed = FamilyReunificationFactory(state="appealed")
    FamilyReunificationFactory(state="examined")
    assert [r["id"] for r in api(appeals).get(FR).json()["results"]] == [appealed.pk]


def test_documents_endpoint_reassesses(caseworker):
    r = FamilyReunificationFactory(registered_on=dt.date(2026, 1, 1))
    response = api(caseworker).post(
        f"{FR}{r.pk}/documents/", {"handed_in_on": "2026-02-01"}, format="json"
    )
    assert response.status_code == 200 and response.json()["documents_handed_in_on"] == "2026-02-01"


# --- Introduction programme -----------------------------------------------------------------


def test_enrolment_elements_and_tests(bergen_officer, oslo_officer):
    settlement = settled(kind="collective", outcome="collective")
    start = settlement.settled_on + dt.timedelta(days=1)
    data = {
        "settlement": settlement.pk,
        "start_on": start.isoformat(),
        "planned_end_on": (start + dt.timedelta(days=700)).isoformat(),
    }
    assert api(oslo_officer).post(IP, data, format="json").status_code == 404
    response = api(bergen_officer).post(IP, data, format="json")
    assert response.status_code == 201, response.content
    pk = response.json()["id"]
    assert response.json()["collective_protection"] is True
    response = api(bergen_officer).post(
        f"{IP}{pk}/elements/",
        {"kind": "work", "hours_per_week": "10", "start_on": start.isoformat()},
        format="json",
    )
    assert response.status_code == 201
    assert "10 h/week of work-oriented" in response.json()["warnings"][0]
    response = api(bergen_officer).post(
        f"{IP}{pk}/norwegian-tests/",
        {"level": "C2", "taken_on": start.isoformat(), "skill": "oral"},
        format="json",
    )
    assert response.status_code == 400 and "level" in response.json()
    assert api(oslo_officer).get(f"{IP}{pk}/").status_code == 404
    detail = api(bergen_officer).get(f"{IP}{pk}/").json()
    assert detail["warnings"] and detail["elements"][0]["kind"] == "work"
    names = [t["name"] for t in api(bergen_officer).get(f"{IP}{pk}/transitions/").json()]
    assert names == ["extend", "complete", "discontinue"]
    response = api(bergen_officer).post(
        f"{IP}{pk}/transitions/complete/", {"outcome": "work"}, format="json"
    )
    assert response.status_code == 200 and response.json()["outcome"] == "work"


def test_an_ineligible_enrolment_is_refused_with_each_reason(bergen_officer):
    settlement = settled(born=dt.date(1950, 1, 1), outcome="minor_limited")
    response = api(bergen_officer).post(
        IP,
        {
            "settlement": settlement.pk,
            "start_on": settlement.settled_on.isoformat(),
            "planned_end_on": (settlement.settled_on + dt.timedelta(days=300)).isoformat(),
        },
        format="json",
    )
    assert response.status_code == 409
    assert [u["code"] for u in response.json()["unmet"]] == ["age", "permit"]
    assert not IntroductionProgramme.objects.exists()


def test_the_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "s.yml"))
    text = (tmp_path / "s.yml").read_text()
    # One documented operation per transition, each with its own input.
    from integration.workflow import (
        FAMILY_TRANSITIONS,
        PROGRAMME_TRANSITIONS,
        WORK_PERMIT_TRANSITIONS,
    )

    for base, names in (
        ("work-permits", WORK_PERMIT_TRANSITIONS),
        ("family-reunifications", FAMILY_TRANSITIONS),
        ("introduction-programmes", PROGRAMME_TRANSITIONS),
    ):
        assert f"/api/v1/{base}/{{id}}/transitions/:" in text
        for name in names:
            assert f"/api/v1/{base}/{{id}}/transitions/{name}/:" in text
    assert "WorkPermitGrantInputRequest" in text
    assert "transitions/{name}/:" not in text


def _nullable_to_json_schema(node):
    """OpenAPI 3.0's ``nullable: true`` as JSON Schema's ``null`` alternative."""
    if isinstance(node, list):
        return [_nullable_to_json_schema(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = {k: _nullable_to_json_schema(v) for k, v in node.items()}
    if node.pop("nullable", False):
        return {"anyOf": [node, {"type": "null"}]}
    return node


def test_fresh_records_match_their_documented_schema(unit, decider, caseworker, bergen_officer):
    """Found by the long schemathesis run: a programme's empty ``outcome`` ("" until it ends)
    was outside the documented enum. Every record, as first created, validates."""
    import jsonschema
    from drf_spectacular.generators import SchemaGenerator
    from referencing import Registry, Resource

    document = _nullable_to_json_schema(SchemaGenerator().get_schema(request=None, public=True))
    registry = Registry().with_resource("urn:api", Resource.opaque(document))
    permit = permit_in(unit)
    family = FamilyReunificationFactory()
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    data = {"settlement": settlement.pk, "start_on": start.isoformat()}
    data["planned_end_on"] = (start + dt.timedelta(days=300)).isoformat()
    programme = api(bergen_officer).post(IP, data, format="json").json()
    assert programme["outcome"] == ""
    for user, url, component in (
        (decider, f"{WP}{permit.pk}/", "WorkPermit"),
        (caseworker, f"{FR}{family.pk}/", "FamilyReunification"),
        (bergen_officer, f"{IP}{programme['id']}/", "Programme"),
    ):
        body = api(user).get(url).json()
        validator = jsonschema.Draft202012Validator(
            {"$ref": f"urn:api#/components/schemas/{component}"}, registry=registry
        )
        assert list(validator.iter_errors(body)) == [], component
