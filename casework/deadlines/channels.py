"""Reminder channels: how a reminder reaches its recipient, pluggable by name.

A channel is a class with a ``name``, the ``audiences`` it serves (``"staff"``,
``"person"``), an optional eligibility rule (who can be reached at all, e.g. has an e-mail
address: applied in the sweep's one statement, so nobody unreachable gets a row) and
``send(reminder) -> None``. The rule is either ``eligible_sql`` (a SQL condition, the fast
form the built-in channels use) or ``eligible`` (a filter on a ``Deadline`` QuerySet, which
the sweep compiles into a sub-query of the same statement). ``send`` raises to fail:
``PermanentDeliveryError`` when retrying cannot help, anything else to be retried with
backoff. Adding SMS is one class and one ``register_channel(SmsChannel())`` (in an
``AppConfig.ready``); the sweep needs no change. A send may be repeated after the receiving
end accepted it (a worker killed before it marked the row sent), so a channel passes the
message's ``dedupe_key`` (the same on every attempt) where the receiving end can drop a
repeat: the e-mail's ``Message-ID``, a gateway's idempotency key::

    class SmsChannel(Channel):
        name = "sms"
        label = _("text message")
        audiences = frozenset({PERSON})

        def eligible(self, deadlines, audience):
            return deadlines.exclude(person__phone="")

        def send(self, reminder):
            message = render_reminder(reminder)
            sms_gateway.send(
                to=message.recipient.phone, text=message.body, idempotency_key=message.dedupe_key
            )
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.core.mail import EmailMessage
from django.db.models import QuerySet
from django.utils import translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.translations import is_reviewed
from casework.deadlines.messages import PermanentDeliveryError, message_id, render_reminder
from casework.deadlines.registry import PERSON, STAFF


class Channel:
    """The interface every channel implements."""

    name: ClassVar[str] = ""
    label: ClassVar[Any] = ""
    audiences: ClassVar[frozenset[str]] = frozenset({STAFF, PERSON})

    def eligible(self, deadlines: QuerySet, audience: str) -> QuerySet:
        """Narrow the sweep's deadlines to those whose recipient this channel can reach."""
        return deadlines

    def eligible_sql(self, audience: str) -> tuple[str, list[Any]]:
        """The eligibility rule as a SQL condition for the sweep's single statement, with its
        parameters (``%s``); ``""`` when everyone is reachable.

        The condition may use the aliases ``d`` (the deadline), ``u`` (its ``recipient_user``)
        and ``p`` (its ``person``), both outer-joined. Override it for speed; by default a
        channel that overrides ``eligible`` gets that QuerySet compiled into ``d.id IN (…)``.
        """
        if type(self).eligible is Channel.eligible:
            return "", []
        from casework.deadlines.models import Deadline

        query = self.eligible(Deadline.objects.all(), audience).order_by().values("pk").query
        sql, params = query.sql_with_params()
        return f"d.id IN ({sql})", list(params)

    def send(self, reminder: Any) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class EmailChannel(Channel):
    """E-mail through Django's mail backend (console in development), in the recipient's
    language: the applicant's ``Person.preferred_language``, the staff user's
    ``StaffProfile.language``. Every attempt at one reminder carries the same ``Message-ID``
    (``messages.message_id``), so a repeat after an interrupted delivery is one message to
    the recipient's mail system, not two."""

    name = "email"
    label = _("e-mail")

    def eligible_sql(self, audience: str) -> tuple[str, list[Any]]:
        """Only recipients with an address (the staff user's or the person's e-mail)."""
        return ("u.email <> ''" if audience == STAFF else "p.email <> ''"), []

    def send(self, reminder: Any) -> None:
        message = render_reminder(reminder)
        if not message.recipient.email:
            raise PermanentDeliveryError("the recipient has no e-mail address")
        email = EmailMessage(
            subject=message.subject,
            body=message.body + unreviewed_note(message),
            to=[message.recipient.email],
            headers={
                "Auto-Submitted": "auto-generated",
                "Content-Language": message.language,
                "Message-ID": message_id(reminder),
            },
        )
        email.send(fail_silently=False)


