"""Dates, times and numbers on the status page in each language: day first, never the
American month-first date, one digit system per page, the right plural form, and no double
full stop after a Ukrainian or Russian date."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.conf import settings
from django.utils import timezone, translation

from casework.status.services import waiting_figures_refresh
from tests.factories import ApplicationFactory, DecisionFactory, InterviewFactory
from tests.status.conftest import lookup, text_of

LANGUAGES = [code for code, _name in settings.LANGUAGES]

# 14 March 2031 and ten in the morning, as each language writes them.
WRITTEN = {
    "nb": ("14. mars 2031", "10:00"),
    "en": ("14 March 2031", "10:00"),
    "uk": ("14 березня 2031 року", "10:00"),
    "ar": ("14 مارس 2031", "10:00 ص"),
    "fa": ("۱۴ مارس ۲۰۳۱", "۱۰:۰۰"),
    "ps": ("۱۴ مارچ ۲۰۳۱", "۱۰:۰۰"),
    "ti": ("14 መጋቢት 2031", "10:00 ቅ.ቀ."),
    "so": ("14 Maarso 2031", "10:00\u202fGH"),
    "ru": ("14 марта 2031 года", "10:00"),
}
# Twelve older cases ahead, in the plural form the language gives twelve.
TWELVE_AHEAD = {
    "nb": "12 eldre saker venter fortsatt foran din.",
    "en": "12 older cases are still waiting before yours.",
    "uk": "12 старіших справ ще чекають перед вашою.",
    "ar": "هناك 12 قضية أقدم ما زالت تنتظر قبل قضيتك.",
    "fa": "۱۲ پروندهٔ قدیمی‌تر هنوز پیش از پروندهٔ شما در انتظار هستند.",
    "ps": "۱۲ زړې قضیې لا هم ستاسو له قضیې مخکې په انتظار کې دي.",
    "ti": "12 ዝቐደሙ ጉዳያት ገና ቅድሚ ጉዳይኩም ይጽበዩ ኣለዉ።",
    "so": "12 kiis oo ka horreeya ayaa weli sugaya kiiskaaga ka hor.",
    "ru": "12 более ранних дел ещё ждут перед вашим.",
}
ASCII_DIGIT = re.compile(r"[0-9]")
ARABIC_DIGIT = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")


def page_text(response) -> str:
    """What the applicant reads in their language: without the English copy of the
    not-reviewed notice, the language picker (each language named in itself) and the case
    reference (a code printed on the receipt, the same in every language)."""
    html = response.content.decode()
    html = re.sub(r'<p lang="en".*?</p>', "", html, flags=re.S)
    html = re.sub(r"<nav.*?</nav>", "", html, flags=re.S)
    html = re.sub(r"<bdi.*?</bdi>", "", html, flags=re.S)
    return text_of(type("R", (), {"content": html.encode()}))


@pytest.mark.django_db
@pytest.mark.parametrize("language", LANGUAGES)
def test_dates_numbers_and_plurals_on_the_status_page(client, applicant, language, settings):
    settings.APPEALS_BOARD_WAITING_DAYS = 120
    date, time = WRITTEN[language]
    today = timezone.localdate()
    for days in (100, 110, 120, 130, 140):  # decided similar cases: an estimate of 132 days
        done = ApplicationFactory(state="accepted", lodged_on=today - dt.timedelta(days=days + 5))
        DecisionFactory(application=done, decided_at=timezone.now() - dt.timedelta(days=5))
    waiting = ApplicationFactory(
        person=applicant, state="submitted", lodged_on=today - dt.timedelta(days=30)
    )
    for _older in range(12):
        ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=39))
    waiting_figures_refresh()  # as beat does
    InterviewFactory(
        application=waiting,
        scheduled_at=timezone.make_aware(dt.datetime(2031, 3, 14, 10, 0)),
        location="UDI, Oslo",
    )
    rejected = ApplicationFactory(person=applicant, state="rejected")
    type(rejected).objects.filter(pk=rejected.pk).update(
        appeal_deadline=timezone.make_aware(dt.datetime(2031, 3, 14, 23, 59, 59))
    )
    appealed = ApplicationFactory(person=applicant, state="appealed", appealed_at=timezone.now())
    pages = [
        page_text(lookup(client, reference=app.reference, language=language))
        for app in (waiting, rejected, appealed)
    ]
    with translation.override(language):
        interview = translation.gettext("Your asylum interview is on %(date)s at %(time)s.")
        appeal = translation.gettext("You can appeal until %(date)s.")
    # (the page text has its whitespace collapsed, the narrow space before "GH" too)
    assert re.sub(r"\s+", " ", interview % {"date": date, "time": time}) in pages[0]
    assert TWELVE_AHEAD[language] in pages[0]
    with translation.override(language):
        estimate = translation.gettext(
            "If your case takes as long as most similar cases, you will get a decision by %(date)s."
        )
    assert estimate.split("%(date)s")[0] in pages[0]  # the sentence that ends on a date
    assert appeal % {"date": date} in pages[1]
    assert ("۱۲۰" if language in {"fa", "ps"} else "120") in pages[2]  # the board's days
    for page in pages:
        assert "March" not in page or language == "en"
        assert not re.search(r"[^.]\.\.(?!\.)", page), page  # "2031 р.." before
        foreign = ASCII_DIGIT if language in {"fa", "ps"} else ARABIC_DIGIT
        assert not foreign.search(page), (language, foreign.findall(page), page)


@pytest.mark.parametrize(
    ("count", "form"),
    [
        (0, "لا توجد قضايا أقدم تنتظر قبل قضيتك."),
        (1, "هناك قضية واحدة أقدم ما زالت تنتظر قبل قضيتك."),
        (2, "هناك قضيتان أقدم ما زالتا تنتظران قبل قضيتك."),
        (3, "هناك 3 قضايا أقدم ما زالت تنتظر قبل قضيتك."),
        (11, "هناك 11 قضية أقدم ما زالت تنتظر قبل قضيتك."),
        (100, "هناك 100 قضية أقدم ما زالت تنتظر قبل قضيتك."),
        (103, "هناك 103 قضايا أقدم ما زالت تنتظر قبل قضيتك."),
    ],
)
def test_arabic_counts_take_all_six_plural_forms(count, form):
    """Zero, one, two, few (3-10), many (11-99) and other (100-102): one sentence each."""
    with translation.override("ar"):
        sentence = translation.ngettext(
            "%(count)s older case is still waiting before yours.",
            "%(count)s older cases are still waiting before yours.",
            count,
        )
    assert sentence % {"count": count} == form


PERSIAN = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
ARABIC = str.maketrans("0123456789", "٠١٢٣٤٥٦٧٨٩")


@pytest.mark.django_db
@pytest.mark.parametrize(("language", "digits"), [("fa", PERSIAN), ("ps", PERSIAN), ("ar", ARABIC)])
def test_the_form_takes_the_digits_the_page_is_written_in(client, application, language, digits):
    """A page written in ۰–۹ is answered on a keyboard that types ۰–۹: the birth date and the
    digits of the case reference typed so find the case as 0–9 would."""
    path = f"/{language}/status/"
    response = client.post(
        path,
        {
            "reference": application.display_reference.translate(digits),
            "day": "15".translate(digits),
            "month": "3".translate(digits),
            "year": "1990".translate(digits),
        },
    )
    assert response.status_code == 200
    assert application.display_reference in response.content.decode()
