"""The statistics page and API read the tables the refresh stored: what they show, what they
cost, when the figures were computed, who may see them and that no person is in them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.formats import date_format

from casework.models import PublishedTable
from casework.statistics import tables as statistics
from casework.statistics import tasks
from casework.statistics.services import STAFF_LANGUAGES, statistics_refresh
from tests.factories import ApplicationFactory, PersonFactory, staff_user

pytestmark = pytest.mark.django_db
PAGE = "/admin/casework/statistics/"
API = "/api/v1/statistics/"
# The tables the figures are computed from: the page and the API never read one of them.
SOURCES = (
    "casework_application",
    "casework_decision",
    "casework_person",
    "reception_",
    "integration_",
)


def _get(client, url: str, params: dict | None = None):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url, params or {})
    sql = [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]
    return response, sql


def _figure_reads(sql: list[str]) -> tuple[list[str], list[str]]:
    """(statements reading the stored tables, statements reading what they are computed from)"""
    return (
        [s for s in sql if "casework_publishedtable" in s],
        [s for s in sql if any(t in s for t in SOURCES)],
    )


@pytest.fixture
def asked_for(monkeypatch) -> list[str]:
    """The refreshes the faces ask Celery for (recorded here instead of sent)."""
    sent: list[str] = []
    monkeypatch.setattr(tasks.refresh_statistics, "delay", lambda: sent.append("refresh"))
    return sent


def test_the_page_shows_the_stored_tables_with_charts_csv_links_and_their_time(
    client, decider, known_cases
):
    with time_machine.travel(dt.datetime(2026, 3, 2, 9, 41, tzinfo=dt.UTC), tick=False):
        statistics_refresh()
    client.force_login(decider)
    response = client.get(PAGE, {"year": "2022", "kind": "protection"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Decisions by nationality and outcome" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html  # a server-drawn chart
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]*)"', html))
    assert "?csv=decisions-first&amp;year=2022&amp;kind=protection" in html
    assert "50.0" in html  # grant rate on the merits of the known cases
    at = date_format(
        timezone.localtime(dt.datetime(2026, 3, 2, 9, 41, tzinfo=dt.UTC)), "DATETIME_FORMAT"
    )
    assert f"Figures as of {at};" in html
    assert '<option value="2022" selected>' in html and '<option value="2021">' in html


@pytest.mark.parametrize("params", [{}, {"year": "2022"}, {"year": "2022", "kind": "collective"}])
def test_the_page_reads_the_stored_rows_and_never_a_case(client, decider, known_cases, params):
    """The first view of a refresh's figures reads the stored tables twice (the years with
    their time and version, the tables chosen); later views only the first (the tables' HTML
    is kept per version, language, year and kind), and not one of the applications,
    decisions, people, placements or permits, whatever the data: more cases in more years
    cost the page nothing more."""
    statistics_refresh()
    client.force_login(decider)
    first, sql = _get(client, PAGE, params)
    assert first.status_code == 200
    assert _figure_reads(sql)[0] and len(_figure_reads(sql)[0]) == 2, sql
    response, sql = _get(client, PAGE, params)
    assert response.status_code == 200
    tables = '<section class="module"'  # the same tables (the page's nonces differ)
    assert response.content.count(tables.encode()) > 1
    assert (
        response.content.split(tables.encode(), 1)[1] == first.content.split(tables.encode(), 1)[1]
    )
    stored, computed = _figure_reads(sql)
    assert (len(stored), computed) == (1, []), sql
    assert len(sql) <= 4, sql  # session, user, roles with permissions, the years
    for i in range(30):
        ApplicationFactory(
            lodged_on=dt.date(2015 + i % 5, 1 + i % 12, 1 + i % 28),
            kind=["protection", "collective", "resettlement"][i % 3],
            track=["normal", "fast", "dublin"][i % 3],
        )
    statistics_refresh()  # a new version: its tables are read once more, then not again
    again, more = _get(client, PAGE, params)
    assert again.status_code == 200
    assert len(_figure_reads(more)[0]) == 2 and _figure_reads(more)[1] == []
    again, more = _get(client, PAGE, params)
    assert len(more) == len(sql) and _figure_reads(more)[1] == []


def test_the_page_shows_the_figures_of_the_last_refresh(client, decider, known_cases):
    """The tables' HTML kept between views is that of the figures stored now: a refresh
    that changes a figure changes the page at once."""
    statistics_refresh()
    client.force_login(decider)

    def resettlement_2022() -> str:
        html = client.get(PAGE, {"year": "2022"}).content.decode()
        section = html.split('id="applications-by-kind"')[1].split("</section>")[0]
        return re.sub(r"\s+", " ", section.split("resettlement")[-1].split("</tr>")[0])

    before = resettlement_2022()
    assert resettlement_2022() == before
    ApplicationFactory(lodged_on=dt.date(2022, 5, 5), kind="resettlement")
    statistics_refresh()
    assert resettlement_2022() != before


def test_the_figures_are_those_of_the_last_refresh(client, decider, known_cases):
    statistics_refresh()
    client.force_login(decider)
    before = client.get(API + "applications-by-kind/", {"year": 2022}).json()
    ApplicationFactory(lodged_on=dt.date(2022, 5, 5), kind="resettlement")
    assert client.get(API + "applications-by-kind/", {"year": 2022}).json() == before
    statistics_refresh()
    after = client.get(API + "applications-by-kind/", {"year": 2022}).json()
    assert {r["code"]: r["applications"] for r in after["rows"]} == {
        "protection": 7, "collective": 1, "resettlement": 1
    }  # fmt: skip


def test_the_refresh_stores_every_table_year_and_kind_once_and_again_the_same(known_cases):
    statistics.discover()
    stored = statistics_refresh()
    years, kinds = 3, 4  # all years, 2022, 2021; all kinds and the three kinds
    by_kind, other = len(statistics.BY_KIND), len(statistics.TABLES) - len(statistics.BY_KIND)
    assert stored == len(STAFF_LANGUAGES) * years * (by_kind * kinds + other)
    first = list(PublishedTable.objects.order_by("language", "year", "kind", "slug").values("rows"))
    assert statistics_refresh() == stored  # replaced, not added to
    assert (
        list(PublishedTable.objects.order_by("language", "year", "kind", "slug").values("rows"))
        == first
    )


def test_stored_tables_equal_the_tables_computed_directly(client, auditor, known_cases):
    statistics_refresh()
    client.force_login(auditor)
    statistics.discover()
    for slug in statistics.TABLES:
        for params in ({}, {"year": 2022}, {"year": 2022, "kind": "protection"}):
            body = client.get(API + f"{slug}/", params).json()
            live = statistics.table(slug, **params).as_dict()
            assert {k: body[k] for k in live} == live, slug


def test_a_fresh_system_says_the_figures_are_being_computed_and_asks_for_them(
    client, decider, asked_for
):
    client.force_login(decider)
    response = client.get(PAGE)
    assert response.status_code == 200
    assert "The figures are being computed" in response.content.decode()
    assert client.get(PAGE).status_code == 200
    assert asked_for == ["refresh"]  # once, not once per visit
    table = client.get(API + "decisions-first/")
    assert table.status_code == 503 and table["Retry-After"] == "60"
    assert table.json()["detail"] == "The figures are being computed; try again in a minute."
    index = client.get(API).json()
    assert (index["years"], index["computed_at"]) == ([], None)


def test_a_year_without_figures_says_so(client, decider, known_cases):
    statistics_refresh()
    client.force_login(decider)
    html = client.get(PAGE, {"year": "2019"}).content.decode()
    assert "No figures for this year and kind." in html
    assert client.get(API + "decisions-first/", {"year": 2019}).status_code == 404


def test_the_page_in_bokmal_reads_the_bokmal_tables(client, decider, known_cases):
    statistics_refresh()
    decider.staff_profile.language = "nb"
    decider.staff_profile.save()
    client.force_login(decider)
    html = client.get(PAGE, {"year": "2022"}).content.decode()
    assert "Tall per" in html and "Syria" in html


def test_every_role_may_read_the_statistics_and_staff_without_a_role_may_not(
    client, role_users, unit, known_cases
):
    statistics_refresh()
    for user in role_users.values():
        client.force_login(user)
        assert client.get(PAGE).status_code == 200, user
        assert client.get(API + "decisions-first/").status_code == 200, user
    nobody = staff_user(username="norole", role=None, unit=unit)
    client.force_login(nobody)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, {"csv": "decisions-first"}).status_code == 403
    assert client.get(API + "decisions-first/").status_code == 403


def test_no_person_is_in_the_published_tables(client, auditor, unit):
    """Names, registration numbers, case references and birth dates stay out of every table,
    on the page, in the API and in every CSV: counts and the names of countries, outcomes,
    centres and places only."""
    people = [
        PersonFactory(family_name=f"Zyxwarth{i}", given_name=f"Qelvinor{i}", nationality="SY")
        for i in range(3)
    ]
    cases = [ApplicationFactory(person=p, unit=unit, lodged_on=dt.date(2024, 2, 3)) for p in people]
    statistics_refresh()
    personal = ["Zyxwarth", "Qelvinor"] + [
        v
        for p, a in zip(people, cases, strict=True)
        for v in (p.registration_number, a.reference, a.display_reference, str(p.date_of_birth))
    ]
    client.force_login(auditor)
    texts = [client.get(PAGE).content.decode(), client.get(PAGE, {"year": "2024"}).content.decode()]
    statistics.discover()
    for slug in statistics.TABLES:
        texts.append(client.get(API + f"{slug}/", {"year": 2024}).content.decode())
        texts.append(client.get(PAGE, {"csv": slug, "year": "2024"}).content.decode())
    stored = " ".join(str(r) for r in PublishedTable.objects.values_list("rows", "title", "note"))
    for text in [*texts, stored]:
        assert not [v for v in personal if v in text]
