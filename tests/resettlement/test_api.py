"""The quota and referrals over HTTP, as each role: a decision-maker sets the quota and
selects, the police record the arrival, the last place's second selection is a 409, and the
roles that may not are refused (403) with nothing written."""

from __future__ import annotations

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from casework.models import AuditEvent, ResettlementQuota

from .conftest import referral

pytestmark = pytest.mark.django_db


def api(user) -> APIClient:
    client = APIClient()
    token, _ = Token.objects.get_or_create(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


NEW = {
    "unhcr_reference": "JOR-25C01234",
    "referral_date": "2026-01-15",
    "priority": "urgent",
    "selection_method": "dossier",
    "given_name": "Rania",
    "family_name": "Darwish",
    "date_of_birth": "1988-06-01",
    "sex": "female",
    "nationality": "SY",
}


def test_the_quota_is_set_by_a_decision_maker_and_refused_to_a_caseworker(
    decider, caseworker, reception_officer, year
):
    body = {"year": year, "places": 3, "source": "the budget", "verified": False}
    assert (
        api(caseworker).post("/api/v1/resettlement-quotas/", body, format="json").status_code == 403
    )
    assert not ResettlementQuota.objects.exists()
    created = api(decider).post(
        "/api/v1/resettlement-quotas/", body, format="json", HTTP_IDEMPOTENCY_KEY="q-1"
    )
    assert created.status_code == 201, created.json()
    assert {k: created.json()[k] for k in ("year", "places", "taken", "remaining")} == {
        "year": year,
        "places": 3,
        "taken": 0,
        "remaining": 3,
    }
    url = f"/api/v1/resettlement-quotas/{created.json()['id']}/"
    stale = api(decider).patch(url, {"places": 5}, format="json", HTTP_IF_MATCH='"9"')
    assert stale.status_code == 412
    fresh = api(decider).patch(url, {"places": 5}, format="json", HTTP_IF_MATCH='"1"')
    assert fresh.status_code == 200 and fresh.json()["places"] == 5
    assert api(caseworker).get("/api/v1/resettlement-quotas/").json()["results"][0]["places"] == 5
    assert api(reception_officer).get("/api/v1/resettlement-quotas/").status_code == 403


def test_a_referral_over_http_from_registration_to_arrival(
    quota, caseworker, decider, registrar, year
):
    created = api(caseworker).post(
        "/api/v1/resettlement-referrals/", NEW, format="json", HTTP_IDEMPOTENCY_KEY="r-1"
    )
    assert created.status_code == 201, created.json()
    body = created.json()
    assert (body["state"], body["priority"], body["selection_method"]) == (
        "referred",
        "urgent",
        "dossier",
    )
    url = f"/api/v1/resettlement-referrals/{body['id']}/"
    offered = api(decider).get(url + "transitions/").json()
    assert [t["name"] for t in offered] == ["select", "not_select", "withdraw"]
    refused = api(caseworker).post(url + "transitions/select/", {"quota_year": year}, format="json")
    assert refused.status_code == 403
    selected = api(decider).post(
        url + "transitions/select/",
        {"quota_year": year, "reason": "Dossier complete."},
        format="json",
        HTTP_IF_MATCH='"1"',
    )
    assert selected.status_code == 200, selected.json()
    assert (selected.json()["state"], selected.json()["quota_year"]) == ("selected", year)
    arrived = api(registrar).post(
        url + "transitions/record_arrival/",
        {"arrived_on": timezone.localdate().isoformat()},
        format="json",
    )
    assert arrived.status_code == 200, arrived.json()
    assert arrived.json()["state"] == "arrived" and arrived.json()["case_reference"]


def test_the_second_selection_for_the_last_place_is_a_409(quota, caseworker, decider, year):
    last = [referral(caseworker) for _ in range(3)]
    for r in last[:2]:
        ok = api(decider).post(
            f"/api/v1/resettlement-referrals/{r.pk}/transitions/select/",
            {"quota_year": year},
            format="json",
        )
        assert ok.status_code == 200, ok.json()
    full = api(decider).post(
        f"/api/v1/resettlement-referrals/{last[2].pk}/transitions/select/",
        {"quota_year": year},
        format="json",
    )
    assert full.status_code == 409
    assert f"All 2 places of the {year} resettlement quota are taken" in full.json()["detail"]


@pytest.mark.parametrize("who", ["reception_officer", "integration_officer", "appeals"])
def test_roles_without_referrals_are_refused(request, who, caseworker):
    user = request.getfixturevalue(who)
    referral(caseworker)
    before = AuditEvent.objects.count()
    assert api(user).get("/api/v1/resettlement-referrals/").status_code == 403
    posted = api(user).post("/api/v1/resettlement-referrals/", NEW, format="json")
    assert posted.status_code == 403
    assert AuditEvent.objects.count() == before


def test_a_lawyer_sees_no_referral(lawyer, caseworker):
    referral(caseworker)
    listed = api(lawyer.user).get("/api/v1/resettlement-referrals/")
    assert listed.status_code == 403
