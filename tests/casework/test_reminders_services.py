"""Exactly-once reminders with the real parts: PostgreSQL, Redis and a real Celery worker.

The worker is a subprocess (``celery -A config worker --pool=solo``) on this test run's
PostgreSQL database and Redis db, with the test channels of ``reminder_testapp`` and Django's
file mail backend, so every assertion counts what really left the worker. It is always
killed in a ``finally``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.utils import timezone

from casework.applications.services import application_decide
from casework.core.requestid import bound
from casework.deadlines.channels import register_channel, unregister_channel
from casework.deadlines.reminders import sweep
from casework.deadlines.tasks import deliver_reminder
from casework.models import Application, Reminder
from tests.casework.reminder_testapp.channels import (
    BrokenChannel,
    FlakyChannel,
    delivered_ids,
)
from tests.factories import ApplicationFactory, deliver

ROOT = Path(__file__).resolve().parents[2]
CELERY = str(Path(sys.executable).with_name("celery"))

pytestmark = [
    pytest.mark.services("postgres", "celery"),
    pytest.mark.django_db(transaction=True),
]


# --- helpers ----------------------------------------------------------------------------------


def broker() -> redis.Redis:
    """The Redis db this run was given (CELERY_BROKER_URL); tests touch only its queue keys."""
    return redis.Redis.from_url(settings.CELERY_BROKER_URL)


def key(name: str) -> str:
    """A broker key as kombu writes it: behind this process's ``REDIS_KEY_PREFIX`` (one per
    pytest-xdist worker, so parallel workers never see each other's queue)."""
    return f"{settings.REDIS_KEY_PREFIX}{name}"


def queued_ids() -> list[int]:
    """The reminder ids of the delivery messages waiting in the Redis queue."""
    out = []
    for raw in broker().lrange(key("celery"), 0, -1):
        message = json.loads(raw)
        args, _kwargs, _embed = json.loads(base64.b64decode(message["body"]))
        out.append(args[0])
    return out


def wait_for(condition: Callable[[], bool], timeout: float = 60, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what or condition}")


def all_settled() -> bool:
    return not Reminder.objects.filter(status__in=["pending", "sending"]).exists()


def broker_idle() -> bool:
    r = broker()
    return r.llen(key("celery")) == 0 and r.hlen(key("unacked")) == 0


def mails(outbox: Path) -> list[str]:
    """Recipients of the e-mails Django's file backend wrote (one ``To:`` line per message)."""
    found = []
    for path in (outbox / "mail").glob("*.log"):
        found += [
            line[4:].strip() for line in path.read_text().splitlines() if line.startswith("To: ")
        ]
    return sorted(found)


def due_appeal_case(caseworker, decider, unit, track: str = "dublin") -> Application:
    """A Dublin case rejected and delivered now: its 48-hour appeal deadline is inside the
    5-day reminder lead, so the transition itself creates the reminders and queues them after
    commit."""

    app = ApplicationFactory(
        state="examined",
        track=track,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
    )
    app = application_decide(
        actor=decider, application=app, outcome="dublin", grounds="Dublin III art. 13."
    )
    # delivered at once: the 48 hours run from now
    return deliver(app, by=caseworker)


