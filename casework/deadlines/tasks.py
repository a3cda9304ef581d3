"""Celery tasks of deadlines: the sweep and the delivery of one reminder.

Tasks carry ids, never objects. ``acks_late`` with ``reject_on_worker_lost``: a message is
acknowledged only when its task has finished, and a killed worker's message is redelivered;
both are safe because delivery claims its row first (``reminders.reminder_deliver``).
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import Retry

from casework.deadlines.models import Reminder
from casework.deadlines.reminders import (
    DELIVER_TASK,
    RETRY,
    reminder_deliver,
    retry_countdown,
    sweep,
)

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
    report = sweep()
    return sum(report.created.values())


@shared_task(
    bind=True,
    name=DELIVER_TASK,
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
    result = reminder_deliver(reminder_id=reminder_id)
    if result.outcome == RETRY:
        try:
            raise self.retry(countdown=retry_countdown(result.attempts))
        except Retry:
            raise
        except Exception:  # broker down: the next sweep queues the row again
            log.warning("could not queue the retry of reminder id=%s", reminder_id)
            Reminder.objects.filter(pk=reminder_id, status="pending").update(queued_at=None)
    return result.outcome
