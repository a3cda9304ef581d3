"""One locale home for the project (``locale/``), and nothing lost when three became one.

The translations used to live in three folders: ``locale/`` (the reminder e-mails),
``casework/locale/`` (the status pages) and ``reception/locale/`` (reception's status-page
line). They were merged msgid by msgid; one string from each former catalogue, in every
language it was translated in, must still come out translated through Django's gettext.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.utils import translation

ROOT = Path(settings.BASE_DIR)

# (msgid, {language: the translation it had in its former catalogue})
FORMER_CATALOGUES = {
    "locale/ (reminder e-mails)": (
        "Reminder: %(what)s",
        {
            "nb": "Påminnelse: %(what)s",
            "uk": "Нагадування: %(what)s",
            "ar": "تذكير: %(what)s",
            "fa": "یادآوری: %(what)s",
            "ru": "Напоминание: %(what)s",
        },
    ),
    "casework/locale/ (status pages)": (
        "Check your case",
        {
            "nb": "Sjekk saken din",
            "uk": "Перевірте свою справу",
            "ar": "استعلم عن قضيتك",
            "fa": "وضعیت پرونده\u200cتان را ببینید",
            "ps": "خپله قضیه وګورئ",
            "ti": "ጉዳይኩም ርአዩ",
            "so": "Hubi kiiskaaga",
            "ru": "Проверьте своё дело",
        },
    ),
    "reception/locale/ (reception's status line)": (
        "Your reception centre: %(centre)s, %(municipality)s.",
        {
            "nb": "Ditt asylmottak: %(centre)s, %(municipality)s.",
            "uk": "Ваш центр прийому: %(centre)s, %(municipality)s.",
            "ar": "مركز الاستقبال الخاص بك: %(centre)s، %(municipality)s.",
            "fa": "مرکز پذیرش شما: %(centre)s، %(municipality)s.",
            "ps": "ستاسو د هرکلي مرکز: %(centre)s، %(municipality)s.",
            "ti": "ናይ ምቕባል ማእከልኩም: %(centre)s፣ %(municipality)s።",
            "so": "Xarunta soo dhaweyntaada: %(centre)s, %(municipality)s.",
            "ru": "Ваш центр приёма: %(centre)s, %(municipality)s.",
        },
    ),
}

CASES = [
    pytest.param(msgid, language, expected, id=f"{language}-{former.split()[0]}")
    for former, (msgid, translations) in FORMER_CATALOGUES.items()
    for language, expected in translations.items()
]


@pytest.mark.parametrize(("msgid", "language", "expected"), CASES)
def test_every_former_catalogue_still_translates(msgid, language, expected):
    with translation.override(language):
        assert translation.gettext(msgid) == expected


def test_the_project_has_one_locale_home():
    """``LOCALE_PATHS`` is ``locale/`` and no app keeps a catalogue of its own, so
    ``makemessages`` run from the top and ``compile_translations`` see every string."""
    assert [Path(p) for p in settings.LOCALE_PATHS] == [ROOT / "locale"]
    tops = [d for d in ROOT.iterdir() if d.is_dir() and not d.name.startswith(".")]
    catalogues = sorted(
        str(path.relative_to(ROOT)) for top in tops for path in top.rglob("LC_MESSAGES/*.po")
    )
    assert catalogues == [
        f"locale/{code}/LC_MESSAGES/django.po"
        for code, _name in sorted(settings.LANGUAGES)
        if code != "en"
    ]
