"""Celery tasks of retention and of the logs: anonymise the people whose retention period has
run out; keep the audit and access logs' monthly partitions ahead."""

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


@shared_task(name="casework.tasks.keep_log_partitions_ahead", acks_late=True)
def keep_log_partitions_ahead() -> int:
    """Make the audit and access logs' partitions for the coming months before they start
    (casework.core.partitions), so a new month's rows never land in the default partition."""
    from casework.core.partitions import logs_keep_ahead

    created = logs_keep_ahead()
    log.info("partitions: %d made", len(created))
    return len(created)
