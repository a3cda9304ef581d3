"""The statistics API: the same tables as JSON or CSV, for users allowed to see statistics."""

from __future__ import annotations

import pytest

from casework.statistics.services import statistics_refresh
from tests.factories import staff_user

pytestmark = pytest.mark.django_db


def test_index_lists_every_table(client, auditor, known_cases):
    statistics_refresh()
    client.force_login(auditor)
    body = client.get("/api/v1/statistics/").json()
    slugs = {t["slug"] for t in body["tables"]}
    assert {"applications-by-month", "decisions-first", "processing-time"} <= slugs
    assert body["years"] == [2022, 2021] and body["computed_at"]


def test_a_table_as_json_and_as_csv(client, auditor, known_cases):
    statistics_refresh()
    client.force_login(auditor)
    body = client.get("/api/v1/statistics/decisions-first/", {"year": 2022}).json()
    assert body["parameters"] == {"year": 2022}
    assert body["computed_at"]  # when the figures were computed
    total = body["rows"][-1]
    assert (total["total"], total["grant_rate_merits"], total["grant_rate_all"]) == (7, 50.0, 42.9)
    csv = client.get("/api/v1/statistics/decisions-first/", {"year": 2022, "format": "csv"})
    assert csv["Content-Type"].startswith("text/csv")
    assert csv.content.decode().splitlines()[-1].startswith("total,,")


def test_unknown_table_is_a_404_and_strangers_are_refused(client, unit):
    assert client.get("/api/v1/statistics/").status_code in (401, 403)
    nobody = staff_user(username="norole", role=None, unit=unit)
    client.force_login(nobody)
    assert client.get("/api/v1/statistics/decisions-first/").status_code == 403
    client.force_login(staff_user(username="aud2", role="Auditor", unit=unit))
    assert client.get("/api/v1/statistics/nope/").status_code == 404


def test_an_error_is_json_even_when_csv_was_asked_for(client, auditor):
    client.force_login(auditor)
    response = client.get("/api/v1/statistics/nope/?format=csv")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["detail"] == "No such table."
