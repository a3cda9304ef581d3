"""Reminder machinery: the sweep that creates reminder rows, and delivery through channels."""

from __future__ import annotations

import logging

from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from .choices import Channel, ReminderStatus
from .deadlines import get_source
from .models import Deadline, Reminder

log = logging.getLogger(__name__)


def reminders_create_due(*, now=None) -> int:  # noqa: ANN001
    """Create reminder rows for every open deadline whose reminder time has come.

    The unique constraint (deadline, recipient, kind, channel) makes a repeated or concurrent
    sweep create nothing twice.
    """
    now = now or timezone.now()
    due = Deadline.objects.filter(closed_at=None, remind_from__lte=now).values(
        "id", "recipient_user_id", "person_id", "notify_person"
    )
    rows = []
    for d in due.iterator(chunk_size=5000):
        if d["recipient_user_id"]:
            for channel in (Channel.ADMIN, Channel.EMAIL):
                rows.append(
                    Reminder(
                        deadline_id=d["id"],
                        recipient=f"user:{d['recipient_user_id']}",
                        channel=channel,
                    )
                )
        if d["notify_person"] and d["person_id"]:
            rows.append(
                Reminder(
                    deadline_id=d["id"], recipient=f"person:{d['person_id']}", channel=Channel.EMAIL
                )
            )
    before = Reminder.objects.count()
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=2000)
    return Reminder.objects.count() - before


def reminder_deliver(*, reminder_id: int) -> bool:
    """Send one reminder if it is still pending; mark it sent in the same transaction."""
    from django.contrib.auth import get_user_model

    from .models import Person

    with transaction.atomic():
        reminder = (
            Reminder.objects.select_for_update()
            .select_related("deadline")
            .filter(pk=reminder_id, status=ReminderStatus.PENDING)
            .first()
        )
        if reminder is None:
            return False
        reminder.attempts += 1
        if reminder.channel == Channel.EMAIL:
            kind, _sep, pk = reminder.recipient.partition(":")
            if kind == "user":
                who = get_user_model().objects.filter(pk=pk).first()
                address, language = (who.email if who else ""), "nb"
            else:
                who = Person.objects.filter(pk=pk).first()
                address, language = (
                    (who.email if who else ""),
                    (who.preferred_language if who else "en"),
                )
            if address:
                source = get_source(reminder.deadline.source)
                with translation.override(language):
                    due = timezone.localtime(reminder.deadline.due_at).strftime("%d.%m.%Y %H:%M")
                    subject = _("Reminder: %(what)s") % {"what": source.label}
                    body = _("Due: %(due)s") % {"due": due}
                send_mail(subject, body, None, [address])
        reminder.status = ReminderStatus.SENT
        reminder.sent_at = timezone.now()
        reminder.save(update_fields=["status", "sent_at", "attempts"])
    return True
