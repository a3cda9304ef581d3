"""The integration API follows the shared conventions: ETag, If-Match (412), Idempotency-Key,
and a bounded number of queries per list page whatever its size."""

from __future__ import annotations

import datetime as dt

import pytest
from rest_framework.test import APIClient

from casework.models import AuditEvent, IdempotencyKey
from integration import services
from integration.models import (
    IntroductionProgramme,
    NorwegianTest,
    ProgrammeElement,
    WorkPermit,
    WorkPermitPeriod,
)
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


def permit_in(unit):
    app = eligible_case(unit=unit)
    return WorkPermitFactory(application=app, person=app.person)


def events(permit: WorkPermit, action: str) -> int:
    return AuditEvent.objects.filter(changes__subject=permit.audit_subject, action=action).count()


def programme_in_bergen(officer):
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    return services.programme_enrol(
        actor=officer,
        settlement=settlement,
        start_on=start,
        planned_end_on=start + dt.timedelta(days=300),
    )


# --- ETag and If-Match ----------------------------------------------------------------------


def test_every_record_has_an_etag_that_changes_with_it(unit, decider, caseworker, bergen_officer):
    permit = permit_in(unit)
    family = FamilyReunificationFactory()
    programme = programme_in_bergen(bergen_officer)
    cases = [
        (decider, f"{WP}{permit.pk}/", f"{WP}{permit.pk}/transitions/grant/", {"months": 6}),
        (caseworker, f"{FR}{family.pk}/", f"{FR}{family.pk}/transitions/start_examination/", {}),
        (
            bergen_officer,
            f"{IP}{programme.pk}/",
            f"{IP}{programme.pk}/transitions/complete/",
            {"outcome": "work"},
        ),
    ]
    for user, url, transition, body in cases:
        client = api(user)
        first = client.get(url)
        etag = first["ETag"]
        assert etag.startswith('"') and etag.endswith('"'), url
        assert client.get(url, HTTP_IF_NONE_MATCH=etag).status_code == 304
        done = client.post(transition, body, format="json", HTTP_IF_MATCH=etag)
        assert done.status_code == 200, (url, done.content)
        assert done["ETag"] != etag
        assert client.get(url)["ETag"] == done["ETag"]


def test_a_stale_if_match_on_a_grant_is_412_and_changes_nothing(unit, decider, registrar):
    permit = permit_in(unit)
    client = api(decider)
    seen = client.get(f"{WP}{permit.pk}/")["ETag"]
    # The police, who may also decide (§ 94 fifth paragraph), refuse it meanwhile.
    refused = api(registrar).post(
        f"{WP}{permit.pk}/transitions/refuse/", {"grounds": "No identity."}, format="json"
    )
    assert refused.status_code == 200
    url = f"{WP}{permit.pk}/transitions/grant/"
    stale = client.post(url, {"months": 6}, format="json", HTTP_IF_MATCH=seen)
    assert stale.status_code == 412, stale.content
    permit.refresh_from_db()
    assert permit.state == "refused" and events(permit, "work_permit.grant") == 0
    assert not WorkPermitPeriod.objects.exists()


def test_a_stale_if_match_after_a_change_in_the_same_state_is_412(caseworker, registrar):
    """Documents recorded by a colleague change the record (and maybe its income rule) but
    not its state: the examination started on the old reading is refused, the fresh one runs."""
    family = FamilyReunificationFactory()
    client = api(caseworker)
    seen = client.get(f"{FR}{family.pk}/")["ETag"]
    documents = api(registrar).post(f"{FR}{family.pk}/documents/", {}, format="json")
    assert documents.status_code == 200 and documents["ETag"] != seen
    url = f"{FR}{family.pk}/transitions/start_examination/"
    stale = client.post(url, {}, format="json", HTTP_IF_MATCH=seen)
    assert stale.status_code == 412
    assert client.get(f"{FR}{family.pk}/").json()["state"] == "submitted"
    fresh = client.post(url, {}, format="json", HTTP_IF_MATCH=documents["ETag"])
    assert fresh.status_code == 200 and fresh.json()["state"] == "examined"
    assert fresh["ETag"] != documents["ETag"]


def test_if_match_can_be_required_for_integration_writes(unit, decider, settings):
    settings.API_REQUIRE_IF_MATCH = True
    permit = permit_in(unit)
    response = api(decider).post(
        f"{WP}{permit.pk}/transitions/grant/", {"months": 6}, format="json"
    )
    assert response.status_code == 428
    assert WorkPermit.objects.get(pk=permit.pk).state == "requested"


# --- Idempotency-Key ------------------------------------------------------------------------


def test_a_retried_grant_is_replayed_and_acts_once(unit, decider):
    permit = permit_in(unit)
    client = api(decider)
    url = f"{WP}{permit.pk}/transitions/grant/"
    body = {"months": 6, "valid_from": "2026-12-01"}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    assert first.status_code == again.status_code == 200, first.content
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert events(permit, "work_permit.grant") == 1
    assert WorkPermitPeriod.objects.filter(permit=permit).count() == 1
    # The same key with another body is a different request: 422, nothing done.
    other = client.post(url, {"months": 3}, format="json", HTTP_IDEMPOTENCY_KEY="grant-1")
    assert other.status_code == 422
    # Without the key, a second grant is what it is: not possible now.
    assert client.post(url, body, format="json").status_code == 409
    assert events(permit, "work_permit.grant") == 1


