"""Permits and group renewals over HTTP, as each role: the permit with its renewals and
ETag, the card's day with If-Match, a renewal started (idempotent by key) by a decision-maker,
and the refusals (403 may not, 404 not visible)."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework.models import AccessLog, AuditEvent, RenewalRun
from tests.permits.helpers import collective_permit

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


def test_the_unit_reads_its_permits_and_another_unit_sees_none(caseworker, outsider, unit):
    permit = collective_permit(unit=unit)
    listed = api(caseworker).get("/api/v1/permits/?status=expired&permit_type=collective")
    assert listed.status_code == 200
    (row,) = listed.json()["results"]
    assert (row["id"], row["permit_type"], row["valid_until"], row["status"]) == (
        permit.pk,
        "collective",
        "2026-02-28",
        "expired",
    )
    assert row["permanent_residence_from"] is None and row["renewals"] == []
    one = api(caseworker).get(f"/api/v1/permits/{permit.pk}/")
    assert one.status_code == 200 and one["ETag"] == '"1"'
    assert AccessLog.objects.filter(user=caseworker).exists()
    assert api(outsider).get(f"/api/v1/permits/{permit.pk}/").status_code == 404
    assert api(outsider).get("/api/v1/permits/").json()["results"] == []


def test_the_card_day_is_recorded_with_if_match_and_refused_to_a_reception_officer(
    caseworker, reception_officer, unit
):
    permit = collective_permit(unit=unit)
    url = f"/api/v1/permits/{permit.pk}/"
    body = {"card_issued_on": "2025-03-10"}
    assert api(reception_officer).patch(url, body, format="json").status_code == 403
    stale = api(caseworker).patch(url, body, format="json", HTTP_IF_MATCH='"5"')
    assert stale.status_code == 412
    early = api(caseworker).patch(
        url, {"card_issued_on": "2025-02-01"}, format="json", HTTP_IF_MATCH='"1"'
    )
    assert early.status_code == 400
    assert "before the permit's first day" in str(early.json())
    done = api(caseworker).patch(url, body, format="json", HTTP_IF_MATCH='"1"')
    assert done.status_code == 200, done.json()
    assert done.json()["card_issued_on"] == "2025-03-10" and done["ETag"] == '"2"'
    assert AuditEvent.objects.filter(action="permit.card_issued").count() == 1


def test_a_decision_maker_starts_a_renewal_once_and_a_caseworker_is_refused(
    decider, caseworker, unit, monkeypatch
):
    from casework.permits import services
    from casework.permits.tasks import run_permit_renewal

    queued: list[tuple] = []
    monkeypatch.setattr(services, "on_commit_enqueue", lambda task, *args: queued.append(args))
    permit = collective_permit(unit=unit)
    body = {
        "name": "Ukraine 2026",
        "legal_basis": "Royal Decree of 30 January 2026.",
        "group": "Ukraine 2022",
        "key": "ukraine-2026",
    }
    refused = api(caseworker).post("/api/v1/permit-renewals/", body, format="json")
    assert refused.status_code == 403
    assert api(caseworker).get("/api/v1/permit-renewals/").status_code == 403
    started = api(decider).post("/api/v1/permit-renewals/", body, format="json")
    assert started.status_code == 201, started.json()
    run = started.json()
    assert (run["key"], run["total"], run["name"], run["status"]) == (
        "ukraine-2026",
        1,
        "Ukraine 2026",
        "pending",
    )
    assert queued == [(run["id"],)]
    run_permit_renewal(run["id"])  # the worker
    done = api(decider).get(f"/api/v1/permit-renewals/{run['id']}/").json()
    assert (done["status"], done["renewed"], done["percent"]) == ("done", 1, 100)
    again = api(decider).post("/api/v1/permit-renewals/", body, format="json")
    assert again.status_code == 200 and again.json()["id"] == run["id"]
    assert RenewalRun.objects.count() == 1
    permit.refresh_from_db()
    assert permit.valid_until == dt.date(2027, 2, 28) and permit.renewal_count == 1
    shown = api(caseworker).get(f"/api/v1/permits/{permit.pk}/").json()
    assert shown["renewals"] == [
        {
            "previous_until": "2026-02-28",
            "new_until": "2027-02-28",
            "run": run["id"],
            "renewed_at": shown["renewals"][0]["renewed_at"],
        }
    ]
    wrong = api(decider).post(
        "/api/v1/permit-renewals/", {**body, "months": 24, "key": "x"}, format="json"
    )
    assert wrong.status_code == 400
    assert "Immigration Act § 34" in str(wrong.json())
