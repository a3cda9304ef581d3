"""The only writer of the status page's shared figures: the expected waiting time and the
queue per lodging day, recomputed by Celery beat (and when beat starts), never in a lookup.
"""

from __future__ import annotations

import datetime as dt
import logging

from django.db import transaction
from django.utils import timezone

from casework.applications.choices import ApplicationKind, Track
from casework.core.heartbeats import WAITING_FIGURES, recorded_run
from casework.status.models import QueueDay, WaitingFigure
from casework.status.waiting import compute_queue_days, compute_waiting_days

log = logging.getLogger(__name__)


def waiting_figures_refresh(*, now: dt.datetime | None = None) -> int:
    """Recompute every kind and track's expected waiting time and queue, and replace the stored
    figures of each in one transaction (a lookup sees the old figures or the new, never half).

    Returns the number of kinds × tracks refreshed. Computed outside the transaction, so the
    write lock (SQLite) is held only for the short replacement, not for the seconds of reading.
    A completed refresh records its heartbeat: ``/healthz`` turns unhealthy when the figures
    applicants read are older than twice ``WAITING_REFRESH_SECONDS``.
    """
    now = now or timezone.now()
    with recorded_run(WAITING_FIGURES) as rows:
        refreshed = _refresh_all(now)
        rows["figures"] = refreshed
    log.info("waiting figures refreshed: %d kinds and tracks", refreshed)
    return refreshed


def _refresh_all(now: dt.datetime) -> int:
    refreshed = 0
    for kind in ApplicationKind.values:
        for track in Track.values:
            days, sample = compute_waiting_days(kind=kind, track=track, now=now)
            queue = compute_queue_days(kind=kind, track=track)
            with transaction.atomic():
                WaitingFigure.objects.update_or_create(
                    kind=kind,
                    track=track,
                    defaults={"p80_days": days, "sample": sample, "computed_at": now},
                )
                QueueDay.objects.filter(kind=kind, track=track).delete()
                QueueDay.objects.bulk_create(
                    [
                        QueueDay(kind=kind, track=track, lodged_on=d, before=b, count=n)
                        for d, b, n in queue
                    ],
                    batch_size=2000,
                )
            refreshed += 1
    return refreshed
