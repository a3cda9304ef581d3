"""Celery task of retention: anonymise the people whose retention period has run out."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.anonymise_due", acks_late=True)
def anonymise_due() -> int:
    """Anonymise the people whose retention period has run out (casework.privacy.retention)."""
    from casework.privacy.retention import anonymise_due as run

    count = run()
    log.info("retention: %d people anonymised", count)
    return count
