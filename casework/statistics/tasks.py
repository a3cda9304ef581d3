"""Celery task of the statistics: keep the published tables computed before anyone asks."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.refresh_statistics", acks_late=True, ignore_result=True)
def refresh_statistics() -> int:
    """Beat, every few minutes and once when beat starts: recompute every published table
    (``casework.statistics.services.statistics_refresh``), so that no member of staff and
    no API client waits for the scans of the whole tables. Idempotent."""
    from casework.statistics.services import statistics_refresh

    return statistics_refresh()


def refresh_soon() -> None:
    """Ask for a refresh now, once in ten minutes at most: on a system that has never
    refreshed, the first visitor of the page is told the figures are being computed, and
    they are, without waiting for beat. A broker that is down is logged, never an error page."""
    from django.core.cache import cache

    try:
        if not cache.add("statistics:refresh-requested", 1, 10 * 60):
            return
        refresh_statistics.delay()
    except Exception as exc:  # the cache or the broker down: beat's schedule does it
        log.warning("statistics refresh not requested: %s", type(exc).__name__)
