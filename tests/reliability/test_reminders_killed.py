"""A worker killed after the mail server accepted a reminder and before it marked it sent.

Nothing can tell the next worker whether that e-mail left: it sends the reminder again. What
the system promises (docs/reliability.md) is that the repeat is the *same* message: one
``Message-ID`` on every attempt, which mail systems and clients use to drop a duplicate.
Real PostgreSQL, Redis and two ``celery worker`` processes writing real e-mails with Django's
file backend; the first is SIGKILLed while it hangs just after the send.
"""

from __future__ import annotations

import datetime as dt
import email
import signal
import time
from collections import defaultdict
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import timezone

from casework.deadlines import registry as deadlines
from casework.deadlines.channels import channels, register_channel, unregister_channel
from casework.deadlines.reminders import sweep
from casework.deadlines.services import deadline_set
from casework.models import Reminder
from tests.casework.reminder_testapp.channels import MAILED_SOURCE, MailThenHangChannel
from tests.casework.test_reminders_recovery import outbox  # noqa: F401  (a fixture)
from tests.casework.test_reminders_services import Worker, all_settled, wait_for

pytestmark = [
    pytest.mark.services("postgres", "celery"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.fault,
]


@pytest.fixture
def mail_source() -> Iterator[str]:
    """A test deadline source reminding staff on the mail-then-hang channel only."""
    saved = channels()
    for name in saved:
        unregister_channel(name)
    register_channel(MailThenHangChannel)
    spec = deadlines.register(MAILED_SOURCE)
    yield spec.key
    deadlines.unregister(spec.key)
    unregister_channel(MailThenHangChannel.name)
    for channel in saved.values():
        register_channel(channel)


def sent_mails(folder: Path) -> list[email.message.Message]:
    """Every e-mail Django's file backend wrote (messages separated by a line of dashes)."""
    found = []
    for path in sorted(folder.glob("*.log")):
        for chunk in path.read_text().split("\n" + "-" * 79 + "\n"):
            if chunk.strip():
                found.append(email.message_from_string(chunk))
    return found


def test_a_reminder_sent_again_after_a_kill_is_the_same_message(
    outbox,  # noqa: F811
    mail_source,
    caseworker,
    settings,
    django_db_setup,
):
    settings.REMINDER_CLAIM_TIMEOUT = 3
    settings.DEFAULT_FROM_EMAIL = "noreply@udi.example"
    first = Worker(
        outbox, REMINDER_TEST_SLOW_SECONDS="120", DEFAULT_FROM_EMAIL="noreply@udi.example"
    )
    second = Worker(outbox, REMINDER_CLAIM_TIMEOUT="3", DEFAULT_FROM_EMAIL="noreply@udi.example")
    try:
        first.start()
        deadline = deadline_set(
            source=mail_source,
            object_id=1,
            due_at=timezone.now() + dt.timedelta(hours=1),
            recipient_user=caseworker,
        )
        reminder = Reminder.objects.get(deadline=deadline)  # due at once: queued on commit
        wait_for(lambda: (outbox / f"mailed-{reminder.pk}").exists(), 60, "the mail to leave")
        reminder.refresh_from_db()
        assert reminder.status == "sending"
        first.kill(signal.SIGKILL)  # the mail server has it; the row does not say so
        assert len(sent_mails(outbox / "mail")) == 1
        second.start()
        time.sleep(3.5)  # the claim goes stale (REMINDER_CLAIM_TIMEOUT)
        report = sweep()
        assert (report.reclaimed, report.queued) == (1, 1)
        wait_for(all_settled, 60, "the reclaimed reminder delivered")
        reminder.refresh_from_db()
        assert (reminder.status, reminder.attempts) == ("sent", 2)
    finally:
        first.kill()
        second.kill()
    mails = sent_mails(outbox / "mail")
    by_id: dict[str, list[str]] = defaultdict(list)
    for message in mails:
        by_id[message["Message-ID"]].append(message["To"])
    print(f"\nkilled after the send: {len(mails)} e-mails, Message-IDs {dict(by_id)}")
    assert len(mails) == 2  # the repeat the kill made unavoidable ...
    assert list(by_id) == [f"<reminder-{reminder.pk}@udi.example>"]  # ... is the same message
    assert by_id[f"<reminder-{reminder.pk}@udi.example>"] == [caseworker.email] * 2
