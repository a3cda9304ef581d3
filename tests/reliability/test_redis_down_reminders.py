"""Redis dies under a running system and comes back empty: every reminder arrives, once.

Our own redis-server is the broker of a real gunicorn and a real Celery worker. We kill it
(no persistence: whatever was queued is gone, as after a crash of a cache-configured Redis).
While it is down, decision-makers reject Dublin cases over the API: each rejection's 48-hour
appeal deadline is inside the reminder lead, so it creates reminder rows and tries to queue
them after commit, which fails quietly. A sweep (what beat runs) also finds the broker dead
and leaves the rows pending. Redis comes back; the worker reconnects by itself; the next
sweep queues the pending rows and the worker delivers each exactly once.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import requests
from django.utils import timezone
from rest_framework.authtoken.models import Token

from casework.models import Reminder
from tests.factories import ApplicationFactory

from .conftest import ROOT, app_env, gunicorn

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]

CELERY = str(Path(sys.executable).with_name("celery"))
CASES = 6


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def mail_recipients(outbox: Path) -> list[str]:
    found = []
    for path in (outbox / "mail").glob("*.log"):
        found += [ln[4:].strip() for ln in path.read_text().splitlines() if ln.startswith("To: ")]
    return sorted(found)


def sweep(env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "sweep_deadlines"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.django_db(transaction=True)
def test_reminders_due_while_redis_was_down_are_delivered_once_when_it_is_back(
    tmp_path, redis_server, unit, caseworker, decider
):
    outbox = tmp_path / "outbox"
    (outbox / "mail").mkdir(parents=True)
    env = app_env(
        tmp_path,
        CELERY_BROKER_URL=redis_server.url,
        REDIS_URL=redis_server.url,
        REMINDER_TEST_OUTBOX=str(outbox),
    )
    cases = [
        ApplicationFactory(
            state="examined",
            track="dublin",
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=timezone.now() - dt.timedelta(days=3),
        )
        for _ in range(CASES)
    ]
    token = Token.objects.create(user=decider).key
    worker_log = tmp_path / "worker.log"
    worker_env = {
        **env,
        "DJANGO_SETTINGS_MODULE": "tests.casework.reminder_testapp.worker_settings",
    }
    with worker_log.open("w") as log_file:
        worker = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "--without-heartbeat",
             "-n", f"reliability-{os.getpid()}@%h"],
            cwd=ROOT, env=worker_env, stdout=log_file, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        # Generous: a worker's start (imports, Django set-up and checks) on a CI machine whose
        # two cores run the other tests and the replica's base backup can take minutes.
        wait_for(lambda: "ready." in worker_log.read_text(), 240, "the worker to start")
        with gunicorn(
            tmp_path,
            CELERY_BROKER_URL=redis_server.url,
            REDIS_URL=redis_server.url,
            RATELIMIT_FAIL_OPEN="1",
        ) as web:
            redis_server.stop()
            slowest = 0.0
            for app in cases:
                began = time.monotonic()
                resp = requests.post(
                    f"{web.base}/api/v1/applications/{app.pk}/transitions/reject/",
                    json={"outcome": "dublin", "grounds": "Dublin III art. 13."},
                    headers={"Authorization": f"Token {token}"},
                    timeout=30,
                )
                slowest = max(slowest, time.monotonic() - began)
                assert resp.status_code == 200, resp.text[:300]
                assert resp.json()["state"] == "rejected"
            assert slowest < 3, slowest
            rows = Reminder.objects.filter(deadline__application__in=cases)
            expected = rows.count()
            assert expected >= CASES  # at least the caseworker's reminder of each deadline
            assert set(rows.values_list("status", flat=True)) == {"pending"}

            down = sweep(env)
            assert down.returncode == 0, down.stderr[-2000:]
            assert "could not be queued" in down.stderr
            time.sleep(1)
            assert mail_recipients(outbox) == []  # nothing went out while Redis was down

            redis_server.start()  # empty: the queued-before-crash messages are gone
            wait_for(
                lambda: worker_log.read_text().count("Connected to redis") >= 2,
                60,
                "the worker to reconnect",
            )
            back = sweep(env)
            assert back.returncode == 0, back.stderr[-2000:]
            wait_for(
                lambda: not rows.filter(status__in=["pending", "sending"]).exists(),
                90,
                "every reminder to be delivered",
            )
        assert worker.poll() is None, worker_log.read_text()[-3000:]
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGTERM)
            try:
                worker.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(timeout=10)

    assert set(rows.values_list("status", "attempts")) == {("sent", 1)}
    sent_by_mail = rows.filter(channel="email").count()
    recipients = mail_recipients(outbox)
    assert len(recipients) == sent_by_mail  # one e-mail per e-mail reminder: none lost, none twice
    assert (
        recipients.count(caseworker.email)
        == rows.filter(channel="email", recipient=f"user:{caseworker.pk}").count()
    )
    print(
        f"\nRedis killed and restarted empty: {expected} reminders due meanwhile, "
        f"{expected} delivered once ({sent_by_mail} e-mails); slowest transition {slowest:.2f}s"
    )
