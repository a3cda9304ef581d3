"""Interpreters and bookings over HTTP, as each role: the register, booking, the clash as a
409, transitions with If-Match, and the refusals (403 may not, 404 not visible)."""

from __future__ import annotations

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework.models import AuditEvent, InterpreterBooking
from tests.factories import InterviewFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


NEW = {
    "name": "Hawa Mohamed",
    "gender": "female",
    "region": "Bergen",
    "languages": [{"language": "som", "qualification": "B", "dialects": "Maay"}],
}


def test_the_coordinator_adds_an_interpreter_and_a_caseworker_is_refused(coordinator, caseworker):
    refused = api(caseworker).post("/api/v1/interpreters/", NEW, format="json")
    assert refused.status_code == 403
    created = api(coordinator).post(
        "/api/v1/interpreters/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="interp-1"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert body["languages"] == [{"language": "som", "qualification": "B", "dialects": "Maay"}]
    assert created["ETag"] == '"1"'
    replay = api(coordinator).post(
        "/api/v1/interpreters/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="interp-1"
    )
    assert replay.json()["id"] == body["id"]
    assert AuditEvent.objects.filter(action="interpreter.registered").count() == 1
    listed = api(caseworker).get("/api/v1/interpreters/?language=som")
    assert [i["name"] for i in listed.json()["results"]] == ["Hawa Mohamed"]


def test_a_stale_if_match_is_412_and_a_fresh_one_changes_the_entry(coordinator, dari_interpreter):
    url = f"/api/v1/interpreters/{dari_interpreter.pk}/"
    stale = api(coordinator).patch(url, {"region": "Bodø"}, format="json", HTTP_IF_MATCH='"7"')
    assert stale.status_code == 412
    fresh = api(coordinator).patch(url, {"region": "Bodø"}, format="json", HTTP_IF_MATCH='"1"')
    assert fresh.status_code == 200 and fresh.json()["region"] == "Bodø"
    assert fresh["ETag"] == '"2"'


def test_booking_over_http_the_clash_is_a_409_and_others_see_nothing(
    caseworker, outsider, coordinator, dari_interpreter, interview, case
):
    body = {"interpreter": dari_interpreter.pk, "interview": interview.pk, "language": "prs"}
    created = api(caseworker).post("/api/v1/interpreter-bookings/", body, format="json")
    assert created.status_code == 201, created.json()
    booking = created.json()
    assert booking["state"] == "requested" and booking["interpreter_name"] == "Farid Ahmadi"

    other = InterviewFactory(application=case, scheduled_at=at(10), language="prs")
    clash = api(caseworker).post(
        "/api/v1/interpreter-bookings/", {**body, "interview": other.pk}, format="json"
    )
    assert clash.status_code == 409
    assert "already booked" in clash.json()["detail"]

    url = f"/api/v1/interpreter-bookings/{booking['id']}/"
    assert api(outsider).get(url).status_code == 404
    assert api(outsider).post(f"{url}transitions/confirm/", {}, format="json").status_code == 404
    assert api(coordinator).get(url).status_code == 200  # books for every unit

    offered = api(caseworker).get(f"{url}transitions/").json()
    assert [t["name"] for t in offered] == ["confirm", "cancel"]
    confirmed = api(coordinator).post(
        f"{url}transitions/confirm/", {}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert confirmed.status_code == 200 and confirmed.json()["state"] == "confirmed"
    again = api(caseworker).post(f"{url}transitions/confirm/", {}, format="json")
    assert again.status_code == 409
    no_reason = api(caseworker).post(f"{url}transitions/cancel/", {}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    assert InterpreterBooking.objects.get().state == "confirmed"


def test_roles_without_bookings_are_refused(reception_officer, integration_officer):
    for user in (reception_officer, integration_officer):
        assert api(user).get("/api/v1/interpreter-bookings/").status_code == 403
        assert api(user).get("/api/v1/interpreters/").status_code == 403


def test_the_schema_documents_interpreters_and_bookings(coordinator):
    schema = api(coordinator).get("/api/schema/?format=json").json()
    paths = schema["paths"]
    assert "/api/v1/interpreters/" in paths
    assert "/api/v1/interpreter-bookings/{id}/transitions/cancel/" in paths
    assert "post" in paths["/api/v1/interpreter-bookings/"]