def test_a_refused_request_keeps_no_key_so_the_corrected_one_may_reuse_it(unit, decider):
    permit = permit_in(unit)
    client = api(decider)
    url = f"{WP}{permit.pk}/transitions/grant/"
    bad = client.post(url, {"months": 9}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert bad.status_code == 400 and "months" in bad.json()
    assert not IdempotencyKey.objects.exists()
    good = client.post(url, {"months": 6}, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 200


def test_a_retried_request_registers_one_permit(unit, caseworker):
    app = eligible_case(unit=unit)
    client = api(caseworker)
    body = {"case_reference": app.display_reference}
    first = client.post(WP, body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = client.post(WP, body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    assert first.status_code == again.status_code == 201, first.content
    assert again.json()["id"] == first.json()["id"]
    assert WorkPermit.objects.filter(application=app).count() == 1


# --- Queries per page -----------------------------------------------------------------------


def _fill(n: int, unit, decider, bergen_officer) -> None:
    """``n`` records of each kind, each with the related rows its list shows."""
    for _ in range(n):
        permit = permit_in(unit)
        WorkPermitPeriod.objects.create(
            permit=permit,
            kind="first",
            valid_from=dt.date(2026, 1, 1),
            valid_until=dt.date(2026, 6, 30),
            granted_by=decider,
        )
        FamilyReunificationFactory()
        settlement = settled()
        programme = IntroductionProgramme.objects.create(
            person=settlement.person,
            settlement=settlement,
            municipality=settlement.municipality,
            start_on=settlement.settled_on,
            planned_end_on=settlement.settled_on + dt.timedelta(days=700),
        )
        ProgrammeElement.objects.create(
            programme=programme, kind="work", hours_per_week=15, start_on=programme.start_on
        )
        NorwegianTest.objects.create(
            programme=programme, taken_on=programme.start_on, skill="oral", level="A2"
        )


@pytest.mark.parametrize("url,who", [(WP, "decider"), (FR, "caseworker"), (IP, "officer")])
def test_a_page_of_5_and_of_50_take_the_same_queries(
    url, who, unit, decider, caseworker, bergen_officer
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    _fill(50, unit, decider, bergen_officer)
    user = {"decider": decider, "caseworker": caseworker, "officer": bergen_officer}[who]
    client = api(user)
    client.get(url)  # warm the per-user role and unit caches
    counts = []
    for size in (5, 50):
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(f"{url}?page_size={size}")
        assert response.status_code == 200
        assert len(response.json()["results"]) == size
        sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
        assert "COUNT(" not in sql and "OFFSET" not in sql
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 5, counts  # the page, its prefetches, the access-log row


# --- Filters --------------------------------------------------------------------------------


def test_list_filters_by_state_dates_and_number(unit, decider, caseworker, bergen_officer):
    old, new = permit_in(unit), permit_in(unit)
    WorkPermit.objects.filter(pk=old.pk).update(requested_on=dt.date(2025, 1, 10), state="refused")
    client = api(decider)

    def ids(url: str) -> list[int]:
        response = client.get(url)
        assert response.status_code == 200, response.content
        return [row["id"] for row in response.json()["results"]]

    assert ids(f"{WP}?state=refused") == [old.pk]
    assert ids(f"{WP}?state=refused&state=requested") == [new.pk, old.pk]
    assert ids(f"{WP}?requested_on_before=2025-12-31") == [old.pk]
    assert ids(f"{WP}?search={new.application.display_reference}") == [new.pk]
    assert ids(f"{WP}?search={old.person.registration_number}") == [old.pk]
    assert ids(f"{WP}?ordering=id") == [old.pk, new.pk]
    for bad in ("state=approved", "requested_on_after=yesterday", "lapses_before=x"):
        response = client.get(f"{WP}?{bad}")
        assert response.status_code == 400, bad
        assert response["Content-Type"].startswith("application/json")

    sponsor_side = FamilyReunificationFactory(registered_on=dt.date(2026, 1, 5))
    FamilyReunificationFactory(registered_on=dt.date(2026, 3, 1), relation="spouse")
    client = api(caseworker)
    number = sponsor_side.sponsor.registration_number
    assert ids(f"{FR}?search={number}") == [sponsor_side.pk]
    assert ids(f"{FR}?registered_on_before=2026-02-01") == [sponsor_side.pk]
    assert ids(f"{FR}?relation=child") == [sponsor_side.pk]

    programme = programme_in_bergen(bergen_officer)
    client = api(bergen_officer)
    assert ids(f"{IP}?state=enrolled&municipality=4601") == [programme.pk]
    assert ids(f"{IP}?municipality=0301") == []
    assert ids(f"{IP}?start_on_after=2100-01-01") == []
