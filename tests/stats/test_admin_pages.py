"""The statistics page and the arrivals import in the admin, as staff users see them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from casework.intake import imports
from casework.models import ImportJob, Person
from casework.statistics import tables as statistics
from casework.statistics.tasks import refresh_statistics
from tests.factories import ApplicationFactory, staff_user

from .test_import_arrivals import SAMPLE

pytestmark = pytest.mark.django_db
PAGE = "/admin/casework/statistics/"


def test_statistics_page_shows_tables_charts_and_csv_links(client, decider, known_cases):
    client.force_login(decider)
    response = client.get(PAGE, {"year": "2022", "kind": "protection"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "Decisions by nationality and outcome" in html
    assert '<svg xmlns="http://www.w3.org/2000/svg" role="img"' in html  # a server-drawn chart
    assert all(src.startswith("/static/") for src in re.findall(r'<script[^>]*src="([^"]*)"', html))
    assert "?csv=decisions-first&amp;year=2022&amp;kind=protection" in html
    assert "50.0" in html  # grant rate on the merits of the known cases


def _page_queries(client) -> tuple[list[str], str]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(PAGE)
    assert response.status_code == 200
    return [q["sql"] for q in ctx.captured_queries], response.content.decode()


def _reads_figures(sql: list[str]) -> list[str]:
    """The statements that read a table the figures are computed from."""
    tables = ("casework_application", "casework_decision", "reception_", "integration_")
    return [s for s in sql if any(t in s for t in tables)]


def test_statistics_page_costs_a_fixed_number_of_queries_and_then_none(
    client, decider, known_cases
):
    """Every table is one or two queries (a histogram for the percentiles on SQLite, never a
    query per group or per year), whatever the data; then the figures come from the cache."""
    statistics.discover()
    client.force_login(decider)
    cold, html = _page_queries(client)
    assert "Figures as of" in html
    assert len(_reads_figures(cold)) <= 2 * len(statistics.TABLES), cold
    warm, again = _page_queries(client)
    assert _reads_figures(warm) == [] and len(warm) <= len(cold) - len(_reads_figures(cold))
    assert again.split("Figures as of")[1] == html.split("Figures as of")[1]  # the same figures

    # more cases, in more years, kinds, tracks and nationalities: not one query more
    for i in range(30):
        ApplicationFactory(
            lodged_on=dt.date(2019 + i % 5, 1 + i % 12, 1 + i % 28),
            kind=["protection", "collective", "resettlement"][i % 3],
            track=["normal", "fast", "dublin"][i % 3],
        )
    cache.clear()
    more, _html = _page_queries(client)
    assert len(_reads_figures(more)) == len(_reads_figures(cold))


def test_the_beat_task_computes_the_page_before_anyone_asks(client, decider, known_cases):
    refresh_statistics()
    client.force_login(decider)
    with translation.override("en"):
        sql, html = _page_queries(client)
    assert _reads_figures(sql) == []
    assert "Decisions by nationality and outcome" in html


def test_each_table_downloads_as_csv(client, decider, known_cases):
    client.force_login(decider)
    response = client.get(PAGE, {"csv": "decisions-first", "year": "2022"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="decisions-first-2022.csv"' in response["Content-Disposition"]
    lines = response.content.decode().splitlines()
    assert lines[0].startswith("nationality,code,")
    assert lines[-1].startswith("total,,")


def test_bad_parameters_are_ignored_or_404_never_500(client, decider):
    client.force_login(decider)
    assert client.get(PAGE, {"year": "abc", "kind": "<x>"}).status_code == 200
    assert client.get(PAGE, {"csv": "nope"}).status_code == 404


def test_staff_without_the_permission_cannot_see_statistics(client, unit):
    nobody = staff_user(username="norole", role=None, unit=unit)
    client.force_login(nobody)
    assert client.get(PAGE).status_code == 403
    assert client.get(PAGE, {"csv": "decisions-first"}).status_code == 403


def test_registration_officer_uploads_and_follows_an_import(client, registrar, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.force_login(registrar)
    upload = SimpleUploadedFile("arrivals.csv", SAMPLE.read_bytes(), content_type="text/csv")
    response = client.post(reverse("admin:casework_importjob_add"), {"file": upload})
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response.url.endswith(f"/{job.pk}/change/")
    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' in page  # waiting: the page reloads itself
    imports.import_job_run(job_id=job.pk)  # what the Celery task runs
    job.refresh_from_db()
    assert (job.status, job.total_rows, job.processed_rows) == ("done", 14, 14)
    assert (job.created_count, job.skipped_count, job.error_count) == (6, 0, 8)
    assert not job.file  # the uploaded personal data is not kept
    page = client.get(response.url).content.decode()
    assert 'http-equiv="refresh"' not in page
    assert "Bad rows: 8" in page and "<td>family_name</td>" in page
    assert Person.objects.count() == 6


def test_a_caseworker_may_not_import(client, caseworker):
    client.force_login(caseworker)
    assert client.get(reverse("admin:casework_importjob_add")).status_code == 403
