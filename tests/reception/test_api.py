"""Reception API: scoping and permissions, placements through the services (409 when full)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from casework.models import AuditEvent
from reception.models import Placement, ReceptionCentre
from tests.factories import PersonFactory, UserFactory
from tests.reception.factories import PlacementFactory

pytestmark = pytest.mark.django_db

CENTRES = "/api/v1/reception-centres/"
PLACEMENTS = "/api/v1/placements/"


def api(user=None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


def test_officer_lists_own_centres_with_occupancy(officer, centre, other_officer):
    PlacementFactory(centre=centre)
    response = api(officer).get(CENTRES)
    assert response.status_code == 200
    rows = {r["name"]: r for r in response.json()}
    assert set(rows) == {"Bergen ordinary", "National arrival centre", "Drammen minors"}
    bergen = rows["Bergen ordinary"]
    assert (bergen["occupied"], bergen["free_beds"], bergen["county"]) == (1, 9, "Vestland")
    assert api(officer).get(f"{CENTRES}?county=Buskerud").json()[0]["name"] == "Drammen minors"
    assert [r["name"] for r in api(officer).get(f"{CENTRES}?kind=arrival").json()] == [
        "National arrival centre"
    ]


@pytest.mark.parametrize("who", ["anonymous", "caseworker", "integration"])
def test_others_may_not_list_centres(who, caseworker, integration_officer, centre):
    user = {"anonymous": None, "caseworker": caseworker, "integration": integration_officer}[who]
    assert api(user).get(CENTRES).status_code in (401, 403)
    assert api(user).get(PLACEMENTS).status_code in (401, 403)


def test_only_staff_with_the_right_create_centres(officer):
    body = {
        "name": "Bodø transit",
        "kind": "transit",
        "operator_kind": "private",
        "operator_name": "Hero",
        "municipality": "1804",
        "capacity": 40,
        "opened_on": "2024-01-01",
    }
    assert api(officer).post(CENTRES, body, format="json").status_code == 403
    admin = UserFactory(username="root", is_superuser=True)
    created = api(admin).post(CENTRES, body, format="json")
    assert created.status_code == 201, created.json()
    assert (created.json()["county"], created.json()["free_beds"]) == ("Nordland", 40)
    centre_url = f"{CENTRES}{created.json()['id']}/"
    changed = api(admin).patch(centre_url, {"capacity": 35}, format="json")
    assert (changed.status_code, changed.json()["free_beds"]) == (200, 35)
    reversed_dates = {"opened_on": "2024-01-01", "closed_on": "2023-01-01"}
    assert api(admin).patch(centre_url, reversed_dates, format="json").status_code == 400
    bad = api(admin).post(CENTRES, {**body, "municipality": "9999"}, format="json")
    assert bad.status_code == 400 and "municipality" in bad.json()
    assert ReceptionCentre.objects.filter(name="Bodø transit").count() == 1


def test_a_centres_accommodation_is_read_and_set_over_the_api(officer, centre):
    """What a centre offers residents with special needs, as a list of codes: set by whoever
    may change centres, refused when unknown (nothing saved), read by the centre's officer."""
    admin = UserFactory(username="root", is_superuser=True)
    url = f"{CENTRES}{centre.pk}/"
    changed = api(admin).patch(url, {"accommodation": ["single_room", "step_free"]}, format="json")
    assert changed.status_code == 200, changed.json()
    assert changed.json()["accommodation"] == ["step_free", "single_room"]  # the choices order
    bad = api(admin).patch(url, {"accommodation": ["single_room", "moat"]}, format="json")
    assert bad.status_code == 400 and "accommodation" in bad.json()
    centre.refresh_from_db()
    assert centre.accommodation == "step_free,single_room"
    mine = {r["name"]: r for r in api(officer).get(CENTRES).json()}[centre.name]
    assert mine["accommodation"] == ["step_free", "single_room"]
    assert api(officer).patch(url, {"accommodation": []}, format="json").status_code == 403


def test_place_a_person_201_then_409_when_already_placed(officer, centre, arrival_centre):
    person = PersonFactory()
    ok = api(officer).post(PLACEMENTS, {"person": person.pk, "centre": centre.pk}, format="json")
    assert ok.status_code == 201
    assert ok.json()["registration_number"] == person.registration_number
    again = api(officer).post(
        PLACEMENTS, {"person": person.pk, "centre": arrival_centre.pk}, format="json"
    )
    assert again.status_code == 409
    assert "already placed at Bergen ordinary" in again.json()["detail"]


def test_full_centre_answers_409_with_a_clear_message(officer, centre):
    centre.capacity = 1
    centre.save()
    PlacementFactory(centre=centre)
    response = api(officer).post(
        PLACEMENTS, {"person": PersonFactory().pk, "centre": centre.pk}, format="json"
    )
    assert response.status_code == 409
    assert response.json() == {
        "detail": "Bergen ordinary is full: all 1 beds are taken.",
        "code": "centre_full",
    }


@pytest.mark.parametrize(
    "body",
    [
        {"person": 999999, "centre": "CENTRE"},
        {"person": "PERSON", "centre": 999999},
        {"person": "PERSON", "centre": "CENTRE", "start": "31.12.2024"},
        {},
    ],
)
def test_invalid_placement_input_is_400(officer, centre, body):
    person = PersonFactory()
    body = {
        k: person.pk if v == "PERSON" else centre.pk if v == "CENTRE" else v
        for k, v in body.items()
    }
    assert api(officer).post(PLACEMENTS, body, format="json").status_code == 400
    assert not Placement.objects.exists()