def unreviewed_note(message: Any) -> str:
    """The status page's notice that a translation is not yet checked by a qualified
    translator, at the end of an applicant's e-mail in such a language: in their language,
    then in English for whoever helps them (``casework.core.translations``). Not in a text
    message, which has room for the news only."""
    if message.recipient.audience != PERSON or is_reviewed(message.language):
        return ""
    notes = []
    for language in (message.language, "en"):
        with translation.override(language):
            # Translators: applicant
            notes.append(
                gettext(
                    "This translation has not yet been checked by a qualified translator. "
                    "If something is unclear, ask the staff at your reception centre."
                )
            )
    return "\n\n" + "\n".join(notes)


class AdminChannel(Channel):
    """Caseworker reminders shown in the admin: the reminder row itself is the message (the
    admin's reminder list and the "due soon / overdue" panels read it), so delivering it is
    marking it sent."""

    name = "admin"
    label = _("admin panel")
    audiences = frozenset({STAFF})

    def send(self, reminder: Any) -> None:
        return None


class SmsChannel(Channel):
    """Text messages to applicants with a phone number (E.164), through the configured gateway
    (``casework.deadlines.sms``), in their language: the notice's short text. Off (nobody is
    eligible, no rows are made) while no gateway is configured."""

    name = "sms"
    label = _("text message")
    audiences = frozenset({PERSON})

    def eligible(self, deadlines: QuerySet, audience: str) -> QuerySet:
        from casework.deadlines.sms import sms_gateway

        if sms_gateway() is None:
            return deadlines.none()
        return deadlines.exclude(person__phone="")

    def eligible_sql(self, audience: str) -> tuple[str, list[Any]]:
        """The same rule as ``eligible``, for the sweep's one statement."""
        from casework.deadlines.sms import sms_gateway

        if sms_gateway() is None:
            return "1 = 0", []
        return "p.phone <> ''", []

    def send(self, reminder: Any) -> None:
        from casework.deadlines.models import SmsMessage
        from casework.deadlines.sms import sms_gateway, sms_parts, sms_text

        gateway = sms_gateway()
        if gateway is None:
            raise PermanentDeliveryError("no SMS gateway is configured")
        message = render_reminder(reminder)
        if not message.recipient.phone:
            raise PermanentDeliveryError("the recipient has no phone number")
        text = sms_text(message.sms)
        split = sms_parts(text)
        sent = gateway.send(message_id=message.dedupe_key, to=message.recipient.phone, text=text)
        SmsMessage.objects.update_or_create(
            message_id=message.dedupe_key,
            defaults={
                "reminder_id": reminder.pk,
                "gateway_id": sent.gateway_id,
                "encoding": split.encoding,
                "parts": len(split.parts),
                "status": SmsMessage.Status.ACCEPTED,
            },
        )


_channels: dict[str, Channel] = {}


def register_channel(channel: Channel | type[Channel]) -> Channel:
    """Make a channel available to the sweep and the delivery task (registering replaces)."""
    if isinstance(channel, type):
        channel = channel()
    if not channel.name or len(channel.name) > 16:
        raise ValueError("a channel needs a name of 1 to 16 characters")
    _channels[channel.name] = channel
    return channel


def unregister_channel(name: str) -> None:
    _channels.pop(name, None)


def channels() -> dict[str, Channel]:
    return dict(_channels)


def get_channel(name: str) -> Channel | None:
    return _channels.get(name)


def channels_for(audience: str, only: tuple[str, ...] | None = None) -> list[Channel]:
    return [
        c
        for c in _channels.values()
        if audience in c.audiences and (only is None or c.name in only)
    ]


register_channel(EmailChannel())
register_channel(AdminChannel())
register_channel(SmsChannel())
