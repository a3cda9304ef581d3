"""Every reminder and notice an applicant receives, rendered in each of the nine languages.

For each deadline source that notifies the person (read from the registry, so a new one is
covered as soon as it is registered) a deadline is set as its service sets it, the sweep
creates the reminder and the e-mail channel delivers it. What the applicant receives must be
wholly in their language: no English text, no raw placeholder, no "case reference: -",
the date in their language's format and digits, and no double full stop after a date that
ends in an abbreviation.
"""

from __future__ import annotations

import datetime as dt
import re
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.conf import settings
from django.core import mail
from django.utils import translation

from casework.core.translations import TRANSLATION_REVIEWED
from casework.deadlines.messages import render_reminder
from casework.deadlines.registry import PERSON, sources
from casework.deadlines.reminders import reminder_deliver, sweep
from casework.deadlines.services import deadline_set
from casework.models import Reminder
from casework.permits.choices import PermitType
from casework.permits.models import ResidencePermit
from tests.applicant_messages import applicant_messages
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

pytestmark = pytest.mark.django_db

OSLO = ZoneInfo("Europe/Oslo")
AT = dt.datetime(2026, 2, 26, 10, 0, tzinfo=OSLO)  # an interview, a Dublin deadline
END_OF_DAY = dt.datetime(2026, 2, 26, 23, 59, 59, tzinfo=OSLO)  # an appeal period, a window

# 26 February 2026 as each language writes it (day first; Persian and Pashto digits).
DATE = {
    "nb": "26. februar 2026",
    "en": "26 February 2026",
    "uk": "26 лютого 2026 року",
    "ar": "26 فبراير 2026",
    "fa": "۲۶ فوریه ۲۰۲۶",
    "ps": "۲۶ فبروري ۲۰۲۶",
    "ti": "26 ለካቲት 2026",
    "so": "26 Febraayo 2026",
    "ru": "26 февраля 2026 года",
}
# ... and ten o'clock in the morning.
TIME = {"fa": "۱۰:۰۰", "ps": "۱۰:۰۰"}
LANGUAGES = [code for code, _name in settings.LANGUAGES]
ASCII_DIGIT = re.compile(r"[0-9]")
ARABIC_DIGIT = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")
PLACEHOLDER = re.compile(r"%\(\w+\)s")
# Notices about an event or about waiting, not about a date (a decision's notice gives the
# appeal deadline only for a rejection: tests/casework/test_notices.py).
UNDATED = {
    "casework.queue_notice",
    "casework.received_notice",
    "casework.decision_notice",
    "casework.appeal_notice",
}


NOTE = (
    "This translation has not yet been checked by a qualified translator. If something is "
    "unclear, ask the staff at your reception centre."
)


def note(language: str) -> str:
    with translation.override(language):
        return translation.gettext(NOTE)


def english_fragments() -> list[str]:
    """The English of every applicant message, cut at its placeholders: what would show
    if a translation were missing (fragments of one or two words would match by chance)."""
    fragments = set()
    for message in applicant_messages():
        for text in (message.msgid, message.plural):
            fragments |= {part.strip() for part in PLACEHOLDER.split(text) if part.strip()}
    return sorted(f for f in fragments if len(f.split()) >= 3)


def person_sources() -> list[str]:
    return sorted(key for key, spec in sources().items() if spec.notify_person)


