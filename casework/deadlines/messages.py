"""What a reminder says: its recipient, their language, the subject and the body.

Rendering is separate from the sweep and delivery (``reminders.py``) so that a channel
(``channels.py``) renders without importing the machinery that calls it.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from casework.core.locale_formats import local_date, local_datetime
from casework.deadlines.models import Reminder
from casework.deadlines.registry import PERSON, STAFF, sources
from casework.people.models import Person

log = logging.getLogger(__name__)


class PermanentDeliveryError(Exception):
    """Delivery cannot succeed by trying again (no address, recipient gone)."""


@dataclass
class Recipient:
    audience: str
    obj: Any
    email: str
    phone: str
    language: str


@dataclass
class Message:
    recipient: Recipient
    language: str
    subject: str
    body: str
    # The same on every attempt to deliver this reminder (``dedupe_key``).
    dedupe_key: str = ""
    # The text message: what the subject and body say, short enough for one or two SMS parts.
    sms: str = ""


@dataclass
class NoticeText:
    """What an applicant's notice says: subject, paragraphs, and the short SMS text."""

    subject: str
    lines: list[str]
    sms: str


# The texts of the applicant's event notices ("application received", "interview", …), by
# deadline source. They need the case, its interview and decision and the status page's
# wording, which sit above deadlines; the status page registers them
# (``casework.status.notices``) as it registers the waiting lines.
_notice_texts: dict[str, Callable[[Any, Any], NoticeText]] = {}


def register_notice_text(source: str, render: Callable[[Any, Any], NoticeText]) -> None:
    """``render(deadline, application)`` gives the notice of ``source`` in the active language."""
    _notice_texts[source] = render


def dedupe_key(reminder: Reminder) -> str:
    """One key per reminder row, the same on every attempt to deliver it.

    A delivery can be interrupted after the mail server (or gateway) accepted the message and
    before the row is marked sent (the worker killed, the database lost): the next attempt
    sends it again, and nothing on our side can know whether the first one arrived. The
    promise is therefore *at least once, and a repeat is recognisable*: every attempt carries
    this key (an e-mail as its ``Message-ID``, which mail systems and clients use to drop
    duplicates; another channel passes it as its gateway's idempotency key). A deliberate
    resend from the admin is a new row, so a new message with a key of its own.
    """
    return f"reminder-{reminder.pk}"


def message_id(reminder: Reminder) -> str:
    """The ``Message-ID`` of a reminder e-mail: its ``dedupe_key`` at the sender's domain (the
    domain of ``DEFAULT_FROM_EMAIL``, not the host's name: two workers on two hosts must
    give the same id)."""
    domain = settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].strip(" >") or "localhost"
    return f"<{dedupe_key(reminder)}@{domain}>"


def resolve_recipient(recipient: str) -> Recipient | None:
    """``user:<id>`` or ``person:<id>`` → who it is, their address and their language."""
    from casework.staff.models import StaffProfile

    prefix, _sep, pk = recipient.partition(":")
    if prefix == "user":
        user = get_user_model().objects.filter(pk=pk).first()
        if user is None:
            return None
        language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first()
        return Recipient(STAFF, user, user.email or "", "", language or settings.LANGUAGE_CODE)
    if prefix == "person":
        person = Person.objects.filter(pk=pk).first()
        if person is None:
            return None
        return Recipient(
            PERSON, person, person.email, person.phone, person.preferred_language or "en"
        )
    return None


# The applicant's "still in the queue" notice says how long they may still wait, in the
# status page's own words. The status page registers that provider (``register_notice_lines``)
# so that deadlines, which the status page sits above, never import it.
_notice_lines: list[Callable[[Any], list[str]]] = []


def register_notice_lines(provider: Callable[[Any], list[str]]) -> None:
    """Add lines about waiting to every queue notice: ``provider(application)`` returns them,
    in the active language. Registering the same provider twice counts once."""
    if provider not in _notice_lines:
        _notice_lines.append(provider)


