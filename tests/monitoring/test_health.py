"""``/healthz``: up, and the scheduled work current. A stopped beat turns it 503 once the last
sweep is older than twice the interval, and the next sweep turns it back."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import timezone

from casework.core.heartbeats import SWEEP, WAITING_FIGURES, heartbeat_record
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.tasks import sweep_deadlines
from casework.monitoring.health import last_migrated
from casework.status.tasks import refresh_waiting_figures
from tests.factories import ReminderFactory

pytestmark = pytest.mark.django_db


def health(client):
    response = client.get("/healthz")
    return response.status_code, response.json()


def beat_runs_everything(at: dt.datetime) -> None:
    """What beat sends: the sweep task and the waiting-figures task, run at ``at``."""
    with time_machine.travel(at, tick=False):
        assert sweep_deadlines.apply().successful()
        assert refresh_waiting_figures.apply().successful()


def test_healthz_reports_every_check_and_nothing_else(client, settings):
    now = timezone.now()
    beat_runs_everything(now)
    with time_machine.travel(now + dt.timedelta(seconds=5), tick=False):
        code, body = health(client)
    assert code == 200 and body["status"] == "ok"
    assert set(body) == {"status", "database", "broker", "sweep", "waiting_figures", "reminders"}
    assert body["database"]["status"] == "ok"
    assert body["sweep"]["status"] == "ok" and body["sweep"]["age_seconds"] == 5
    assert body["sweep"]["limit_seconds"] == 2 * settings.SWEEP_INTERVAL_SECONDS
    assert body["waiting_figures"]["limit_seconds"] == 2 * settings.WAITING_REFRESH_SECONDS
    assert body["reminders"] == {
        "status": "ok",
        "oldest_pending_age_seconds": 0,
        "limit_seconds": settings.HEALTH_REMINDER_MAX_AGE,
    }


def test_healthz_turns_503_when_beat_stops_and_200_after_the_next_sweep(client, settings):
    settings.SWEEP_INTERVAL_SECONDS = 300
    start = timezone.now().replace(microsecond=0)
    beat_runs_everything(start)

    # Beat stops. One missed sweep is not an alarm yet (a slow one would look the same).
    with time_machine.travel(start + dt.timedelta(seconds=599), tick=False):
        code, body = health(client)
    assert code == 200 and body["sweep"]["age_seconds"] == 599

    # Two missed sweeps are.
    with time_machine.travel(start + dt.timedelta(seconds=601), tick=False):
        code, body = health(client)
        assert code == 503 and body["status"] == "unavailable"
        assert body["sweep"] == {
            "status": "late",
            "completed_at": start.isoformat(),
            "age_seconds": 601,
            "limit_seconds": 600,
        }
        assert body["waiting_figures"]["status"] == "ok"
        assert body["database"]["status"] == "ok"

        # Beat is back: its sweep runs, and the check is healthy again.
        assert sweep_deadlines.apply().successful()
        code, body = health(client)
    assert code == 200 and body["status"] == "ok"
    assert body["sweep"]["age_seconds"] == 0


def test_stale_waiting_figures_make_it_503_until_they_are_refreshed(client, settings):
    settings.WAITING_REFRESH_SECONDS = 600
    start = timezone.now().replace(microsecond=0)
    beat_runs_everything(start)
    later = start + dt.timedelta(seconds=1201)
    with time_machine.travel(later, tick=False):
        sweep_deadlines.apply()  # the sweep is current: only the figures are late
        code, body = health(client)
        assert code == 503
        assert body["waiting_figures"]["status"] == "late"
        assert body["sweep"]["status"] == "ok"
        refresh_waiting_figures.apply()
        assert health(client)[0] == 200


def test_a_beat_that_never_ran_is_late_once_the_limit_has_passed_since_migrating(client):
    installed = last_migrated()
    assert installed is not None
    with time_machine.travel(installed + dt.timedelta(seconds=60), tick=False):
        code, body = health(client)
    assert code == 200
    assert body["sweep"] == {
        "status": "ok",
        "completed_at": None,
        "age_seconds": 60,
        "limit_seconds": 600,
    }
    with time_machine.travel(installed + dt.timedelta(seconds=601), tick=False):
        code, body = health(client)
    assert code == 503
    assert body["sweep"]["status"] == "late" and body["sweep"]["completed_at"] is None


def test_a_reminder_waiting_too_long_makes_it_503_until_delivered(client, settings):
    settings.HEALTH_REMINDER_MAX_AGE = 3600
    now = timezone.now().replace(microsecond=0)
    for job in (SWEEP, WAITING_FIGURES):
        heartbeat_record(job=job, duration_seconds=1.0, rows={})
    waiting = ReminderFactory(created_at=now - dt.timedelta(seconds=3601))
    ReminderFactory(created_at=now - dt.timedelta(days=30), status=ReminderStatus.SENT)
    with time_machine.travel(now, tick=False):
        code, body = health(client)
    assert code == 503
    assert body["reminders"] == {
        "status": "late",
        "oldest_pending_age_seconds": 3601,
        "limit_seconds": 3600,
    }
    waiting.status = ReminderStatus.SENT
    waiting.save()
    with time_machine.travel(now, tick=False):
        code, body = health(client)
    assert code == 200 and body["reminders"]["oldest_pending_age_seconds"] == 0


def test_healthz_costs_a_few_queries(client, django_assert_max_num_queries):
    for job in (SWEEP, WAITING_FIGURES):
        heartbeat_record(job=job, duration_seconds=1.0, rows={})
    with django_assert_max_num_queries(2):  # the heartbeats, the oldest pending reminder
        assert client.get("/healthz").status_code == 200
