"""Every case has a unit: it gets one at lodging, moves only by an audited routing, and a case
without one is seen only by those who route cases.

Before: a case lodged through the API had no unit (the API could not name one, assignment did
not give one), and a case without a unit was visible to every unit's caseworkers and
decision-makers.
"""

from __future__ import annotations

import pytest
from django.apps import apps
from django.test import Client

from casework.applications.choices import State
from casework.applications.services import application_lodge
from casework.audit.models import AuditEvent
from casework.models import Application
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, PersonFactory, UserFactory, staff_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return client_for


def lodge(api, user, **body):
    person = PersonFactory()
    return api(user).post(
        "/api/v1/applications/", {"person": person.pk, "kind": "protection", **body}, format="json"
    )


# --- at lodging -------------------------------------------------------------------------------


def test_a_case_lodged_through_the_api_gets_the_lodging_users_unit(api, registrar, unit):
    response = lodge(api, registrar)
    assert response.status_code == 201, response.content
    assert response.json()["unit"] == unit.pk
    assert Application.objects.get(pk=response.json()["id"]).unit == unit


def test_police_registration_may_lodge_a_case_for_another_unit(api, registrar, other_unit):
    response = lodge(api, registrar, unit=other_unit.pk)
    assert response.status_code == 201, response.content
    assert Application.objects.get(pk=response.json()["id"]).unit == other_unit


def test_a_caseworker_lodges_only_for_their_own_unit(api, caseworker, other_unit, unit):
    before = Application.objects.count()
    refused = lodge(api, caseworker, unit=other_unit.pk)
    assert refused.status_code == 403
    assert refused.json() == {"detail": "You may lodge cases only for your own unit."}
    assert Application.objects.count() == before
    assert lodge(api, caseworker, unit=unit.pk).status_code == 201


@pytest.mark.parametrize("given", [999_999, 1.5, "oslo", None])
def test_a_unit_that_is_no_unit_is_a_400(api, registrar, unit, given):
    before = Application.objects.count()
    response = lodge(api, registrar, unit=given if given != 1.5 else unit.pk + 0.5)
    assert response.status_code == 400 and "unit" in response.json(), response.content
    assert Application.objects.count() == before


def test_a_user_without_a_unit_must_name_one(api, db, unit):
    nowhere = staff_user(username="registrar-nowhere", role="Police registration", unit=None)
    refused = lodge(api, nowhere)
    assert refused.status_code == 400
    assert refused.json() == {"unit": ["Name the unit the case goes to: you belong to none."]}
    named = lodge(api, nowhere, unit=unit.pk)
    assert named.status_code == 201 and named.json()["unit"] == unit.pk


def test_the_admin_lodging_form_gives_the_users_unit_or_asks_for_one(registrar, unit):
    client = Client()
    client.force_login(registrar)
    person = PersonFactory()
    response = client.post(
        "/admin/casework/application/add/",
        {"person": person.pk, "kind": "protection", "track": "normal", "lodged_on": "2026-01-05"},
    )
    assert response.status_code == 302, response.content[:2000]
    assert Application.objects.get(person=person).unit == unit
    nowhere = staff_user(username="admin-nowhere", role="Police registration", unit=None)
    client.force_login(nowhere)
    other = PersonFactory()
    page = client.post(
        "/admin/casework/application/add/",
        {"person": other.pk, "kind": "protection", "track": "normal", "lodged_on": "2026-01-05"},
    )
    assert page.status_code == 200
    assert "Name the unit the case goes to: you belong to none." in page.content.decode()
    assert not Application.objects.filter(person=other).exists()


# --- who sees a case without a unit -------------------------------------------------------------


def test_a_case_without_a_unit_is_seen_only_by_those_who_route_cases(
    api, caseworker, decider, outsider, registrar
):
    lost = application_lodge(actor=None, person=PersonFactory(), kind="protection")
    assert lost.unit is None
    root = UserFactory(username="root", is_superuser=True)
    for user, sees in ((caseworker, False), (decider, False), (outsider, False)):
        client = api(user)
        assert client.get(f"/api/v1/applications/{lost.pk}/").status_code == 404
        ids = [a["id"] for a in client.get("/api/v1/applications/").json()["results"]]
        assert (lost.pk in ids) is sees
        admin = Client()
        admin.force_login(user)
        assert admin.get(f"/admin/casework/application/{lost.pk}/change/").status_code in (302, 404)
    for user in (registrar, root):
        assert api(user).get(f"/api/v1/applications/{lost.pk}/").status_code == 200


# --- moving a case --------------------------------------------------------------------------


