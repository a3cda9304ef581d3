"""Every message an applicant can read is translated into all nine languages, checked.

The messages are found in the code (``tests/applicant_messages.py`` says how code marks
them); each language's catalogue in ``locale/`` must translate every one of them, with the
same placeholders as the source (a lost ``%(due)s`` would drop the date; an unknown one would
break the message), every plural form the language has, in one digit system, compiled
(Django reads the ``.mo``, not the ``.po``). Staff-only messages are not checked here:
staff read Norwegian or English.
"""

from __future__ import annotations

import gettext as gnu_gettext
import re
from pathlib import Path

import pytest
from babel.messages.plurals import get_plural
from babel.messages.pofile import read_po
from django.conf import settings
from django.utils import translation

from casework.core.locale_formats import DIGITS
from casework.status.languages import TRANSLATION_REVIEWED
from tests.applicant_messages import applicant_messages

LOCALE = Path(settings.BASE_DIR) / "locale"
LANGUAGES = [code for code, _name in settings.LANGUAGES]
TRANSLATED = [code for code in LANGUAGES if code != "en"]
PLACEHOLDER = re.compile(r"%(?:\(\w+\))?[sdif]")
# A case reference (or the example of one) is a code printed on the receipt, not a number:
# it keeps its Latin digits in every language.
REFERENCE = re.compile(r"\b[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{2}\b")
LATIN_DIGIT = re.compile(r"[0-9]")
OTHER_DIGIT = re.compile(r"[\u0660-\u0669\u06f0-\u06f9]")


def catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as fh:
        return read_po(fh)


def forms(string: str | tuple[str, ...]) -> list[str]:
    """A translation's forms: one, or one per plural form."""
    return list(string) if isinstance(string, tuple | list) else [string]


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def test_the_applicant_messages_are_found_in_every_place_they_live():
    """The finder reaches each kind of place: a marked module, a marked message in a mixed
    module, a marked template and one that extends it, and a registered deadline source of
    another app (the family-reunification window); and it leaves staff messages out."""
    found = {m.msgid: m for m in applicant_messages()}
    assert found["Check your case"].where.startswith("casework/templates/casework/status/")
    assert found["Too many attempts"].where.startswith("casework/templates/casework/status/")
    assert found["Enter your date of birth."].where.startswith("casework/status/views.py")
    assert found["Reminder: %(what)s"].where.startswith("casework/deadlines/messages.py")
    assert found["Your reception centre: %(centre)s, %(municipality)s."].where.startswith(
        "reception/status.py"
    )
    window = (
        "Register your family's application by %(due)s to be exempt from the income requirement."
    )
    assert found[window].where == "deadline source integration.family_registration: person_message"
    assert found["%(count)s older case is still waiting before yours."].plural
    for staff_only in (
        "Overdue: %(what)s, case %(reference)s",  # the caseworker's reminder
        "introduction programme: planned end",  # a source that tells only staff
        "6 months after the application was lodged (Directive 2013/32/EU art. 31)",
    ):
        assert staff_only not in found


@pytest.mark.parametrize("language", TRANSLATED)
def test_every_applicant_message_is_translated(language):
    entries = catalogue(language)
    nplurals = entries.num_plurals
    missing, wrong = [], []
    for message in applicant_messages():
        entry = entries.get(message.msgid, context=message.context)
        strings = [""] if entry is None or entry.fuzzy else forms(entry.string)
        if not all(strings) or (message.plural and len(strings) != nplurals):
            missing.append(f"{message.where}: {message.msgid!r}")
            continue
        source = placeholders(message.msgid) | placeholders(message.plural)
        for text in strings:
            # A plural form may leave the number out ("one case"); a singular keeps them all.
            ok = placeholders(text) <= source if message.plural else placeholders(text) == source
            if not ok:
                wrong.append(f"{message.where}: {message.msgid!r} -> {text!r}")
    assert not missing, f"{language} lacks {len(missing)} applicant message(s):\n" + "\n".join(
        missing
    )
    assert not wrong, f"{language}: placeholders differ from the source:\n" + "\n".join(wrong)


@pytest.mark.parametrize("language", TRANSLATED)
def test_the_compiled_catalogue_is_the_one_django_reads(language):
    entries = catalogue(language)
    with translation.override(language):
        for message in applicant_messages():
            entry = entries.get(message.msgid, context=message.context)
            if entry is None:
                continue  # test_every_applicant_message_is_translated says so
            if message.plural:
                form = gnu_gettext.c2py(entries.plural_expr)
                for n in range(0, 112):  # Arabic's six forms are all among the first 112
                    got = translation.ngettext(message.msgid, message.plural, n)
                    assert got == entry.string[form(n)], (language, message.msgid, n)
            elif message.context:
                assert translation.pgettext(message.context, message.msgid) == entry.string
            else:
                assert translation.gettext(message.msgid) == entry.string, message.msgid


@pytest.mark.parametrize("language", TRANSLATED)
def test_plural_forms_are_the_languages_own(language):
    """The catalogue's Plural-Forms picks the same form as the standard rule for the
    language (Arabic: six forms: zero, one, two, few, many, other) for every count."""
    entries = catalogue(language)
    nplurals, expression = get_plural(language)
    assert entries.num_plurals == nplurals
    ours, standard = gnu_gettext.c2py(entries.plural_expr), gnu_gettext.c2py(expression)
    assert [ours(n) for n in range(1000)] == [standard(n) for n in range(1000)]


@pytest.mark.parametrize("language", TRANSLATED)
def test_each_language_writes_numbers_in_one_digit_system(language):
    """Persian (Dari) and Pashto with ۰–۹, every other language with 0–9, also in the
    running text of a translation ("8 out of 10")."""
    entries = catalogue(language)
    foreign = LATIN_DIGIT if language in DIGITS else OTHER_DIGIT
    mixed = []
    for message in applicant_messages():
        entry = entries.get(message.msgid, context=message.context)
        for text in forms(entry.string) if entry is not None else []:
            bare = REFERENCE.sub("", PLACEHOLDER.sub("", text))
            if foreign.search(bare):
                mixed.append(text)
    assert not mixed, f"{language} mixes digit systems:\n" + "\n".join(mixed)


def test_translations_stay_marked_unreviewed_until_a_translator_has_checked_them():
    """The catalogues were written by engineers: the pages and messages say so until a
    qualified translator has reviewed a language and it is set True."""
    assert set(TRANSLATION_REVIEWED) == set(LANGUAGES)
    assert [code for code in TRANSLATED if TRANSLATION_REVIEWED[code]] == []
