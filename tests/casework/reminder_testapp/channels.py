"""Test channels. Each records a delivery as one line ``<reminder id>`` appended to
``$REMINDER_TEST_OUTBOX/delivered.log`` (O_APPEND: safe across processes), so a test can count
deliveries made by a real worker in another process."""

from __future__ import annotations

import os
import time
from pathlib import Path

from casework.deadlines import registry
from casework.deadlines.channels import Channel, EmailChannel
from casework.deadlines.registry import PERSON, STAFF


def outbox() -> Path:
    return Path(os.environ.get("REMINDER_TEST_OUTBOX", "/tmp/reminder-test-outbox"))  # noqa: S108


def delivered_ids() -> list[int]:
    log = outbox() / "delivered.log"
    if not log.exists():
        return []
    return [int(line) for line in log.read_text().split()]


class OutboxChannel(Channel):
    name = "test-outbox"
    label = "test outbox"
    audiences = frozenset({STAFF, PERSON})

    def send(self, reminder) -> None:
        fd = os.open(outbox() / "delivered.log", os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, f"{reminder.pk}\n".encode())
        finally:
            os.close(fd)


class FlakyChannel(OutboxChannel):
    """Fails the first attempt of each reminder (a mail server hiccup), then delivers."""

    name = "test-flaky"

    def send(self, reminder) -> None:
        marker = outbox() / f"flaky-{reminder.pk}"
        if not marker.exists():
            marker.touch()
            raise ConnectionError("simulated outage of the test gateway")
        super().send(reminder)


class SlowChannel(OutboxChannel):
    """Hangs on the first attempt of each reminder (so a test can kill the worker mid-send)."""

    name = "test-slow"

    def send(self, reminder) -> None:
        marker = outbox() / f"slow-{reminder.pk}"
        if not marker.exists():
            marker.touch()
            time.sleep(float(os.environ.get("REMINDER_TEST_SLOW_SECONDS", "60")))
        super().send(reminder)


class BrokenChannel(OutboxChannel):
    """Never delivers (a gateway that always times out): retried, then failed."""

    name = "test-broken"

    def send(self, reminder) -> None:
        raise TimeoutError("the test gateway never answers")


# The deadline source of the mail-then-hang test: an e-mail is rendered from its source's label,
# so the worker must know it too (registered by the app, and by the test in its own process).
MAILED_SOURCE = registry.DeadlineSource(
    key="tests.mailed", label="test deadline", reminders=(registry.soon(days=1),)
)


class MailThenHangChannel(EmailChannel):
    """Real e-mail (Django's file backend in the test worker), then a hang on the first attempt
    of each reminder: the mail server has accepted the message and the row is not yet marked
    sent, the moment a killed worker makes a repeat unavoidable."""

    name = "test-mail-hang"
    label = "test e-mail, then hang"
    audiences = frozenset({STAFF})

    def send(self, reminder) -> None:
        super().send(reminder)
        marker = outbox() / f"mailed-{reminder.pk}"
        if not marker.exists():
            marker.touch()
            time.sleep(float(os.environ.get("REMINDER_TEST_SLOW_SECONDS", "60")))
