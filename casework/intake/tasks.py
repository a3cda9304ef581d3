"""Celery task of intake: run an uploaded import in the background."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.run_import_job", acks_late=True)
def run_import_job(job_id: int) -> None:
    """Import an uploaded arrivals CSV (ImportJob); safe to redeliver (imports are idempotent)."""
    from casework.intake.imports import import_job_run

    import_job_run(job_id=job_id)
