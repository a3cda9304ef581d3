"""The statistics API: the same tables as JSON or CSV, for users allowed to see statistics."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.statistics.services import statistics_refresh
from tests.factories import ApplicationFactory, staff_user

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


def test_a_table_has_an_etag_that_a_refresh_with_other_figures_changes(
    client, auditor, known_cases
):
    """The JSON is kept per stored row: a client holding it gets a 304, and a refresh that
    changes the figures changes the ETag and the body at once."""
    statistics_refresh()
    client.force_login(auditor)
    url = "/api/v1/statistics/applications-by-kind/"
    first = client.get(url, {"year": 2022})
    etag = first["ETag"]
    assert first.status_code == 200 and first["Content-Type"] == "application/json"
    assert client.get(url, {"year": 2022}).content == first.content
    again = client.get(url, {"year": 2022}, HTTP_IF_NONE_MATCH=etag)
    assert again.status_code == 304 and again["ETag"] == etag
    assert client.get(url, {"year": 2021}, HTTP_IF_NONE_MATCH=etag).status_code == 200
    ApplicationFactory(lodged_on=dt.date(2022, 5, 5), kind="resettlement")
    statistics_refresh()
    after = client.get(url, {"year": 2022}, HTTP_IF_NONE_MATCH=etag)
    assert after.status_code == 200 and after["ETag"] != etag
    assert after.json()["rows"] != first.json()["rows"]


def test_the_stored_json_is_sent_as_the_table_encoded_whole_would_be(client, auditor, known_cases):
    """The refresh stores each table's JSON; rows stored before it did (no body) are encoded
    as before, and both read the same."""
    from casework.models import PublishedTable

    statistics_refresh()
    client.force_login(auditor)
    url = "/api/v1/statistics/decisions-first/"
    stored = client.get(url, {"year": 2022, "kind": "protection"})
    PublishedTable.objects.update(body="")
    encoded = client.get(url, {"year": 2022, "kind": "protection"})
    assert stored.status_code == encoded.status_code == 200
    assert stored.json() == encoded.json()
    assert stored.json()["parameters"] == {"year": 2022, "kind": "protection"}
    indented = client.get(url, {"year": 2022}, HTTP_ACCEPT="application/json; indent=2")
    assert indented.content.startswith(b'{\n  "slug"')
