"""What ``/healthz`` reports: the database, the broker, and whether the scheduled work is
being done (the deadline sweep, the waiting-figures refresh, reminder delivery).

A stopped Celery beat breaks nothing visibly: no reminder is created, no page fails, and an
appeal deadline passes without anyone being told. So besides "is it up" the check asks "is
the background work happening": each scheduled job writes a heartbeat when it completes
(``casework.core.heartbeats``), and the check fails when the last one is older than twice
the job's interval, or when a reminder has waited to be delivered longer than
``HEALTH_REMINDER_MAX_AGE`` (workers stopped, or every delivery failing). A job that has
never completed is measured from the installation's last migration, so a deployment whose
beat never started fails too once the limit has passed.

A few indexed queries on small tables (heartbeats: one row per job; the oldest pending
reminder: the ``(status, created_at)`` index), and ages and counts only: nothing personal.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.models import Max
from django.utils import timezone

from casework.core.heartbeats import SWEEP, WAITING_FIGURES, heartbeats
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.models import Reminder

OK, LATE, UNKNOWN = "ok", "late", "unknown"


def job_limits() -> dict[str, int]:
    """Seconds after which each job's last completion is too old: twice its interval, so one
    slow or missed run is not an alarm and two are."""
    return {
        SWEEP: 2 * int(settings.SWEEP_INTERVAL_SECONDS),
        WAITING_FIGURES: 2 * int(settings.WAITING_REFRESH_SECONDS),
    }


def _seconds(since: dt.datetime | None, now: dt.datetime) -> int | None:
    return None if since is None else max(0, int((now - since).total_seconds()))


def _broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return "ok (filesystem)"
    try:
        from celery import current_app

        with current_app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
        return "ok"
    except Exception:  # any failure means unreachable
        return "unreachable"


def oldest_pending_reminder() -> dt.datetime | None:
    """When the longest-waiting undelivered reminder was created (an index range scan)."""
    return (
        Reminder.objects.filter(status=ReminderStatus.PENDING)
        .order_by("created_at")
        .values_list("created_at", flat=True)
        .first()
    )


def last_migrated() -> dt.datetime | None:
    """When this installation was last migrated: the start of the wait for a job that has
    never completed (its heartbeat could not be written before)."""
    recorder = MigrationRecorder(connection)
    return recorder.migration_qs.aggregate(at=Max("applied"))["at"]


@dataclass
class Health:
    healthy: bool
    body: dict[str, Any]


def health_report(*, now: dt.datetime | None = None) -> Health:
    """The health check's answer; unhealthy when the database is unreachable or any age is
    over its limit. A dead broker alone is not unhealthy: reminders wait in the database and
    the next sweep queues them (their age shows it if that lasts)."""
    now = now or timezone.now()
    limits = job_limits()
    reminder_limit = int(settings.HEALTH_REMINDER_MAX_AGE)
    body: dict[str, Any] = {
        "status": "ok",
        "database": {"engine": connection.vendor, "status": "ok"},
        "broker": {
            "transport": settings.CELERY_BROKER_URL.split("://")[0],
            "status": _broker_status(),
        },
    }
    try:
        beats = heartbeats()
        oldest = oldest_pending_reminder()
        installed = last_migrated() if set(limits) - set(beats) else None
    except Exception:  # any failure means unreachable (and the ages unknown)
        body["status"] = "unavailable"
        body["database"]["status"] = "unreachable"
        for job, limit in limits.items():
            body[job] = {"status": UNKNOWN, "limit_seconds": limit}
        body["reminders"] = {"status": UNKNOWN, "limit_seconds": reminder_limit}
        return Health(False, body)

    healthy = True
    for job, limit in limits.items():
        beat = beats.get(job)
        completed = beat.finished_at if beat else None
        age = _seconds(completed or installed, now)
        late = age is not None and age > limit
        healthy &= not late
        body[job] = {
            "status": LATE if late else OK,
            "completed_at": completed.isoformat() if completed else None,
            "age_seconds": age,
            "limit_seconds": limit,
        }
    waited = _seconds(oldest, now) or 0
    late = waited > reminder_limit
    healthy &= not late
    body["reminders"] = {
        "status": LATE if late else OK,
        "oldest_pending_age_seconds": waited,
        "limit_seconds": reminder_limit,
    }
    if not healthy:
        body["status"] = "unavailable"
    return Health(healthy, body)
