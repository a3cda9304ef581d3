"""Scale-out: 2 web processes vs 1 (status page and API throughput, same wrk load), and
2 Celery workers vs 1 draining the same number of reminder deliveries.

On a 2-core machine shared with other work, the best one can hope for is 2× (the cores);
the ratio reported is 2 processes / 1 process.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from bench.common import ROOT, Figure, Gunicorn, Row, peak_rss_mb
from bench.rows import api, status

REMINDERS = int(os.environ.get("BENCH_REMINDERS", "600"))


def web(ctx: dict[str, Any]) -> list[Row]:
    status.sample(ctx)
    q_status, q_api = status.queries(ctx, "/status/"), api.queries(ctx, api.OURS)
    figs: dict[tuple[str, int], Figure] = {}
    for workers in (1, 2):
        with Gunicorn(workers) as server:
            api.measure(ctx, server, api.OURS, "warm-up", q_api)
            figs["status", workers] = status.measure(
                ctx, server, "/status/", f"/status/, {workers} web process(es)", q_status
            )
            figs["api", workers] = api.measure(
                ctx, server, api.OURS, f"API list, {workers} web process(es)", q_api
            )
    rows = []
    for what in ("status", "api"):
        row = Row(
            what=f"scale-out, {what}: 2 web processes vs 1",
            ours=figs[what, 2],
            baseline=figs[what, 1],
            target="more throughput with 2 (≤ 2× on 2 cores)",
            ratio_kind="throughput",
        )
        row.met = bool(row.ratio and row.ratio > 1.2)
        rows.append(row)
    return rows


def _pending_reminders(ctx: dict[str, Any], n: int, label: str) -> list[int]:
    """n pending admin-channel reminders of bench deadlines (delivery writes an admin note)."""
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from casework.models import Deadline, Reminder

    deadline = Deadline.objects.filter(recipient_user__isnull=False).first()
    if deadline is None:
        return []
    user = get_user_model().objects.get(username="caseworker")
    rows = [
        Reminder(
            deadline=deadline,
            recipient=f"user:{user.pk}",
            kind=f"b{ctx['run_id'][-6:]}{label[0]}{i}",  # at most 24 characters
            channel="admin",
            cycle=deadline.cycle,
            created_at=timezone.now(),
        )
        for i in range(n)
    ]
    return [r.pk for r in Reminder.objects.bulk_create(rows)]


def _drain(ids: list[int], workers: int) -> Figure:
    from casework.deadlines.tasks import deliver_reminder
    from casework.models import Reminder

    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    procs = [
        subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "WARNING",
                "-n",
                f"bench{i}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        for i in range(workers)
    ]
    try:
        time.sleep(8)  # the workers start and connect before the clock starts
        start = time.perf_counter()
        for pk in ids:
            deliver_reminder.delay(pk)
        pending = len(ids)
        while pending and time.perf_counter() - start < 300:
            time.sleep(0.2)
            pending = Reminder.objects.filter(pk__in=ids, status__in=["pending", "sending"]).count()
        seconds = time.perf_counter() - start
        peaks = [peak_rss_mb(p.pid) for p in procs]
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=30)
    return Figure(
        name=f"{workers} Celery worker(s), {len(ids)} deliveries",
        throughput=round((len(ids) - pending) / seconds, 1),
        unit="deliveries/s",
        seconds=round(seconds, 2),
        count=len(ids) - pending,
        peak_mem_mb=max(p for p in peaks if p) if any(peaks) else None,
        errors=pending,
    )


def celery(ctx: dict[str, Any]) -> list[Row]:
    one = _drain(_pending_reminders(ctx, REMINDERS, "one"), 1)
    two = _drain(_pending_reminders(ctx, REMINDERS, "two"), 2)
    row = Row(
        what="scale-out, reminder delivery: 2 Celery workers vs 1",
        ours=two,
        baseline=one,
        target="more throughput with 2 (≤ 2× on 2 cores)",
        ratio_kind="throughput",
    )
    row.met = bool(row.ratio and row.ratio > 1.2)
    return [row]


def run(ctx: dict[str, Any]) -> list[Row]:
    rows = web(ctx)
    try:
        rows += celery(ctx)
    except Exception as exc:  # keep the web figures if the Celery part fails
        rows.append(
            Row(
                what="scale-out, reminder delivery: 2 Celery workers vs 1",
                ours=Figure(name="2 Celery workers", note=f"failed: {exc!r}"[:300]),
                baseline=Figure(name="1 Celery worker"),
                target="more throughput with 2",
                met=False,
            )
        )
    return rows
