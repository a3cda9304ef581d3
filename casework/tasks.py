"""Celery tasks: load by id, call a service, retry with backoff. Each is idempotent.

Tasks carry ids, never objects. ``acks_late`` with ``reject_on_worker_lost``: a message is
acknowledged only when its task has finished, and a killed worker's message is redelivered;
both are safe because delivery claims its row first (``reminders.reminder_deliver``).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import Retry

log = logging.getLogger(__name__)


@shared_task(
    name="casework.tasks.sweep_deadlines",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    time_limit=900,
    soft_time_limit=840,
)
def sweep_deadlines() -> int:
    """Beat, every ``SWEEP_INTERVAL_SECONDS``: create due reminders and queue their delivery."""
    from .reminders import sweep

    report = sweep()
    return sum(report.created.values())


@shared_task(
    bind=True,
    name="casework.tasks.deliver_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    ignore_result=True,
    max_retries=None,  # the row's ``attempts`` (REMINDER_MAX_ATTEMPTS) decides when to stop
    time_limit=120,
    soft_time_limit=90,
)
def deliver_reminder(self, reminder_id: int) -> str:
    """Deliver one reminder exactly once; a redelivered or duplicate message finds nothing to
    claim. A failed send is retried with exponential backoff."""
    from .models import Reminder
    from .reminders import RETRY, reminder_deliver, retry_countdown

    result = reminder_deliver(reminder_id=reminder_id)
    if result.outcome == RETRY:
        try:
            raise self.retry(countdown=retry_countdown(result.attempts))
        except Retry:
            raise
        except Exception:
            log.warning("could not queue the retry of reminder id=%s", reminder_id)
            Reminder.objects.filter(pk=reminder_id, status="pending").update(queued_at=None)
    return result.outcome


@shared_task(name="casework.tasks.anonymise_due", acks_late=True)
def anonymise_due() -> int:
    """Anonymise the people whose retention period has run out (casework.privacy)."""
    from .privacy import anonymise_due as run

    count = run()
    log.info("retention: %d people anonymised", count)
    return count


@shared_task(name="casework.tasks.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import an uploaded arrivals CSV (ImportJob); safe to redeliver (imports are idempotent)."""
    from .imports import import_job_run

    import_job_run(job_id=job_id)


@shared_task(name="casework.tasks.purge_idempotency_keys", acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Beat, daily: drop stored API responses older than ``API_IDEMPOTENCY_TTL``."""
    from .api.base import idempotency_keys_purge

    deleted = idempotency_keys_purge()
    log.info("idempotency keys: %d expired row(s) deleted", deleted)
    return deleted


@shared_task(name="casework.tasks.purge_status_lookups", acks_late=True, ignore_result=True)
def purge_status_lookups() -> int:
    """Beat, daily: delete status-page lookup log rows past their retention (90 days).

    The log exists to spot abuse while it happens; keeping it longer would go against storage
    limitation (GDPR art. 5(1)(e)). Same rule as ``manage.py purge_status_lookups``.
    """
    from .status_retention import purge_status_lookups as purge

    deleted = purge()
    log.info("status lookups: %d row(s) past retention deleted", deleted)
    return deleted
