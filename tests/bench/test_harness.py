"""The benchmark harness itself: it refuses SQLite, its baselines stay out of the product, and
the sweep's hand-written baseline creates exactly the rows the sweep creates."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection, transaction
from django.urls import Resolver404, resolve

from bench import common
from bench.rows.sweep import FINGERPRINT, handwritten_sql
from casework.deadlines.reminders import reminders_create_due
from casework.models import Deadline
from tests.casework.reminder_helpers import interview_case, rejected_case


def test_the_bench_refuses_sqlite_and_a_missing_broker(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "sqlite:///var/db.sqlite3")
    monkeypatch.delenv("CELERY_BROKER_URL", raising=False)
    with pytest.raises(SystemExit) as exc:
        common.require_services()
    assert "DATABASE_URL=postgres" in str(exc.value)
    assert "CELERY_BROKER_URL=redis" in str(exc.value)


def test_the_bare_baseline_views_are_not_in_the_product_urls():
    for path in ("/bench/bare/status/", "/bench/bare/api/applications/"):
        with pytest.raises(Resolver404):
            resolve(path, urlconf="config.urls")
        assert resolve(path, urlconf="bench.urls")


def _fingerprint(run, now: dt.datetime) -> tuple:
    with transaction.atomic():
        run(now)
        with connection.cursor() as cur:
            cur.execute(FINGERPRINT, [now])
            result = cur.fetchone()
        transaction.set_rollback(True)
    return result


@pytest.mark.services("postgres")
def test_the_handwritten_sweep_creates_the_same_rows_as_the_sweep(unit, caseworker, decider):
    for _ in range(3):
        rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    interview_case(caseworker=caseworker, unit=unit, days_ahead=2)
    due = Deadline.objects.filter(source="casework.appeal").first().due_at
    sql, params = handwritten_sql()

    def baseline(now: dt.datetime) -> None:
        with connection.cursor() as cur:
            cur.execute(sql, {**params, "now": now})

    with time_machine.travel(due - dt.timedelta(days=1), tick=False):
        from django.utils import timezone

        now = timezone.now()
        ours = _fingerprint(lambda at: reminders_create_due(now=at), now)
        theirs = _fingerprint(baseline, now)
    assert ours[0] >= 9  # three appeal deadlines, three "soon" reminders each at least
    assert ours == theirs
