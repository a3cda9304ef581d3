"""Deadlines (a date by which something must happen) and the reminders they produce."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casework.deadlines.choices import ReminderStatus


class Deadline(models.Model):
    """A date by which something must happen, declared by a deadline source (``registry.py``).

    Sources in any app create and close these rows through ``deadline_set``/``deadline_close``;
    the sweep turns the ones that fall due into reminder rows with one set-based query.
    """

    source = models.CharField(max_length=48, verbose_name=_("source"))
    object_id = models.PositiveBigIntegerField(verbose_name=_("object id"))
    application = models.ForeignKey(
        "casework.Application",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadlines",
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "casework.Person",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="deadlines",
        verbose_name=_("person"),
    )
    due_at = models.DateTimeField(verbose_name=_("due at"))
    remind_from = models.DateTimeField(
        help_text=_("When the first reminder goes out."), verbose_name=_("remind from")
    )
    recipient_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        verbose_name=_("recipient user"),
    )
    notify_person = models.BooleanField(default=False, verbose_name=_("notify person"))
    closed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("closed at"))
    cycle = models.PositiveIntegerField(
        default=0,
        editable=False,
        help_text=_("Bumped whenever the due time moves or a recurring deadline comes round."),
        verbose_name=_("cycle"),
    )

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        constraints = [
            models.UniqueConstraint(fields=["source", "object_id"], name="one_deadline_per_source")
        ]
        indexes = [
            # The sweep: one range scan per (source, reminder kind) over open deadlines.
            models.Index(
                fields=["source", "due_at"],
                name="open_deadline_by_source",
                condition=Q(closed_at=None),
            ),
            models.Index(fields=["application", "due_at"]),
            # The deadlines list in due order: a page read off the index, not a sort of all.
            models.Index(fields=["due_at"], name="deadline_due_at"),
            models.Index(
                fields=["recipient_user", "remind_from"],
                name="open_deadline_by_recipient",
                condition=Q(closed_at=None),
            ),
        ]

    def __str__(self) -> str:
        on = date_format(timezone.localtime(self.due_at), "DATE_FORMAT")
        return _("%(what)s due %(on)s") % {"what": self.source, "on": on}


class Reminder(models.Model):
    """One reminder of one deadline to one recipient on one channel: created and queued once,
    delivered at least once, every attempt as the same message (``messages.dedupe_key``).

    The row is the outbox: the sweep creates it (``INSERT … SELECT … ON CONFLICT DO NOTHING``,
    so a repeated or concurrent sweep creates nothing twice), a task delivers it after claiming
    it (``pending`` → ``sending`` by a conditional UPDATE, so a redelivered or duplicated task
    finds nothing to do), and a lost message or a dead worker is found again by the next sweep.
    A worker that dies after the mail server accepted the message and before the row says
    sent cannot be told apart from one that died before: the reminder is sent again, with the
    same ``Message-ID`` (docs/reliability.md).
    ``cycle`` is the deadline's occurrence (a moved or recurring deadline reminds again);
    ``resend`` counts deliberate resends from the admin, so they too fit the unique key.
    """

    deadline = models.ForeignKey(
        Deadline, on_delete=models.CASCADE, related_name="reminders", verbose_name=_("deadline")
    )
    recipient = models.CharField(
        max_length=64, help_text=_("user:<id> or person:<id>"), verbose_name=_("recipient")
    )
    kind = models.CharField(max_length=24, default="soon", verbose_name=_("kind"))
    channel = models.CharField(
        max_length=16, help_text=_("a channel registered in channels.py"), verbose_name=_("channel")
    )
    cycle = models.PositiveIntegerField(default=0, verbose_name=_("cycle"))
    resend = models.PositiveSmallIntegerField(default=0, verbose_name=_("resend"))
    status = models.CharField(
        max_length=12,
        choices=ReminderStatus.choices,
        default=ReminderStatus.PENDING,
        verbose_name=_("status"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    queued_at = models.DateTimeField(null=True, blank=True, verbose_name=_("queued at"))
    claimed_at = models.DateTimeField(null=True, blank=True, verbose_name=_("claimed at"))
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    attempts = models.PositiveSmallIntegerField(default=0, verbose_name=_("attempts"))
    failure = models.TextField(blank=True, verbose_name=_("failure"))
    resend_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="resends",
        verbose_name=_("resend of"),
    )

    class Meta:
        verbose_name = _("reminder")
        verbose_name_plural = _("reminders")
        constraints = [
            models.UniqueConstraint(
                fields=["deadline", "recipient", "kind", "channel", "cycle", "resend"],
                name="remind_once",
            )
        ]
        indexes = [
            models.Index(fields=["status", "created_at"]),
            models.Index(fields=["status", "queued_at"], name="reminder_outbox"),
        ]

    def __str__(self) -> str:
        return f"reminder {self.kind} via {self.channel} ({self.status})"


class SmsMessage(models.Model):
    """A reminder sent as a text message: what the gateway accepted and what it reported back.

    One row per reminder (its ``message_id`` is the reminder's dedupe key, the same on every
    attempt); the gateway's delivery receipt (``/sms/receipt/``) moves ``status`` on. The
    number and the text are not kept here: they are the person's and the reminder's, and a
    receipt needs neither.
    """

    class Status(models.TextChoices):
        ACCEPTED = "accepted", _("accepted by the gateway")
        DELIVERED = "delivered", _("delivered")
        FAILED = "failed", _("not delivered")
        EXPIRED = "expired", _("expired undelivered")

    reminder = models.OneToOneField(Reminder, on_delete=models.CASCADE, related_name="sms")
    message_id = models.CharField(max_length=64, unique=True)
    gateway_id = models.CharField(max_length=64, blank=True)
    encoding = models.CharField(max_length=8)
    parts = models.PositiveSmallIntegerField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ACCEPTED)
    detail = models.CharField(max_length=200, blank=True)
    sent_at = models.DateTimeField(default=timezone.now)
    status_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"sms {self.message_id} ({self.status})"
