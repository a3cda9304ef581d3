"""Recording that a scheduled job completed (``Heartbeat``), and reading it back."""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

from django.utils import timezone

from casework.core.models import Heartbeat

SWEEP = "sweep"
WAITING_FIGURES = "waiting_figures"


def heartbeat_record(*, job: str, duration_seconds: float, rows: Mapping[str, int]) -> Heartbeat:
    """Note that ``job`` has just completed, replacing its previous row.

    Written only after the job's work is done (never when it raised), so the row's age is the
    time since the job last did its work.
    """
    heartbeat, _created = Heartbeat.objects.update_or_create(
        job=job,
        defaults={
            "finished_at": timezone.now(),
            "duration_seconds": round(duration_seconds, 3),
            "rows": {key: int(value) for key, value in rows.items()},
        },
    )
    return heartbeat


@contextmanager
def recorded_run(job: str) -> Iterator[dict[str, int]]:
    """Time the block and, when it completes without raising, record the heartbeat with the
    row counts the block put in the dict it was given."""
    rows: dict[str, int] = {}
    began = time.monotonic()
    yield rows
    heartbeat_record(job=job, duration_seconds=time.monotonic() - began, rows=rows)


def heartbeats() -> dict[str, Heartbeat]:
    """Every job's last completed run, by job name (one query on a table of a few rows)."""
    return {h.job: h for h in Heartbeat.objects.all()}
