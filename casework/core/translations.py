"""Which applicant languages a qualified translator has reviewed.

The translations in ``locale/`` (the project's one catalogue) were written by the engineers,
not by qualified translators. Until a translator has checked a language, what the applicant
reads says so, in that language and in English, instead of presenting the text as official:
the status page (``casework.status``) and the e-mails (``casework.deadlines.channels``). Both
read it here, below either of them. When a translator has reviewed a catalogue, set its entry
to True.
"""

from __future__ import annotations

# True: checked by a qualified translator. "en" is the source text.
TRANSLATION_REVIEWED: dict[str, bool] = {
    "en": True,
    "nb": False,
    "uk": False,
    "ar": False,
    "fa": False,
    "ps": False,
    "ti": False,
    "so": False,
    "ru": False,
}


def is_reviewed(language: str) -> bool:
    return TRANSLATION_REVIEWED.get(language, False)
