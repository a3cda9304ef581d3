"""Reception wired into casework: officers see their residents in casework's admin and API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from reception.selectors import RECENT_RESIDENT_DAYS
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory
from tests.reception.factories import PlacementFactory

pytestmark = pytest.mark.django_db

PEOPLE_ADMIN = "/admin/casework/person/"
PEOPLE_API = "/api/v1/people/"


def _rows(response) -> list[dict]:
    body = response.json()
    return body["results"] if isinstance(body, dict) else body


@pytest.fixture
def residents(officer, centre, other_officer):
    """Who lives where: two residents here, one who left lately, one long ago, one elsewhere."""
    today = timezone.localdate()
    here = PlacementFactory(centre=centre, person=PersonFactory(given_name="Amina")).person
    left_lately = PlacementFactory(
        centre=centre,
        person=PersonFactory(given_name="Bilal"),
        start=today - dt.timedelta(days=90),
        end=today - dt.timedelta(days=RECENT_RESIDENT_DAYS - 1),
    ).person
    left_long_ago = PlacementFactory(
        centre=centre,
        person=PersonFactory(given_name="Chaltu"),
        start=today - dt.timedelta(days=400),
        end=today - dt.timedelta(days=RECENT_RESIDENT_DAYS + 1),
    ).person
    from reception.models import CentreStaff

    elsewhere_centre = CentreStaff.objects.get(user=other_officer).centre
    elsewhere = PlacementFactory(
        centre=elsewhere_centre, person=PersonFactory(given_name="Dawit")
    ).person
    DecisionFactory(application=ApplicationFactory(person=here), grounds="GROUNDS-OF-AMINA-SECRET")
    return {"here": here, "left_lately": left_lately, "gone": left_long_ago, "other": elsewhere}


def test_officer_sees_own_residents_in_casework_admin(client, officer, residents):
    client.force_login(officer)
    page = client.get(PEOPLE_ADMIN).content.decode()
    assert residents["here"].registration_number in page
    assert residents["left_lately"].registration_number in page
    assert residents["gone"].registration_number not in page
    assert residents["other"].registration_number not in page
    detail = client.get(f"{PEOPLE_ADMIN}{residents['here'].pk}/change/")
    assert detail.status_code == 200
    assert "GROUNDS-OF-AMINA-SECRET" not in detail.content.decode()
    assert client.get(f"{PEOPLE_ADMIN}{residents['other'].pk}/change/").status_code == 302


def test_officer_sees_own_residents_in_people_api(officer, other_officer, residents):
    client = APIClient()
    client.force_authenticate(officer)
    response = client.get(PEOPLE_API)
    assert response.status_code == 200
    ids = {row["id"] for row in _rows(response)}
    assert ids == {residents["here"].pk, residents["left_lately"].pk}
    assert "GROUNDS-OF-AMINA-SECRET" not in response.content.decode()
    assert client.get(f"{PEOPLE_API}{residents['other'].pk}/").status_code == 404
    client.force_authenticate(other_officer)
    assert {row["id"] for row in _rows(client.get(PEOPLE_API))} == {residents["other"].pk}


# --- Reception's admin: scoped and access-logged; where the person lives on their page -------


def test_listing_and_opening_placements_and_settlements_is_access_logged(
    client, officer, residents, centre
):
    from casework.models import AccessLog

    placement = residents["here"].placements.get()
    client.force_login(officer)
    listing = client.get("/admin/reception/placement/")
    assert listing.status_code == 200
    assert residents["other"].registration_number not in listing.content.decode()
    row = AccessLog.objects.get(model="reception.placement", action=AccessLog.Action.LIST)
    assert row.user == officer and placement.pk in row.object_ids
    assert client.get(f"/admin/reception/placement/{placement.pk}/change/").status_code == 200
    viewed = AccessLog.objects.get(model="reception.placement", action=AccessLog.Action.VIEW)
    assert viewed.object_id == placement.pk
    assert client.get("/admin/reception/settlement/").status_code == 200
    assert AccessLog.objects.filter(model="reception.settlement", user=officer).count() == 1


def test_person_page_shows_where_the_person_lives_to_reception_only(
    client, officer, caseworker, residents
):
    person = residents["here"]
    client.force_login(officer)
    page = client.get(f"{PEOPLE_ADMIN}{person.pk}/change/").content.decode()
    assert "Bergen ordinary" in page
    assert f"/admin/reception/placement/{person.placements.get().pk}/transfer/" in page
    client.force_login(caseworker)
    page = client.get(f"{PEOPLE_ADMIN}{person.pk}/change/")
    assert page.status_code == 200
    assert "/transfer/" not in page.content.decode()


def test_person_page_offers_placing_someone_not_in_reception(client, db):
    from tests.factories import UserFactory

    admin_user = UserFactory(is_superuser=True, is_staff=True)
    person = PersonFactory()
    client.force_login(admin_user)
    page = client.get(f"{PEOPLE_ADMIN}{person.pk}/change/").content.decode()
    assert "Not in reception." in page
    assert f"/admin/reception/placement/place/?person={person.pk}" in page


# --- Reception's API: casework's conventions (ETag/If-Match, Idempotency-Key, access log) ---

PLACEMENTS = "/api/v1/placements/"


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_placement_transfer_with_stale_if_match_is_412_and_moves_nobody(
    officer, centre, arrival_centre, minors_centre
):
    from reception.models import Placement

    placement = PlacementFactory(centre=arrival_centre)
    read = _api(officer).get(f"{PLACEMENTS}{placement.pk}/")
    etag = read["ETag"]
    assert read.status_code == 200 and etag
    assert (
        _api(officer).get(f"{PLACEMENTS}{placement.pk}/", HTTP_IF_NONE_MATCH=etag).status_code
        == 304
    )
    url = f"{PLACEMENTS}{placement.pk}/transfer/"
    # Another officer moves the resident first: the placement the first officer read changed.
    moved = _api(officer).post(
        url, {"to_centre": centre.pk, "reason": "Family"}, format="json", HTTP_IF_MATCH=etag
    )
    assert moved.status_code == 201
    stale = _api(officer).post(
        url,
        {"to_centre": minors_centre.pk, "reason": "Family"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert stale.status_code == 412
    assert Placement.objects.filter(person=placement.person).count() == 2


def test_placement_create_with_idempotency_key_places_once(officer, centre):
    from reception.models import Placement

    person = PersonFactory()
    body = {"person": person.pk, "centre": centre.pk}
    first = _api(officer).post(PLACEMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="place-1")
    assert first.status_code == 201, first.json()
    retry = _api(officer).post(PLACEMENTS, body, format="json", HTTP_IDEMPOTENCY_KEY="place-1")
    assert retry.status_code == 201
    assert retry["Idempotent-Replayed"] == "true"
    assert retry.json()["id"] == first.json()["id"]
    assert Placement.objects.filter(person=person).count() == 1
    # Without the key the retry is a second placement attempt: refused, the person is placed.
    assert _api(officer).post(PLACEMENTS, body, format="json").status_code == 409


@pytest.mark.parametrize(
    "url_of",
    [
        lambda r: f"/api/v1/people/{r['here'].pk}/",
        lambda r: f"/api/v1/applications/{r['here'].applications.get().pk}/",
        lambda r: f"{PLACEMENTS}{r['here'].placements.get().pk}/",
    ],
    ids=["person", "application", "placement"],
)
def test_api_retrieve_writes_one_access_log_row(url_of, residents, superuser):
    from casework.models import AccessLog

    response = _api(superuser).get(url_of(residents))
    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (row.action, row.via, row.user) == (AccessLog.Action.VIEW, "api", superuser)
    assert row.object_id == response.json()["id"]


@pytest.mark.parametrize(
    "url", ["/api/v1/people/", "/api/v1/applications/", PLACEMENTS, "/api/v1/reception-centres/"]
)
def test_api_list_writes_one_access_log_row(url, residents, superuser):
    from casework.models import AccessLog

    response = _api(superuser).get(url)
    assert response.status_code == 200
    row = AccessLog.objects.get()
    assert (row.action, row.via, row.user) == (AccessLog.Action.LIST, "api", superuser)
    assert row.count >= 1


@pytest.fixture
def superuser(db):
    from tests.factories import UserFactory

    return UserFactory(username="root", is_superuser=True)


# --- Status page: the applicant sees their own centre, in their language --------------------


def _status_page(client, application, language: str = "") -> str:
    import html
    import re

    born = application.person.date_of_birth
    path = f"/{language}/status/" if language else "/status/"
    response = client.post(
        path,
        {
            "reference": application.reference,
            "day": str(born.day),
            "month": str(born.month),
            "year": str(born.year),
        },
    )
    assert response.status_code == 200
    page = response.content.decode()
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def test_status_page_says_where_the_applicant_lives_in_their_language(client, settings, centre):
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "100000/h"
    application = ApplicationFactory(state="submitted")
    PlacementFactory(person=application.person, centre=centre)
    neighbour = PlacementFactory(centre=centre, person=PersonFactory(family_name="Neighbourson"))
    english = _status_page(client, application)
    assert "Where you live" in english
    assert "Your reception centre: Bergen ordinary, Bergen." in english
    assert neighbour.person.family_name not in english
    assert neighbour.person.registration_number not in english
    norwegian = _status_page(client, application, "nb")
    assert "Ditt asylmottak: Bergen ordinary, Bergen." in norwegian


def test_status_page_says_nothing_about_residence_after_leaving_reception(client, settings, centre):
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "100000/h"
    application = ApplicationFactory(state="submitted")
    today = timezone.localdate()
    PlacementFactory(
        person=application.person, centre=centre, start=today - dt.timedelta(days=50), end=today
    )
    page = _status_page(client, application)
    assert "Bergen ordinary" not in page
    assert "Your reception centre" not in page
