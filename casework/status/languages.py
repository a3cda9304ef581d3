"""Languages of the applicant status page: locale data Django lacks, and review status.

Django ships no locale data for Pashto, Tigrinya or Somali; without a ``LANG_INFO`` entry,
``{% get_language_info %}`` fails and bidi detection is wrong. ``install_lang_info`` adds
them (called from ``CaseworkConfig.ready``).

The translations in ``locale/`` (the project's one catalogue) were written by the engineers,
not by qualified translators. Until a translator has checked a language, the page (and every
e-mail) says so, in that language and in English, instead of presenting the text as official
(``TRANSLATION_REVIEWED``, kept in ``casework.core.translations`` so that the e-mail channel
below the status page reads the same entries). When a translator has reviewed a catalogue,
set its entry to True there.
"""

from __future__ import annotations

from django.conf import locale as django_locale

from casework.core.translations import TRANSLATION_REVIEWED, is_reviewed

__all__ = [
    "EXTRA_LANG_INFO",
    "RTL_LANGUAGES",
    "TRANSLATION_REVIEWED",
    "install_lang_info",
    "is_reviewed",
]

EXTRA_LANG_INFO = {
    "ps": {"bidi": True, "code": "ps", "name": "Pashto", "name_local": "پښتو"},
    "ti": {"bidi": False, "code": "ti", "name": "Tigrinya", "name_local": "ትግርኛ"},
    "so": {"bidi": False, "code": "so", "name": "Somali", "name_local": "Soomaali"},
}

# Right-to-left scripts among our languages (Arabic, Persian/Dari and Pashto).
RTL_LANGUAGES = frozenset({"ar", "fa", "ps"})


def install_lang_info() -> None:
    for code, info in EXTRA_LANG_INFO.items():
        django_locale.LANG_INFO.setdefault(code, info)
