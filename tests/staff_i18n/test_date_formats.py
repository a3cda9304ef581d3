"""One date format and one date-and-time format per language on every staff page.

The case list, the case page (its interviews, deadlines and timeline), the deadlines and the
audit events, each as Django and our own templates write them, once in bokmål and once in
English: every date a person reads is in that language's one format (04.12.2026 13:00;
04 Dec 2026 13:00), and none in another ("June 4, 2026", "Feb. 12, 2027, noon").
"""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from casework.models import StaffProfile
from tests.factories import (
    ApplicationFactory,
    AuditEventFactory,
    DeadlineFactory,
    DecisionFactory,
    InterviewFactory,
)

pytestmark = pytest.mark.django_db

MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
FORMATS = {
    "nb": re.compile(r"\b\d{2}\.\d{2}\.\d{4}(?: \d{2}:\d{2})?"),
    "en": re.compile(rf"\b\d{{2}} (?:{MONTHS}) \d{{4}}(?: \d{{2}}:\d{{2}})?"),
}
# Anything else that reads as a date or a time of day: month names and their abbreviations in
# either language, a day and month with dots or slashes, ISO dates, the 12-hour clock.
ANY_DATE = re.compile(
    r"\b\d{1,4}[./-]\d{1,2}[./-]\d{1,4}\b"
    r"|\b(?:January|February|March|April|June|July|August|September|October|November|December"
    r"|januar|februar|mars|april|mai|juni|juli|august|september|oktober|november|desember)\b"
    rf"|\b(?:{MONTHS}|jan|feb|mar|apr|jun|jul|aug|sep|okt|nov|des)\.|\d{{1,2}} (?:{MONTHS})\b"
    r"|\bnoon\b|\bmidnight\b|\b[ap]\.m\.",
    re.IGNORECASE,
)


class _Text(HTMLParser):
    """The text a person reads: no attributes, scripts or styles."""

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._skip += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def dates_in(text: str, language: str) -> tuple[list[str], list[str]]:
    """The dates in ``language``'s format, and whatever else reads as a date."""
    own = FORMATS[language].findall(text)
    rest = ANY_DATE.findall(FORMATS[language].sub(" ", text))
    return own, rest


@pytest.fixture
def case(unit, caseworker):
    now = timezone.now().replace(hour=12, minute=0)  # noon: Django's English says "noon"
    app = ApplicationFactory(
        unit=unit, state=State.REJECTED, assigned_to=caseworker, next_deadline=now
    )
    InterviewFactory(application=app, scheduled_at=now - dt.timedelta(days=20), held_at=now)
    DecisionFactory(application=app, outcome="rejected", decided_at=now, notified_at=now)
    DeadlineFactory(application=app, source="casework.appeal", due_at=now + dt.timedelta(21))
    subject = {"subject": {"model": "casework.application", "id": app.pk}}
    AuditEventFactory(application=app, action="examine", actor=caseworker, changes=subject)
    return app


@pytest.mark.parametrize("language", ["nb", "en"])
def test_every_date_on_the_staff_pages_is_in_the_languages_one_format(
    client, caseworker, case, language
):
    StaffProfile.objects.filter(user=caseworker).update(language=language)
    client.force_login(caseworker)
    pages = [
        reverse("admin:casework_application_changelist"),
        reverse("admin:casework_application_change", args=[case.pk]),
        reverse("admin:casework_deadline_changelist"),
        reverse("admin:casework_auditevent_changelist"),
    ]
    seen = 0
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        own, other = dates_in(visible_text(response.content.decode()), language)
        assert other == [], f"{url} in {language}: {other}"
        seen += len(own)
    assert seen >= 8  # the pages do show dates: the test reads them


def test_the_formats_differ_by_language_and_read_as_expected():
    from django.utils import translation
    from django.utils.formats import date_format

    at = dt.datetime(2026, 12, 4, 13, 0)
    with translation.override("nb"):
        assert date_format(at, "DATETIME_FORMAT") == "04.12.2026 13:00"
        assert date_format(at.date()) == "04.12.2026"
    with translation.override("en"):
        assert date_format(at, "DATETIME_FORMAT") == "04 Dec 2026 13:00"
        assert date_format(at.date(), "SHORT_DATE_FORMAT") == "04 Dec 2026"
