"""Celery task of the API: forget stored idempotent answers past their time."""

from __future__ import annotations

import logging

from celery import shared_task

log = logging.getLogger(__name__)


@shared_task(name="casework.tasks.purge_idempotency_keys", acks_late=True, ignore_result=True)
def purge_idempotency_keys() -> int:
    """Beat, daily: drop stored API responses older than ``API_IDEMPOTENCY_TTL``."""
    from casework.api.base import idempotency_keys_purge

    deleted = idempotency_keys_purge()
    log.info("idempotency keys: %d expired row(s) deleted", deleted)
    return deleted
