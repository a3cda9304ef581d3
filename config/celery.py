"""The Celery app: Redis broker in production, kombu's filesystem transport by default.

The beat schedule is static and lives here in code: no admin-editable schedules (a schedule
is reviewed like code), and no long ETAs on Redis (a task whose ETA lies beyond the broker's
visibility timeout is delivered again). Reminder rows in the database are the truth; the
sweep re-finds whatever a lost message did not deliver.
"""

import logging
import os

from celery import Celery
from celery.signals import beat_init, task_prerun

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

DAY = 24 * 3600.0


def _beat_schedule() -> dict:
    from django.conf import settings

    every = float(getattr(settings, "SWEEP_INTERVAL_SECONDS", 300))
    # One sweep both creates due reminders and queues whatever is pending (also what a dead
    # broker lost); a sweep message older than the interval is dropped, not piled up.
    return {
        "sweep-deadlines": {
            "task": "casework.tasks.sweep_deadlines",
            "schedule": every,
            "options": {"expires": every},
        },
        "anonymise-due-people": {
            "task": "casework.tasks.anonymise_due",
            "schedule": float(getattr(settings, "RETENTION_SWEEP_HOURS", 24)) * 3600,
        },
        # Housekeeping, daily: stored API responses past API_IDEMPOTENCY_TTL, and the status
        # page's lookup log past its 90-day retention (GDPR art. 5(1)(e)).
        "purge-idempotency-keys": {
            "task": "casework.tasks.purge_idempotency_keys",
            "schedule": DAY,
            "options": {"expires": DAY},
        },
        # The audit and access logs' monthly partitions, made months before they start.
        "keep-log-partitions-ahead": {
            "task": "casework.tasks.keep_log_partitions_ahead",
            "schedule": DAY,
            "options": {"expires": DAY},
        },
        "purge-status-lookups": {
            "task": "casework.tasks.purge_status_lookups",
            "schedule": DAY,
            "options": {"expires": DAY},
        },
        # The status page's expected waiting times and queue (also once when beat starts,
        # ``_refresh_at_start``): a lookup reads them and never computes them.
        "refresh-waiting-figures": {
            "task": "casework.tasks.refresh_waiting_figures",
            "schedule": float(getattr(settings, "WAITING_REFRESH_SECONDS", 600)),
            "options": {"expires": float(getattr(settings, "WAITING_REFRESH_SECONDS", 600))},
        },
        # The statistics page's figures, computed before they expire (PAGE_SECONDS, 10 min).
        "refresh-statistics": {
            "task": "casework.tasks.refresh_statistics",
            "schedule": 8 * 60.0,
            "options": {"expires": 8 * 60.0},
        },
        "expire-work-permits": {
            "task": "integration.tasks.expire_work_permits",
            "schedule": every,
        },
    }


app.conf.beat_schedule_factory = _beat_schedule


@task_prerun.connect
def _task_reads_unpinned(**_: object) -> None:
    """A task starts reading as if nothing had been written yet: a worker process runs one
    task after another, and the one before may have written (``casework.core.replica``)."""
    from casework.core.replica import task_starts

    task_starts()


@app.on_after_finalize.connect
def _install_schedule(sender: Celery, **_: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()


@beat_init.connect
def _refresh_at_start(sender: object = None, **_: object) -> None:
    """When beat starts, refresh the status page's waiting figures at once rather than after
    the first interval: before the first refresh the page has no estimate to show."""
    try:
        app.send_task("casework.tasks.refresh_waiting_figures")
    except Exception as exc:  # a broker not up yet: the schedule's first run does it
        logging.getLogger(__name__).warning("waiting figures not refreshed at start: %s", exc)
