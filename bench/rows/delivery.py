"""Scale-out on I/O-bound delivery: 2 Celery workers vs 1 sending the same number of reminder
e-mails through a real SMTP relay on loopback that takes a fixed time per message.

Each worker is the product's worker (``celery -A config worker``, the solo pool: one task at a
time per process, as deployed) with Django's SMTP mail backend pointed at ``bench.smtp``,
which answers each message after ``BENCH_SMTP_DELAY`` seconds (default 0.05: a relay that
checks and queues the message). A delivery is then mostly waiting, so a second worker should
nearly double the rate whatever the cores; the target is ≥ 1.6×. The same number of pending
e-mail reminders (to the demo caseworker, on one of their open deadlines; ``resend`` numbers
keep them distinct rows) is queued for each side, after the workers answer a ping; the clock
stops when the relay has accepted every message and no row is left pending or sending.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from typing import Any

from bench.common import ROOT, Figure, Row, peak_rss_mb
from bench.smtp import SmtpServer

N = int(os.environ.get("BENCH_SMTP_REMINDERS", "400"))
DELAY = float(os.environ.get("BENCH_SMTP_DELAY", "0.05"))
BENCH_ADDRESS = "caseworker@casework.invalid"


def _pending_emails(n: int) -> list[int]:
    """n pending e-mail reminders to the caseworker, distinct by ``resend`` (the unique key)."""
    from django.contrib.auth import get_user_model
    from django.db.models import Max
    from django.utils import timezone

    from casework.models import Deadline, Reminder

    user = get_user_model().objects.get(username="caseworker")
    if not user.email:  # the bench's database only: the relay needs an address to send to
        user.email = BENCH_ADDRESS
        user.save(update_fields=["email"])
    deadlines = Deadline.objects.filter(closed_at=None, recipient_user=user).order_by("id")
    kind = "benchsmtp"
    out: list[int] = []
    for deadline in deadlines.iterator():
        key = {
            "deadline": deadline,
            "recipient": f"user:{user.pk}",
            "kind": kind,
            "channel": "email",
            "cycle": deadline.cycle,
        }
        top = Reminder.objects.filter(**key).aggregate(m=Max("resend"))["m"]
        first = 0 if top is None else top + 1
        room = min(n - len(out), 32767 - first)
        if room <= 0:
            continue
        rows = [Reminder(**key, resend=first + i, created_at=timezone.now()) for i in range(room)]
        out += [r.pk for r in Reminder.objects.bulk_create(rows)]
        if len(out) >= n:
            break
    return out


def _start_workers(workers: int, smtp_port: int) -> list[subprocess.Popen]:
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "bench.settings",
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
    }
    return [
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
                f"benchsmtp{i}-{os.getpid()}@%h",
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


def _wait_ready(procs: list[subprocess.Popen], timeout: float = 60) -> None:
    """Until every worker answers a ping (consuming from the queue), or raise."""
    from config.celery import app

    deadline = time.monotonic() + timeout
    names = {f"benchsmtp{i}-{os.getpid()}" for i in range(len(procs))}
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=1.0) or []
        up = {name.split("@")[0] for reply in replies for name in reply}
        if names <= up:
            return
        if any(p.poll() is not None for p in procs):
            raise RuntimeError("a Celery worker exited while starting")
    raise RuntimeError(f"Celery workers not ready after {timeout:.0f} s")


def _drain(ids: list[int], workers: int) -> Figure:
    from django.contrib.auth import get_user_model

    from casework.deadlines.tasks import deliver_reminder
    from casework.models import Reminder

    with SmtpServer(delay=DELAY) as smtp:
        procs = _start_workers(workers, smtp.port)
        try:
            _wait_ready(procs)
            start = time.perf_counter()
            for pk in ids:
                deliver_reminder.delay(pk)
            left = len(ids)
            while left and time.perf_counter() - start < 600:
                time.sleep(0.1)
                if smtp.received >= len(ids):
                    left = Reminder.objects.filter(
                        pk__in=ids, status__in=["pending", "sending"]
                    ).count()
            seconds = time.perf_counter() - start
            peaks = [peak_rss_mb(p.pid) for p in procs]
        finally:
            for p in procs:
                p.terminate()
            for p in procs:
                p.wait(timeout=30)
        sent = Reminder.objects.filter(pk__in=ids, status="sent").count()
        received = smtp.received
        # Other rows' deliveries still queued (applicants' notices) reach the relay too; the
        # ones to the bench's own address are this row's, and must be one per reminder.
        address = get_user_model().objects.get(username="caseworker").email
        ours = sum(1 for rcpt in smtp.recipients if rcpt.strip("<>") == address)
    return Figure(
        name=f"{workers} Celery worker(s), {len(ids)} e-mails, relay {DELAY * 1000:.0f} ms/message",
        throughput=round(sent / seconds, 1),
        unit="deliveries/s",
        seconds=round(seconds, 2),
        count=sent,
        peak_mem_mb=max(p for p in peaks if p) if any(peaks) else None,
        errors=(len(ids) - sent) + abs(ours - len(ids)),
        note=f"relay accepted {received}, {ours} of them to the bench's address",
    )


def run(ctx: dict[str, Any]) -> list[Row]:
    one = _drain(_pending_emails(N), 1)
    two = _drain(_pending_emails(N), 2)
    row = Row(
        what="scale-out, reminder e-mails through an SMTP relay: 2 Celery workers vs 1",
        ours=two,
        baseline=one,
        target="2 workers ≥ 1.6× one (I/O-bound delivery)",
        ratio_kind="throughput",
        key="celery",
    )
    floor = 1 / DELAY
    row.notes.append(
        f"one worker's ceiling at {DELAY * 1000:.0f} ms a message: {floor:.0f}/s "
        "(the relay's wait alone)"
    )
    row.met = bool(row.ratio and row.ratio >= 1.6 and not one.errors and not two.errors)
    return [row]
