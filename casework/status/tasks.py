"""Celery task of the status page: delete lookup-log rows past their retention."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.purge_status_lookups", acks_late=True, ignore_result=True)
def purge_status_lookups() -> int:
    """Beat, daily: delete status-page lookup log rows past their retention (90 days).

    The log exists to spot abuse while it happens; keeping it longer would go against storage
    limitation (GDPR art. 5(1)(e)). Same rule as ``manage.py purge_status_lookups``.
    """
    from casework.status.retention import purge_status_lookups as purge

    deleted = purge()
    log.info("status lookups: %d row(s) past retention deleted", deleted)
    return deleted


@shared_task(name="casework.tasks.refresh_waiting_figures", acks_late=True, ignore_result=True)
def refresh_waiting_figures() -> int:
    """Beat, every ``WAITING_REFRESH_SECONDS`` and once when beat starts: recompute the
    expected waiting times and the queue, so that no status lookup computes them."""
    from casework.status.services import waiting_figures_refresh

    return waiting_figures_refresh()
