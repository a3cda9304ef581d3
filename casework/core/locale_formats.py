"""Dates, times and numbers in the applicant's language: Babel's CLDR data, corrected where
CLDR would mislead an applicant, and one digit system per language.

Django has no locale formats for Pashto, Tigrinya or Somali (it falls back to the American
"March 14, 2027"), so everything an applicant reads, on the status page and in a message,
is formatted here and nowhere else. Where we depart from CLDR, and why:

* **Day before month in every language.** CLDR's Tigrinya and Somali long dates are
  month-first ("መጋቢት 14, 2027", "Maarso 14, 2027"), copied from American English; their own
  full dates and the applicants' letters put the day first (``LONG_DATE``).
* **Ukrainian and Russian dates end in a word, not an abbreviation** ("14 березня 2027 року",
  not "… 2027 р."): every sentence that ends on a date ended in "р.." before.
* **One digit system per page.** Persian (Dari) and Pashto are written with the
  Extended Arabic-Indic digits (۰–۹), CLDR's default for both, and their catalogues use them
  in running text ("۸ از ۱۰"); Babel formats dates and numbers with Latin digits only, so a
  paragraph mixed "۸" with "2027". ``DIGITS`` names the digits of each language that does not
  use Latin ones; every date, time and number below is written in them. A case reference is
  a code, not a number, and stays as printed on the receipt.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_decimal
from django.utils import timezone
from django.utils.translation import get_language

# CLDR locales for our language codes: British English writes "14 March 2027", as the
# applicants' letters do; the others are CLDR's defaults for the language.
BABEL_LOCALES = {"en": "en_GB"}

# Long dates where CLDR's pattern would mislead (see the module docstring).
LONG_DATE = {
    "ti": "d MMMM y",
    "so": "d MMMM y",
    "uk": "d MMMM y 'року'",
    "ru": "d MMMM y 'года'",
}

# The digits of languages not written with 0-9; every other language uses 0-9.
EXTENDED_ARABIC_INDIC = "۰۱۲۳۴۵۶۷۸۹"
DIGITS = {"fa": EXTENDED_ARABIC_INDIC, "ps": EXTENDED_ARABIC_INDIC}

# The number-formatting system whose separators go with those digits ("۱٬۲۳۴").
_NUMBERING = {"fa": "arabext", "ps": "arabext"}


def _language(language: str | None) -> str:
    return (language or get_language() or "en").split("-")[0]


def babel_locale(language: str | None = None) -> str:
    code = language or get_language() or "en"
    return BABEL_LOCALES.get(code, code.replace("-", "_"))


def digits_of(language: str | None = None) -> str:
    """The ten digits ``language`` writes numbers with (``"0123456789"`` for most)."""
    return DIGITS.get(_language(language), "0123456789")


def local_digits(text: str, language: str | None = None) -> str:
    """``text`` with its ASCII digits written in ``language``'s digit system."""
    digits = digits_of(language)
    return text.translate(str.maketrans("0123456789", digits)) if digits[0] != "0" else text


def _local_day(value: dt.date | dt.datetime) -> dt.date:
    return timezone.localtime(value).date() if isinstance(value, dt.datetime) else value


def local_date(value: dt.date | dt.datetime, language: str | None = None) -> str:
    """'14 March 2027' in the applicant's language (CLDR 'long', day first, its digits)."""
    if type(value) is dt.date:  # a day (not a moment, whose day depends on the time zone)
        return _long_date(value, language or get_language() or "en")
    return _long_date(_local_day(value), language or get_language() or "en")


@lru_cache(maxsize=4096)
def _long_date(value: dt.date, language: str) -> str:
    """``local_date`` of a day, kept: Babel took ~60 µs a date on every status lookup, for a
    few hundred distinct days a language."""
    code = _language(language)
    pattern = LONG_DATE.get(code, "long")
    return local_digits(
        format_date(_local_day(value), format=pattern, locale=babel_locale(language)), code
    )


def local_time(value: dt.datetime | dt.time, language: str | None = None) -> str:
    """'09:30' (or the language's own short form, '9:30 ص'), local time, its digits."""
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value).time()
    return local_digits(format_time(value, format="short", locale=babel_locale(language)), language)


def local_datetime(value: dt.datetime, language: str | None = None) -> str:
    """The long date and the short time joined as the language joins them ('14 March 2027,
    09:30'); CLDR's medium joining pattern, without its quotes."""
    joining = str(get_datetime_format("medium", locale=babel_locale(language))).replace("'", "")
    return joining.replace("{1}", local_date(value, language)).replace(
        "{0}", local_time(value, language)
    )


def local_number(value: int, language: str | None = None) -> str:
    """'1 234' / '1,234' / '۱٬۲۳۴': grouped as the language groups, in its digits."""
    return _number(value, language or get_language() or "en")


@lru_cache(maxsize=4096)
def _number(value: int, language: str) -> str:
    """``local_number``, kept (Babel's formatting cost ~50 µs a number)."""
    code = _language(language)
    return local_digits(
        format_decimal(
            value, locale=babel_locale(language), numbering_system=_NUMBERING.get(code, "latn")
        ),
        code,
    )
