"""The Celery app: Redis broker in production, kombu's filesystem transport by default.

The beat schedule is static and lives here in code: no admin-editable schedules (a schedule
is reviewed like code), and no long ETAs on Redis (a task whose ETA lies beyond the broker's
visibility timeout is delivered again). Reminder rows in the database are the truth; the
sweep re-finds whatever a lost message did not deliver.
"""

import logging
import os

from celery import Celery
from celery.signals import beat_init, setup_logging, task_prerun

from casework.core.requestid import connect_celery_signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# A task queued by a request carries its request id; the worker's log lines show it.
connect_celery_signals()


@setup_logging.connect
def _django_logging(loglevel: int | str | None = None, **_: object) -> None:
    """The worker and beat log through Django's ``LOGGING`` (set up by ``django.setup()``),
    not Celery's own handler: the same format (``LOG_FORMAT``), the request id, and the
    filter that keeps request data out of the log. ``--loglevel`` still sets the level of
    Celery's own lines ("ready.", each task received and done), as it did."""
    if loglevel:
        logging.getLogger("celery").setLevel(loglevel)


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
        # The published statistics tables (``PublishedTable``), which the statistics page and
        # API only read (also once when beat starts); a refresh message older than its
        # interval is dropped, not piled up behind a slow one.
        "refresh-statistics": {
            "task": "casework.tasks.refresh_statistics",
            "schedule": float(getattr(settings, "STATISTICS_REFRESH_SECONDS", 600)),
            "options": {"expires": float(getattr(settings, "STATISTICS_REFRESH_SECONDS", 600))},
        },
        # Dublin requests: silence after the reply period is acceptance; a transfer period
        # ended makes Norway responsible.
        "dublin-deadlines": {
            "task": "casework.tasks.dublin_deadlines",
            "schedule": every,
            "options": {"expires": every},
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
    """When beat starts, refresh the status page's waiting figures and the published
    statistics, and sweep the deadlines, at once rather than after the first interval: before
    the first refresh the status page has no estimate to show and the statistics page no
    table, and a beat restarted after an outage catches up (and ``/healthz`` turns healthy
    again) now, not one interval later."""
    for task in (
        "casework.tasks.refresh_waiting_figures",
        "casework.tasks.refresh_statistics",
        "casework.tasks.sweep_deadlines",
    ):
        try:
            app.send_task(task)
        except Exception as exc:  # a broker not up yet: the schedule's first run does it
            logging.getLogger(__name__).warning("%s not sent at start: %s", task, exc)