def waiting_lines(application: Any) -> list[str]:
    """The lines the registered providers give for this case. An estimate is never worth a
    failed notice: a provider that fails adds nothing."""
    lines: list[str] = []
    for provider in _notice_lines:
        try:
            lines += provider(application)
        except Exception:
            log.warning("waiting-time estimate failed for application id=%s", application.pk)
    return lines


def due_text(due_at: Any, language: str) -> str:
    """When a deadline falls, as the recipient reads dates (Babel, ``locale_formats``).

    A deadline that runs to the end of a day (an appeal period, a family-reunification
    window: 23:59:59 local time) is that day, "until 14 March 2027"; one at a moment (an
    interview, the Dublin 48 hours) also gives the time."""
    local = timezone.localtime(due_at)
    if local.time() >= dt.time(23, 59):
        return local_date(local, language)
    return local_datetime(local, language)


def _case_reference(deadline: Any) -> str:
    """The reference of the deadline's case, or of the case of the record it is on (a
    permit's expiry: the case whose decision gave the permit); "-" for none."""
    from casework.deadlines.selectors import cases_of

    case = deadline.application or cases_of([deadline]).get(deadline.pk)
    return case.display_reference if case is not None else "-"


def render_reminder(reminder: Reminder) -> Message:
    """Subject and body of a reminder, in the recipient's language (gettext)."""
    recipient = resolve_recipient(reminder.recipient)
    if recipient is None:
        raise PermanentDeliveryError("the recipient no longer exists")
    deadline = reminder.deadline
    spec = sources().get(deadline.source)
    if spec is None:
        raise PermanentDeliveryError(f"no deadline source {deadline.source!r} is registered")
    application = deadline.application
    language = recipient.language
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "what": str(spec.label),
            "due": due_text(deadline.due_at, language),
            "reference": _case_reference(deadline),
        }
        sms = ""
        render = _notice_texts.get(deadline.source) if recipient.audience == PERSON else None
        if render is not None:
            text = render(deadline, application)
            subject, body, sms = text.subject, "\n\n".join(text.lines), text.sms
        elif reminder.kind == "notice":
            subject, body = _notice_text(values, application)
        elif recipient.audience == PERSON:
            # Translators: applicant
            subject = _("Reminder: %(what)s") % values
            body = (
                str(spec.person_message) % values
                if spec.person_message
                # Translators: applicant
                else _("%(what)s: %(due)s.") % values
            )
            if application is not None:  # a work permit's deadline has no case reference
                # Translators: applicant
                body += "\n\n" + _("Your case reference: %(reference)s") % values
        elif reminder.kind == "overdue":
            subject = _("Overdue: %(what)s, case %(reference)s") % values
            body = _("The %(what)s of case %(reference)s was due on %(due)s.") % values
        else:
            subject = _("Due soon: %(what)s, case %(reference)s") % values
            body = _("The %(what)s of case %(reference)s is due on %(due)s.") % values
        # Translators: applicant
        body += "\n\n" + _("This message was sent automatically. Please do not reply.")
        if not sms:
            # A text message has room for the news only: the applicant's sentence with its date
            # (the subject alone, "Reminder: appeal deadline", would not say when), and the
            # case reference where there is a case (a work permit's deadline has none).
            sms = body.split("\n\n", 1)[0] if recipient.audience == PERSON else subject
            if application is not None and values["reference"] not in sms:
                # Translators: applicant
                sms += " " + _("Your case reference: %(reference)s") % values
    return Message(recipient, language, subject, body, dedupe_key(reminder), sms)


def _notice_text(values: dict, application: Any) -> tuple[str, str]:
    # Translators: applicant
    subject = _("Your application %(reference)s is still in the queue") % values
    lines = [
        # Translators: applicant
        _("Your application %(reference)s is still in the queue. We have not forgotten it.")
        % values
    ]
    if application is not None:
        lines += waiting_lines(application)
    lines.append(
        # Translators: applicant
        _(
            "You can see where your case stands on the status page, with your case reference "
            "and your date of birth. You do not need to do anything now."
        )
    )
    return subject, "\n\n".join(lines)