class Worker:
    """A real ``celery worker`` subprocess in its own process group."""

    def __init__(self, outbox: Path, **env: str) -> None:
        self.log = outbox / f"worker-{time.monotonic_ns()}.log"
        db = connection.settings_dict
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.casework.reminder_testapp.worker_settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{db['NAME']}"
            ),
            "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
            "REMINDER_TEST_OUTBOX": str(outbox),
            **env,
        }
        self.proc: subprocess.Popen | None = None

    def start(self) -> Worker:
        with open(self.log, "w") as log:
            self.proc = subprocess.Popen(
                [
                    CELERY,
                    "-A",
                    "config",
                    "worker",
                    "--pool=solo",
                    "--loglevel=INFO",
                    "--without-gossip",
                    "--without-mingle",
                    "--without-heartbeat",
                    "-n",
                    f"reminders-test-{time.monotonic_ns()}@%h",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        wait_for(lambda: "ready." in self.log.read_text() or self.proc.poll() is not None, 90)
        assert self.proc.poll() is None, self.log.read_text()[-3000:]
        return self

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=15)


# --- fixtures ---------------------------------------------------------------------------------


def clear_broker() -> None:
    """Empty the default queue and the unacked set (not the whole db) of this run's Redis db."""
    broker().delete(*(key(k) for k in ("celery", "unacked", "unacked_index", "unacked_mutex")))


@pytest.fixture(scope="module")
def worker_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("reminder-worker")
    (path / "mail").mkdir()
    return path


@pytest.fixture(scope="module")
def worker(worker_dir: Path, django_db_setup, django_db_blocker) -> Iterator[Worker]:
    """One real worker for the module (starting one takes seconds); killed in a finally."""
    clear_broker()
    with django_db_blocker.unblock():
        w = Worker(worker_dir)
    try:
        yield w.start()
    finally:
        w.kill()


@pytest.fixture
def outbox(worker_dir: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The worker's outbox, emptied for this test."""
    for path in [*worker_dir.glob("*"), *(worker_dir / "mail").glob("*")]:
        if path.is_file() and not path.name.startswith("worker-"):
            path.unlink()
    monkeypatch.setenv("REMINDER_TEST_OUTBOX", str(worker_dir))
    clear_broker()
    return worker_dir


@pytest.fixture
def test_channel() -> Iterator[Callable]:
    """Register test channels in this process (the worker registers them from its app)."""
    added: list[str] = []

    def add(cls) -> None:
        register_channel(cls)
        added.append(cls.name)

    yield add
    for name in added:
        unregister_channel(name)


# --- a real worker ----------------------------------------------------------------------------


def test_each_reminder_is_delivered_exactly_once_by_a_real_worker(
    worker, outbox, unit, caseworker, decider
):
    cases = [due_appeal_case(caseworker, decider, unit) for _ in range(10)]
    # the appeal deadline: admin + e-mail to staff, e-mail to the applicant; and the
    # applicant's "decision made" notice
    assert Reminder.objects.count() == 40
    # every way a message can be repeated: two sweeps at once, and each task sent twice more
    threads = [threading.Thread(target=lambda: (sweep(), connection.close())) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    for reminder_id in Reminder.objects.values_list("id", flat=True):
        deliver_reminder.delay(reminder_id)
        deliver_reminder.delay(reminder_id)
    wait_for(lambda: all_settled() and broker_idle(), 90, "all reminders delivered")
    expected = sorted([caseworker.email] * 10 + [c.person.email for c in cases] * 2)
    assert mails(outbox) == expected
    assert set(Reminder.objects.values_list("status", "attempts")) == {("sent", 1)}


def test_the_worker_logs_a_delivery_under_the_request_id_of_the_decision_that_queued_it(
    worker, outbox, unit, caseworker, decider
):
    """The decision, made while serving a request, queues its reminders after commit; each
    delivery message carries the request id and the worker's log lines for it show it."""
    with bound("decision-req-4e8f01"):
        case = due_appeal_case(caseworker, decider, unit)
    wait_for(all_settled, 60, "the decision's reminders delivered")
    assert Reminder.objects.filter(deadline__application=case, status="sent").count() == 4

    def delivered_lines() -> list[str]:
        return [
            line
            for line in worker.log.read_text().splitlines()
            if "[decision-req-4e8f01]" in line
            and "casework.tasks.deliver_reminder" in line
            and "succeeded" in line
        ]

    wait_for(lambda: len(delivered_lines()) == 4, 30, "four delivery lines with the request id")


def test_a_delivery_that_fails_once_is_retried_and_delivered_once(
    worker, outbox, test_channel, unit, caseworker, decider
):
    test_channel(FlakyChannel)
    due_appeal_case(caseworker, decider, unit)
    flaky = list(Reminder.objects.filter(channel="test-flaky").values_list("id", flat=True))
    assert len(flaky) == 3  # the caseworker and the applicant, and the decision notice
    wait_for(all_settled, 60, "flaky reminders delivered")
    assert sorted(delivered_ids()) == sorted(flaky)
    rows = Reminder.objects.filter(channel="test-flaky")
    assert {(r.status, r.attempts) for r in rows} == {("sent", 2)}
    assert {r.failure for r in rows} == {"ConnectionError: simulated outage of the test gateway"}


def test_after_the_last_retry_the_reminder_is_failed_with_its_reason(
    worker, outbox, test_channel, unit, caseworker, decider
):
    test_channel(BrokenChannel)
    due_appeal_case(caseworker, decider, unit)
    wait_for(all_settled, 60, "broken reminders given up")
    rows = Reminder.objects.filter(channel="test-broken")
    assert {(r.status, r.attempts) for r in rows} == {("failed", 3)}  # REMINDER_MAX_ATTEMPTS
    assert {r.failure for r in rows} == {"TimeoutError: the test gateway never answers"}
    assert delivered_ids() == []


@pytest.mark.fault
def test_with_redis_down_the_transition_and_sweep_succeed_and_the_next_sweep_delivers(
    worker, outbox, unit, caseworker, decider
):
    """Nothing listens on port 1: publishing fails at once. The transition commits, the
    rows stay pending; with Redis back the next sweep queues them and they are delivered."""
    app = ApplicationFactory(
        state="examined",
        track="dublin",
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=timezone.now() - dt.timedelta(days=3),
    )
    code = f"""
import django, json, time
django.setup()
from django.contrib.auth import get_user_model
from django.utils import timezone
from casework.applications.services import application_decide, decision_notification_record
from casework.core.requestid import bound
from casework.models import Application
from casework.deadlines.reminders import sweep
decider = get_user_model().objects.get(pk={decider.pk})
caseworker = get_user_model().objects.get(pk={caseworker.pk})
app = Application.objects.get(pk={app.pk})
t = time.monotonic()
app = application_decide(actor=decider, application=app, outcome="dublin", grounds="Art. 13.")
app = decision_notification_record(
    app, actor=caseworker, notified_at=timezone.now(), channel="lawyer", confirmed_by="Lawyer"
)
transition = time.monotonic() - t
t = time.monotonic()
report = sweep()
print(json.dumps({{"transition": transition, "sweep": time.monotonic() - t,
                  "queued": report.queued, "failed": report.enqueue_failed}}))
"""
    db = connection.settings_dict
    env = {
        **worker.env,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "CELERY_BROKER_URL": "redis://127.0.0.1:1/3",
        "DATABASE_URL": f"postgres://{db['USER']}@127.0.0.1:{db['PORT'] or 5432}/{db['NAME']}",
    }
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["transition"] < 3 and out["sweep"] < 3, out
    assert (out["queued"], out["failed"]) == (0, 4)  # 3 for the appeal deadline, the notice
    assert "could not" in done.stderr or "broker unavailable" in done.stderr
    app.refresh_from_db()
    assert app.state == "rejected"
    rows = Reminder.objects.filter(deadline__application=app)
    assert {(r.status, r.queued_at) for r in rows} == {("pending", None)}
    # Redis is back (this process's broker): the next sweep queues them, the worker delivers
    report = sweep()
    assert report.queued == 4
    wait_for(all_settled, 60, "reminders delivered after Redis came back")
    # the appeal deadline's reminders, and the applicant's "decision made" notice
    assert mails(outbox) == sorted([caseworker.email, app.person.email, app.person.email])
    assert set(rows.values_list("status", "attempts")) == {("sent", 1)}
