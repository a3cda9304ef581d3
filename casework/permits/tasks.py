"""Celery task of the permits: run a group renewal in the background."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.run_permit_renewal", acks_late=True)
def run_permit_renewal(run_id: int) -> None:
    """Run a group renewal (``RenewalRun``); safe to redeliver: a permit is renewed once by a
    run, and a finished run is never run again."""
    from casework.permits.services import renewal_run_execute, renewal_run_fail

    try:
        renewal_run_execute(run_id=run_id)
    except Exception as exc:
        log.exception("permit renewal run %s failed", run_id)
        renewal_run_fail(run_id=run_id, message=str(exc))
        raise
