"""Against a real PostgreSQL streaming replica (``scripts/pg_replica.sh``): the reads that may be
stale are served by it, every write and every read after a write by the primary.

How a test tells the two apart: it pauses the replica's replay, writes on the primary, and
looks at what a page shows. A page that shows the old value read the replica; once replay is
resumed and caught up, the page shows the new one.
"""

from __future__ import annotations

import datetime as dt
import statistics
import time

import pytest
from django.db import connections, router, transaction
from django.test import Client
from django.utils import timezone

from casework.audit.models import AuditEvent
from casework.core.replica import PIN_COOKIE, stale_reads, task_starts
from casework.statistics.models import PublishedTable
from casework.statistics.services import statistics_refresh
from casework.status.models import StatusLookup, WaitingFigure
from casework.status.services import waiting_figures_refresh
from tests.factories import ApplicationFactory, PersonFactory
from tests.status.conftest import BIRTH_DATE, lookup, text_of

from .conftest import REPLICA_DB

pytestmark = [
    pytest.mark.services("postgres"),
    pytest.mark.xdist_group("replica"),  # one replica set-up, in one worker
    REPLICA_DB,
    pytest.mark.usefixtures("fresh"),
]


def in_recovery(alias: str) -> bool:
    """PostgreSQL's own word on the server behind ``alias``: a standby replaying WAL or not."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        return bool(cursor.fetchone()[0])


def figure(p80_days: int) -> WaitingFigure:
    figure, _ = WaitingFigure.objects.update_or_create(
        kind="protection",
        track="normal",
        defaults={"p80_days": p80_days, "sample": 9, "computed_at": timezone.now()},
    )
    return figure


def test_a_stale_read_is_served_by_the_replica_and_the_write_by_the_primary(fresh):
    written = figure(40)
    fresh.wait_for_replay()
    task_starts()  # read as a new request or task would, one that has not written
    with stale_reads(WaitingFigure):
        read = WaitingFigure.objects.filter(pk=written.pk)
        assert read.db == "replica" and in_recovery(read.db)
        assert read.get().p80_days == 40
    assert router.db_for_write(WaitingFigure) == "default" and not in_recovery("default")

    fresh.pause()
    WaitingFigure.objects.filter(pk=written.pk).update(p80_days=41)  # on the primary
    task_starts()  # a new task: it has not written
    with stale_reads(WaitingFigure):
        assert WaitingFigure.objects.get(pk=written.pk).p80_days == 40  # not yet replayed
    assert WaitingFigure.objects.get(pk=written.pk).p80_days == 41
    fresh.resume()
    fresh.wait_for_replay()
    with stale_reads(WaitingFigure):
        assert WaitingFigure.objects.get(pk=written.pk).p80_days == 41


def test_after_a_write_and_in_a_transaction_the_primary_answers(fresh):
    written = figure(50)
    fresh.pause()
    with stale_reads(WaitingFigure):
        WaitingFigure.objects.filter(pk=written.pk).update(p80_days=51)
        assert WaitingFigure.objects.get(pk=written.pk).p80_days == 51  # read after write
    task_starts()
    with transaction.atomic(), stale_reads(WaitingFigure):
        # Inside a transaction (a service's, which may lock and write): never the replica.
        assert WaitingFigure.objects.get(pk=written.pk).p80_days == 51
    with stale_reads(WaitingFigure):
        assert WaitingFigure.objects.get(pk=written.pk).p80_days == 50  # the replica, paused
        assert WaitingFigure.objects.select_for_update().db == "default"  # a locking read


def test_a_status_lookup_reads_its_figures_with_the_case_on_the_primary(fresh, client, settings):
    """On PostgreSQL the lookup's one statement reads the case, the shared waiting figures and
    the live count of the cases ahead, and writes the try's log row: all on the primary, so a
    replica that lags (here: paused) changes nothing the applicant reads."""
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "1000/h"
    today = timezone.localdate()
    applicant = PersonFactory(date_of_birth=BIRTH_DATE)
    mine = ApplicationFactory(
        person=applicant, state="submitted", lodged_on=today - dt.timedelta(30)
    )
    for days in (90, 80):
        ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days))
    waiting_figures_refresh()
    figure(100)
    fresh.pause()
    # On the primary only: one more case ahead, counted by the refresh, and a longer time.
    ApplicationFactory(state="examined", lodged_on=today - dt.timedelta(60))
    waiting_figures_refresh()
    figure(200)
    tries = StatusLookup.objects.count()

    page = text_of(lookup(client, reference=mine.reference))
    by_200 = mine.lodged_on + dt.timedelta(200)
    assert f"you will get a decision by {by_200.day} {by_200:%B %Y}." in page
    assert "3 older cases are still waiting before yours." in page
    # The try's log row was written on the primary, and is not on the paused replica yet.
    assert StatusLookup.objects.count() == tries + 1
    assert StatusLookup.objects.using("replica").count() == tries

    fresh.resume()
    fresh.wait_for_replay()
    page = text_of(lookup(client, reference=mine.reference))
    assert f"you will get a decision by {by_200.day} {by_200:%B %Y}." in page
    assert "3 older cases are still waiting before yours." in page


def _by_kind(response) -> dict[str, int]:
    assert response.status_code == 200, response.content
    return {row["code"]: row["applications"] for row in response.json()["rows"]}


TABLE = "/api/v1/statistics/applications-by-kind/"


def test_the_statistics_are_read_from_the_replica(fresh, client, auditor):
    client.force_login(auditor)
    ApplicationFactory.create_batch(2, kind="protection")
    statistics_refresh(languages=("en",))
    fresh.pause()
    ApplicationFactory(kind="resettlement")  # on the primary only; counted and stored there
    statistics_refresh(languages=("en",))  # (by a task that wrote: it reads the primary)

    assert _by_kind(client.get(TABLE)) == {"protection": 2}  # the replica's stored table
    page = client.get("/admin/casework/statistics/")
    assert page.status_code == 200
    sections = page.context["sections"]
    (by_kind,) = [s["table"] for s in sections if s["table"].slug == "applications-by-kind"]
    assert {row["code"]: row["applications"] for row in by_kind.rows} == {"protection": 2}

    fresh.resume()
    fresh.wait_for_replay()
    assert _by_kind(client.get(TABLE)) == {"protection": 2, "resettlement": 1}


def test_the_statistics_refresh_counts_on_the_replica_and_stores_on_the_primary(
    fresh, client, auditor
):
    client.force_login(auditor)
    ApplicationFactory.create_batch(2, kind="protection")
    fresh.wait_for_replay()
    fresh.pause()
    ApplicationFactory(kind="resettlement")  # not on the paused replica
    task_starts()  # beat's task, which has not written: it counts on the replica
    statistics_refresh(languages=("en",))
    stored = PublishedTable.objects.get(language="en", year=0, kind="", slug="applications-by-kind")
    assert {row["code"]: row["applications"] for row in stored.rows} == {"protection": 2}

    fresh.resume()
    fresh.wait_for_replay()
    task_starts()
    statistics_refresh(languages=("en",))
    fresh.wait_for_replay()
    assert _by_kind(client.get(TABLE)) == {"protection": 2, "resettlement": 1}


def _audit_list(client) -> tuple[str, list[int]]:
    response = client.get("/admin/casework/auditevent/")
    assert response.status_code == 200
    changelist = response.context["cl"]
    return changelist.result_list.db, [event.application_id for event in changelist.result_list]


def test_the_page_after_a_change_reads_the_primary(fresh, client, caseworker, auditor):
    case = ApplicationFactory(assigned_to=caseworker)
    client.force_login(caseworker)
    other = Client()
    other.force_login(auditor)
    assert _audit_list(other)[0] == "replica"  # the log list: from the replica
    fresh.pause()

    withdrawn = client.post(
        f"/api/v1/applications/{case.pk}/transitions/withdraw/",
        {"reason": "Left the country."},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200 and PIN_COOKIE in withdrawn.cookies
    assert AuditEvent.objects.filter(application=case).exists()  # written on the primary
    # The caseworker who wrote sees it at once; another reader, on the paused replica, not yet.
    assert _audit_list(client) == ("default", [case.pk])
    assert _audit_list(other) == ("replica", [])

    fresh.resume()
    fresh.wait_for_replay()
    assert _audit_list(other) == ("replica", [case.pk])


def test_replay_lag(fresh, capsys):
    """How long a committed change takes to be readable on the replica (this machine)."""
    written, lags = figure(0), []
    for value in range(1, 31):
        WaitingFigure.objects.filter(pk=written.pk).update(p80_days=value)
        committed = time.perf_counter()
        while WaitingFigure.objects.using("replica").get(pk=written.pk).p80_days != value:
            assert time.perf_counter() - committed < 10, "not replayed within 10 s"
        lags.append(time.perf_counter() - committed)
    median, worst = statistics.median(lags) * 1000, max(lags) * 1000
    with capsys.disabled():
        print(f"\nreplay lag, {len(lags)} commits: median {median:.1f} ms, max {worst:.1f} ms")
    assert median < 1000
