"""Retention of the status-page lookup log (``StatusLookup``): 90 days unless configured.

The log exists to spot abuse while it happens; keeping it longer than needed would be storage
limitation's opposite (GDPR art. 5(1)(e)). Called daily by beat
(``casework.tasks.purge_status_lookups``) and by ``manage.py purge_status_lookups``.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.utils import timezone

DEFAULT_RETENTION_DAYS = 90


def purge_status_lookups(*, days: int | None = None, now: dt.datetime | None = None) -> int:
    """Delete lookup rows older than ``days`` (``STATUS_LOOKUP_RETENTION_DAYS``, 90)."""
    from casework.status.models import StatusLookup

    if days is None:
        days = int(getattr(settings, "STATUS_LOOKUP_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    cutoff = (now or timezone.now()) - dt.timedelta(days=days)
    deleted, _ = StatusLookup.objects.filter(at__lt=cutoff).delete()
    return deleted
