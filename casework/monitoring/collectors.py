"""Metrics read from the database and the broker when Prometheus scrapes, so every web
process reports the same figures whichever one is asked: reminders by state, the oldest
pending reminder, the broker's queue, and each scheduled job's last completed run (its time,
duration and rows, as the heartbeat the job wrote says)."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterator
from typing import Any

from django.utils import timezone
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from casework.core.heartbeats import heartbeats
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.models import Reminder
from casework.monitoring.health import oldest_pending_reminder

log = logging.getLogger(__name__)


def broker_queue_depth() -> dict[str, int]:
    """Messages waiting in the broker, by queue (the default queue: every task uses it).
    Empty when the broker cannot be reached within a second."""
    from celery import current_app

    queue = current_app.conf.task_default_queue
    try:
        with current_app.connection_for_read() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
            channel: Any = conn.default_channel  # kombu's stubs omit queue_declare
            try:
                declared = channel.queue_declare(queue=queue, passive=True)
            except conn.channel_errors:  # no such queue yet: nothing has been sent
                return {queue: 0}
            return {queue: int(declared.message_count)}
    except Exception as exc:  # broker unreachable: no figure rather than a failed scrape
        log.warning("broker queue depth unavailable: %s", type(exc).__name__)
        return {}


class OperationsCollector(Collector):
    """The database's and the broker's figures, computed at each scrape (a handful of indexed
    queries)."""

    def collect(self) -> Iterator[Metric]:
        up = GaugeMetricFamily(
            "casework_database_up", "1 when the metrics' database queries succeeded."
        )
        try:
            families = list(self._from_database())
        except Exception as exc:  # the database is down: say so, keep the other metrics
            log.warning("metrics: database figures unavailable: %s", type(exc).__name__)
            up.add_metric([], 0)
            families = []
        else:
            up.add_metric([], 1)
        yield up
        yield from families
        depth = GaugeMetricFamily(
            "casework_broker_queue_messages",
            "Task messages waiting in the broker, by queue.",
            labels=["queue"],
        )
        for queue, count in broker_queue_depth().items():
            depth.add_metric([queue], count)
        yield depth

    def _from_database(self) -> Iterator[Metric]:
        now = timezone.now()
        # Each count is a range of the (status, created_at) index. The waiting ones all (they
        # are few); the others of the last day only, since counting every reminder ever sent
        # read 2.7 million index entries (0.5 s) at each scrape on the million-case database.
        waiting = GaugeMetricFamily(
            "casework_reminders_waiting",
            "Reminders not yet delivered, by state (pending: to send or retry; sending: "
            "claimed by a worker).",
            labels=["status"],
        )
        for status in (ReminderStatus.PENDING, ReminderStatus.SENDING):
            waiting.add_metric([status.value], Reminder.objects.filter(status=status).count())
        yield waiting
        recent = GaugeMetricFamily(
            "casework_reminders_last_day",
            "Reminders created in the last 24 hours, by their state now.",
            labels=["status"],
        )
        since = now - dt.timedelta(days=1)
        for status in ReminderStatus:
            count = Reminder.objects.filter(status=status, created_at__gte=since).count()
            recent.add_metric([status.value], count)
        yield recent

        oldest = oldest_pending_reminder()
        yield GaugeMetricFamily(
            "casework_reminder_oldest_pending_age_seconds",
            "How long the longest-waiting undelivered reminder has waited (0: none waiting).",
            value=max(0.0, (now - oldest).total_seconds()) if oldest else 0.0,
        )

        finished = GaugeMetricFamily(
            "casework_job_last_completed_timestamp_seconds",
            "When each scheduled job (sweep, waiting_figures) last completed, Unix time.",
            labels=["job"],
        )
        duration = GaugeMetricFamily(
            "casework_job_last_duration_seconds",
            "How long each scheduled job's last completed run took.",
            labels=["job"],
        )
        rows = GaugeMetricFamily(
            "casework_job_last_rows",
            "Rows each scheduled job's last completed run touched, by kind (the sweep: "
            "created, advanced, reclaimed, queued, enqueue_failed; waiting_figures: figures).",
            labels=["job", "kind"],
        )
        for job, beat in sorted(heartbeats().items()):
            finished.add_metric([job], beat.finished_at.timestamp())
            duration.add_metric([job], beat.duration_seconds)
            for kind, n in sorted(beat.rows.items()):
                rows.add_metric([job, kind], n)
        yield finished
        yield duration
        yield rows