def test_minor_rule_is_400(officer, centre):
    child = PersonFactory(
        date_of_birth=dt.date.today().replace(year=dt.date.today().year - 12),
        unaccompanied_minor=True,
    )
    response = api(officer).post(
        PLACEMENTS, {"person": child.pk, "centre": centre.pk}, format="json"
    )
    assert response.status_code == 400
    assert "child welfare" in str(response.json())


def test_officer_of_another_centre_gets_403_and_nothing_is_written(other_officer, centre):
    person = PersonFactory()
    response = api(other_officer).post(
        PLACEMENTS, {"person": person.pk, "centre": centre.pk}, format="json"
    )
    assert response.status_code == 403
    assert not Placement.objects.exists()
    assert not AuditEvent.objects.filter(person=person).exists()


def test_placements_are_scoped_and_transfer_discharge_work(
    officer, other_officer, centre, arrival_centre
):
    placement = PlacementFactory(centre=arrival_centre)
    listed = api(officer).get(PLACEMENTS).json()
    assert [p["id"] for p in listed["results"]] == [placement.pk]
    assert api(other_officer).get(PLACEMENTS).json()["results"] == []
    assert api(other_officer).get(f"{PLACEMENTS}{placement.pk}/").status_code == 404
    url = f"{PLACEMENTS}{placement.pk}/transfer/"
    assert (
        api(officer).post(url, {"to_centre": centre.pk, "reason": ""}, format="json").status_code
        == 400
    )
    moved = api(officer).post(url, {"to_centre": centre.pk, "reason": "Family"}, format="json")
    assert moved.status_code == 201
    new_id = moved.json()["id"]
    assert moved.json()["transferred_from"] == placement.pk
    gone = api(officer).post(
        f"{PLACEMENTS}{new_id}/discharge/", {"reason": "private"}, format="json"
    )
    assert gone.status_code == 200 and gone.json()["ended_by"] == "discharge"
    again = api(officer).post(
        f"{PLACEMENTS}{new_id}/discharge/", {"reason": "private"}, format="json"
    )
    assert again.status_code == 409


def test_occupancy_endpoint_answers_viken_in_2024_with_successors(officer, arrival_centre):
    PlacementFactory(centre=arrival_centre, start=dt.date(2024, 2, 1))
    response = api(officer).get("/api/v1/reception/occupancy/?on=2024-03-01&county=Viken")
    assert response.status_code == 200
    body = response.json()
    assert body["total"] == 1
    # the officer's centres in Viken's area: Råde (Østfold) and Drammen (Buskerud)
    assert {c["county"]: c["occupied"] for c in body["by_county"]} == {"Buskerud": 0, "Østfold": 1}
    assert "Akershus, Buskerud and Østfold" in body["note"]
    assert api(officer).get("/api/v1/reception/occupancy/?on=yesterday").status_code == 400


def test_placements_by_county_endpoint(officer, arrival_centre):
    PlacementFactory(centre=arrival_centre, start=dt.date(2023, 5, 1), end=dt.date(2023, 5, 9))
    PlacementFactory(centre=arrival_centre, start=dt.date(2024, 5, 1))
    url = "/api/v1/reception/placements-by-county/"
    assert api(officer).get(f"{url}?year=2023").json()["rows"] == [
        {"county": "Viken", "placements": 1}
    ]
    assert api(officer).get(f"{url}?year=2024").json()["rows"] == [
        {"county": "Østfold", "placements": 1}
    ]
    assert api(officer).get(f"{url}?year=abc").status_code == 400


def test_schema_has_no_warnings(tmp_path):
    call_command("spectacular", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))
    assert "/api/v1/reception-centres/" in (tmp_path / "schema.yml").read_text()


def test_settlement_api_records_within_quota_and_409_beyond(integration_officer, caseworker):
    from casework.applications.choices import State
    from tests.factories import ApplicationFactory
    from tests.reception.factories import MunicipalityQuotaFactory, municipality

    MunicipalityQuotaFactory(municipality=municipality("Bodø"), year=2024, places=1)
    first, second = (ApplicationFactory(state=State.ACCEPTED) for _ in range(2))
    url = "/api/v1/settlements/"

    def settle(user, app):
        body = {"application": app.pk, "municipality": "1804", "settled_on": "2024-05-02"}
        return api(user).post(url, body, format="json")

    assert settle(caseworker, first).status_code == 403
    ok = settle(integration_officer, first)
    assert ok.status_code == 201
    assert (ok.json()["municipality"], ok.json()["municipality_name"]) == ("1804", "Bodø")
    full = settle(integration_officer, second)
    assert full.status_code == 409 and full.json()["code"] == "quota_exhausted"
    assert len(api(integration_officer).get(url).json()["results"]) == 1


def test_a_page_of_placements_costs_the_same_at_5_and_50_with_no_count(officer, centre):
    """Placements grow without bound: the shared cursor page (no COUNT, no OFFSET)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    centre.capacity = 60
    centre.save(update_fields=["capacity"])
    for _ in range(50):
        PlacementFactory(centre=centre)
    client = api(officer)
    client.get(PLACEMENTS)  # warm the per-user role and unit caches
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{PLACEMENTS}?page_size={size}")
        assert response.status_code == 200
        body = response.json()
        assert len(body["results"]) == size and "count" not in body
        sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
        assert "COUNT(" not in sql and "OFFSET" not in sql
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
