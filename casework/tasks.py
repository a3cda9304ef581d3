"""Celery tasks: load by id, call a service, retry with backoff. Each is idempotent."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.sweep_deadlines", acks_late=True)
def sweep_deadlines() -> int:
    """Find the deadlines that fall due and create their reminder rows, then deliver them."""
    from .reminders import reminders_create_due

    created = reminders_create_due()
    deliver_pending_reminders.delay()
    return created


@shared_task(name="casework.tasks.deliver_pending_reminders", acks_late=True)
def deliver_pending_reminders() -> int:
    """Queue a delivery for every pending reminder (also recovers what a dead broker lost)."""
    from .models import Reminder

    ids = list(Reminder.objects.filter(status="pending").values_list("id", flat=True)[:10000])
    for reminder_id in ids:
        deliver_reminder.delay(reminder_id)
    return len(ids)


@shared_task(
    bind=True,
    name="casework.tasks.deliver_reminder",
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=(OSError,),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_reminder(self, reminder_id: int) -> bool:  # noqa: ANN001
    """Deliver one reminder exactly once; a redelivered message finds it sent and stops."""
    from .reminders import reminder_deliver

    return reminder_deliver(reminder_id=reminder_id)


@shared_task(name="casework.tasks.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import an uploaded arrivals CSV (ImportJob); safe to redeliver (imports are idempotent)."""
    from .imports import import_job_run

    import_job_run(job_id=job_id)
