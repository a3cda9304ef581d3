"""Recovery without a running worker in the way: two sweeps at once (the queue is inspected
instead of consumed), and a worker SIGKILLed mid-delivery then replaced by a new one.

Real PostgreSQL, Redis and ``celery worker`` subprocesses (see ``test_reminders_services``).
"""

from __future__ import annotations

import datetime as dt
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from casework.deadlines import registry as deadlines
from casework.deadlines.channels import channels, register_channel, unregister_channel
from casework.deadlines.reminders import sweep
from casework.deadlines.services import deadline_set
from casework.models import Deadline, Reminder
from tests.casework.reminder_helpers import rejected_case
from tests.casework.reminder_testapp.channels import SlowChannel, delivered_ids
from tests.casework.test_reminders_services import (
    Worker,
    all_settled,
    clear_broker,
    queued_ids,
    wait_for,
)

pytestmark = [
    pytest.mark.services("postgres", "celery"),
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def outbox(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "mail").mkdir()
    monkeypatch.setenv("REMINDER_TEST_OUTBOX", str(tmp_path))
    clear_broker()
    return tmp_path


# --- the sweep, twice at once -----------------------------------------------------------------


def test_two_sweeps_at_once_create_and_queue_each_reminder_once(outbox, unit, caseworker, decider):

    cases = [rejected_case(caseworker=caseworker, decider=decider, unit=unit) for _ in range(20)]
    now = cases[0].appeal_deadline - dt.timedelta(days=2)
    barrier = threading.Barrier(2)
    reports = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            reports.append(sweep(now=now))
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(reports) == 2
    created = [sum(r.created.values()) for r in reports]
    # the sweeps make 3 for each appeal deadline and 3 for each departure deadline (the same
    # day: the end of the appeal period; its "soon" is a week before); the decision made its
    # applicant's "decision made" notice itself, which the sweeps queue
    assert sum(created) == 20 * 6 and Reminder.objects.count() == 20 * 7
    queued = Counter(queued_ids())
    swept_sources = ("casework.appeal", "casework.departure")
    swept = Reminder.objects.filter(deadline__source__in=swept_sources).values_list("id", flat=True)
    assert {i: queued[i] for i in swept} == dict.fromkeys(swept, 1)  # each once, none twice
    # The decision queued its notice at the time (19 days before the sweeps' "now"); still
    # pending then, one sweep (never both) queues it once more.
    notices = Reminder.objects.exclude(deadline__source__in=swept_sources).values_list(
        "id", flat=True
    )
    assert {i: queued[i] for i in notices} == dict.fromkeys(notices, 2)
    assert set(queued) == set(swept) | set(notices)
    assert sum(r.queued for r in reports) == 140 and not any(r.enqueue_failed for r in reports)
    # and a third sweep finds nothing new to create or queue
    third = sweep(now=now + dt.timedelta(minutes=5))
    assert sum(third.created.values()) == 0 and third.queued == 0


# --- a worker killed mid-delivery -------------------------------------------------------------


@pytest.fixture
def slow_source() -> Iterator[str]:
    """A test deadline source reminding staff only, on the slow test channel only."""
    saved = channels()
    for name in saved:
        unregister_channel(name)
    register_channel(SlowChannel)
    spec = deadlines.register(
        deadlines.DeadlineSource(
            key="tests.slow", label="test deadline", reminders=(deadlines.soon(days=1),)
        )
    )
    yield spec.key
    deadlines.unregister(spec.key)
    unregister_channel(SlowChannel.name)
    for channel in saved.values():
        register_channel(channel)


@pytest.mark.fault
def test_a_worker_killed_mid_delivery_is_recovered_and_delivers_once(
    outbox, slow_source, caseworker, settings, django_db_setup
):
    settings.REMINDER_CLAIM_TIMEOUT = 3
    first = Worker(outbox, REMINDER_TEST_SLOW_SECONDS="120")
    second = Worker(outbox, REMINDER_CLAIM_TIMEOUT="3")
    try:
        first.start()
        deadline = deadline_set(
            source=slow_source,
            object_id=1,
            due_at=timezone.now() + dt.timedelta(hours=1),
            recipient_user=caseworker,
        )
        reminder = Reminder.objects.get(deadline=deadline)  # due at once: queued on commit
        wait_for(lambda: (outbox / f"slow-{reminder.pk}").exists(), 60, "the send to start")
        reminder.refresh_from_db()
        assert reminder.status == "sending"
        first.kill(signal.SIGKILL)  # mid-send: nothing was delivered
        assert delivered_ids() == []
        second.start()
        time.sleep(3.5)  # the claim goes stale (REMINDER_CLAIM_TIMEOUT)
        report = sweep()
        assert (report.reclaimed, report.queued) == (1, 1)
        wait_for(all_settled, 60, "the reclaimed reminder delivered")
        reminder.refresh_from_db()
        assert (reminder.status, reminder.attempts) == ("sent", 2)
        assert delivered_ids() == [reminder.pk]
    finally:
        first.kill()
        second.kill()
    assert Deadline.objects.filter(source=slow_source).count() == 1