def test_police_registration_moves_a_case_with_a_reason_in_its_history(
    api, registrar, caseworker, unit, other_unit, outsider
):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    client = api(registrar)
    etag = client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    response = client.post(
        f"/api/v1/applications/{app.pk}/route/",
        {"unit": other_unit.pk, "reason": "The applicant lives in Bergen."},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert response.status_code == 200, response.content
    assert response.json()["unit"] == other_unit.pk
    assert response.json()["assigned_to"] is None  # the Oslo caseworker no longer sees it
    event = AuditEvent.objects.get(application=app, action="routed")
    assert event.actor == registrar and event.reason == "The applicant lives in Bergen."
    assert event.changes == {"unit": [unit.pk, other_unit.pk], "assigned_to": [caseworker.pk, None]}
    assert api(outsider).get(f"/api/v1/applications/{app.pk}/").status_code == 200
    assert api(caseworker).get(f"/api/v1/applications/{app.pk}/").status_code == 404


def test_a_caseworker_may_not_move_a_case_and_nothing_is_written(
    api, caseworker, decider, unit, other_unit
):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    for user in (caseworker, decider):
        response = api(user).post(
            f"/api/v1/applications/{app.pk}/route/",
            {"unit": other_unit.pk, "reason": "Mine to give away."},
            format="json",
        )
        assert response.status_code == 403
        assert response.json() == {"detail": "You may not move cases between units."}
    app.refresh_from_db()
    assert (app.unit, app.version) == (unit, 1)
    assert not AuditEvent.objects.filter(application=app, action="routed").exists()


def test_moving_needs_a_reason_and_another_unit(api, registrar, unit):
    app = ApplicationFactory(unit=unit)
    client = api(registrar)
    url = f"/api/v1/applications/{app.pk}/route/"
    assert "reason" in client.post(url, {"unit": unit.pk}, format="json").json()
    same = client.post(url, {"unit": unit.pk, "reason": "Why not."}, format="json")
    assert same.status_code == 409
    assert not AuditEvent.objects.filter(application=app, action="routed").exists()


def test_a_case_without_a_unit_is_routed_to_one(api, registrar, unit, caseworker):
    lost = application_lodge(actor=None, person=PersonFactory(), kind="protection")
    response = api(registrar).post(
        f"/api/v1/applications/{lost.pk}/route/",
        {"unit": unit.pk, "reason": "Lodged without a unit."},
        format="json",
    )
    assert response.status_code == 200
    assert api(caseworker).get(f"/api/v1/applications/{lost.pk}/").status_code == 200


def test_the_admin_moves_cases_in_bulk_for_those_who_route(registrar, caseworker, unit, other_unit):
    cases = [ApplicationFactory(unit=unit, state=State.SUBMITTED) for _ in range(2)]
    client = Client()
    client.force_login(registrar)
    response = client.post(
        "/admin/casework/application/",
        {
            "action": "move_to_unit",
            "_selected_action": [c.pk for c in cases],
            "unit": other_unit.pk,
            "reason": "Bergen takes these.",
            "apply": "1",
        },
        follow=True,
    )
    assert "2 case(s) moved to" in response.content.decode()
    assert {c.unit_id for c in Application.objects.filter(pk__in=[c.pk for c in cases])} == {
        other_unit.pk
    }
    assert AuditEvent.objects.filter(action="routed", reason="Bergen takes these.").count() == 2
    # A caseworker is not offered the action.
    client.force_login(caseworker)
    page = client.get("/admin/casework/application/").content.decode()
    assert "move_to_unit" not in page and "assign_to_caseworker" in page


# --- the cases lodged before -------------------------------------------------------------------


def test_the_migration_gives_cases_the_unit_the_system_knows(
    caseworker, registrar, unit, other_unit
):
    from importlib import import_module

    migration = import_module("casework.migrations.0013_cases_without_a_unit")
    assigned = ApplicationFactory(unit=None, assigned_to=caseworker)
    lodged = ApplicationFactory(unit=None)
    AuditEvent.objects.create(application=lodged, action="lodged", actor=registrar)
    unknown = ApplicationFactory(unit=None)
    AuditEvent.objects.create(application=unknown, action="lodged", actor=None)

    migration.give_cases_their_unit(apps, None)

    assert Application.objects.get(pk=assigned.pk).unit == unit
    assert Application.objects.get(pk=lodged.pk).unit == unit
    assert Application.objects.get(pk=unknown.pk).unit is None  # waits for routing
    reasons = dict(AuditEvent.objects.filter(action="routed").values_list("application", "reason"))
    assert reasons == {
        assigned.pk: "Given a unit by a data migration: "
        "the unit of the caseworker the case is assigned to.",
        lodged.pk: "Given a unit by a data migration: "
        "the unit of the staff user who lodged the case.",
    }