def received(language: str, caseworker) -> dict[str, mail.EmailMessage]:
    """One applicant writing in ``language``, a deadline of every person-notifying source
    set as the services set them (with the case, or, for a work permit, on the person
    only), swept and delivered: their e-mails, by source."""
    person = PersonFactory(preferred_language=language)
    application = ApplicationFactory(person=person, assigned_to=caseworker, state="submitted")
    interview = InterviewFactory(
        application=application, scheduled_at=AT, location="UDI, Oslo", language="ara"
    )
    permit = ResidencePermit.objects.create(
        person=person,
        application=application,
        permit_type=PermitType.REFUGEE,
        # Valid until the day every notice of the walk is dated: a renewal's notice names it.
        valid_from=dt.date(2025, 2, 27),
        valid_until=END_OF_DAY.date(),
    )
    objects = {
        "casework.Application": application.pk,
        "casework.Interview": interview.pk,
        "casework.ResidencePermit": permit.pk,
    }
    for number, key in enumerate(person_sources(), start=1):
        spec = sources()[key]
        on_case = spec.model.startswith("casework.")
        deadline_set(
            source=key,
            object_id=objects.get(spec.model, number),
            due_at=AT if key == "casework.interview" else END_OF_DAY,
            application=application if on_case else None,
            person=person,
        )
    mails: dict[str, mail.EmailMessage] = {}
    for at in (AT - dt.timedelta(days=1), END_OF_DAY):  # the "soon" kinds, then the notices
        with time_machine.travel(at, tick=False):
            sweep(enqueue=False)
            pending = Reminder.objects.filter(
                recipient=f"person:{person.pk}", channel="email", status="pending"
            ).select_related("deadline")
            for reminder in pending.order_by("pk"):
                reminder_deliver(reminder_id=reminder.pk)
                mails[reminder.deadline.source] = mail.outbox[-1]
    return mails


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_applicant_email_is_wholly_in_the_applicants_language(language, caseworker):
    mails = received(language, caseworker)
    expected_sources = {
        key
        for key in person_sources()
        if any(PERSON in kind.audiences for kind in sources()[key].reminders)
    }
    assert set(mails) == expected_sources
    english = english_fragments() if language != "en" else []
    for key, message in mails.items():
        text = f"{message.subject}\n{message.body}"
        if language != "en":  # not yet reviewed: the note in the language, then in English
            assert message.body.endswith(f"{note(language)}\n{NOTE}"), (language, key)
            text = text.removesuffix(f"\n{NOTE}")
        assert message.extra_headers["Content-Language"] == language
        assert "%(" not in text and "%s" not in text and "{" not in text, (key, text)
        assert ": -" not in text, (key, text)  # no "Your case reference: -"
        assert not re.search(r"[^.]\.\.(?!\.)", text), (key, text)  # no "р.."
        leaked = [fragment for fragment in english if fragment in text]
        assert not leaked, (language, key, leaked)
        if language != "en":
            with translation.override(None):  # the English label, e.g. "appeal deadline"
                assert str(sources()[key].label) not in text, (language, key, text)
            assert "February" not in text, (key, text)  # no English (or American) date
        if key not in UNDATED:
            assert DATE[language] in message.body, (language, key, message.body)
        if key in ("casework.interview", "casework.interview_notice"):
            assert TIME.get(language, "10:00") in message.body, (language, message.body)
        bare = re.sub(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}\b", "", text)  # references
        bare = re.sub(r"https?://\S+", "", bare)  # an address, like a reference, is a code
        foreign = ASCII_DIGIT if language in {"fa", "ps"} else ARABIC_DIGIT
        assert not foreign.search(bare), (language, key, text)


def test_a_work_permit_notice_has_no_empty_case_reference(caseworker):
    """A work permit's deadline belongs to the person, not to an asylum case: the notice
    leaves the reference line out rather than printing "Your case reference: -"."""
    mails = received("ti", caseworker)
    body = mails["integration.work_permit_renewal"].body
    assert "ፍቓድ ስራሕኩም ብ26 ለካቲት 2026 ይውዳእ።" in body
    assert "ቁጽሪ ጉዳይኩም" not in body
    assert "ቁጽሪ ጉዳይኩም" in mails["casework.appeal"].body  # a case's deadline keeps it


def test_a_reviewed_language_drops_the_unreviewed_note(caseworker, monkeypatch):
    """The note stays only until a qualified translator has checked the language."""
    monkeypatch.setitem(TRANSLATION_REVIEWED, "so", True)
    body = received("so", caseworker)["casework.appeal"].body
    assert note("so") not in body and NOTE not in body
    assert body.endswith("Fariintan si toos ah ayaa loo soo diray. Fadlan ha ka jawaabin.")


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_applicant_text_message_is_in_their_language_with_its_date(language, caseworker):
    """The SMS of each reminder and notice: the applicant's sentence with its date, never the
    bare subject, never English, never "case reference: -"."""
    mails = received(language, caseworker)
    english = english_fragments() if language != "en" else []
    reminders = Reminder.objects.filter(
        recipient__startswith="person:",
        channel="email",
        deadline__person__preferred_language=language,
    ).select_related("deadline")
    for reminder in reminders:
        key = reminder.deadline.source
        sms = render_reminder(reminder).sms
        assert sms and key in mails, (language, key)
        assert "%(" not in sms and ": -" not in sms, (language, key, sms)
        assert not [fragment for fragment in english if fragment in sms], (language, key, sms)
        if key not in UNDATED:
            assert DATE[language] in sms, (language, key, sms)
