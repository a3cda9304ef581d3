"""A letter's HTML and PDF: Norwegian (binding) and the applicant's language side by side.

Each paragraph is a row of two cells, Norwegian on the left and the translation on the right,
so the reader of either finds the other's sentence beside theirs; a right-to-left language's
cell is ``dir="rtl"`` with its ``lang``, which is what lets Pango (through WeasyPrint) pick the
Arabic shaping and the Noto font for it. Staff's own words (the grounds) span both columns,
once, as written.

The PDF is made by WeasyPrint with the Noto fonts of the machine (Debian's
``fonts-noto-core``: Noto Sans, Noto Naskh Arabic, Noto Sans Ethiopic). WeasyPrint may fetch
nothing: the letter has no images, style sheets or links to load, and ``_no_fetch`` refuses
any URL (a URL in a fact must never make the server fetch it).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from casework.core.translations import is_reviewed
from casework.letters import texts
from casework.status.languages import RTL_LANGUAGES

BINDING = "nb"


@dataclass(frozen=True)
class Row:
    style: str
    binding: str
    translation: str


def _blocks(
    kind: str, facts: dict[str, Any], language: str, translated: bool
) -> tuple[str, list[texts.Block]]:
    with translation.override(language):
        blocks = [
            *texts.header(facts, language),
            *texts.body(kind, facts, language),
            *texts.closing(language, translated),
        ]
        return texts.title(kind, facts), blocks


def letter_rows(kind: str, facts: dict[str, Any], language: str) -> dict[str, Any]:
    """The letter as rows of (Norwegian, translation); one column when the language is nb."""
    translated = language != BINDING
    title_nb, binding = _blocks(kind, facts, BINDING, translated)
    title_other, other = _blocks(kind, facts, language, translated) if translated else ("", [])
    if translated and not is_reviewed(language):
        with translation.override(language):
            note = texts.translation_note()
        other.append(texts.Block("p", note))
        binding.append(texts.Block("p", ""))
    rows = [
        Row(b.style, b.text, other[i].text if translated else "") for i, b in enumerate(binding)
    ]
    return {
        "title_binding": title_nb,
        "title_translation": title_other,
        "rows": rows,
        "translated": translated,
        "language": language,
        "rtl": language in RTL_LANGUAGES,
        "name": facts.get("name", ""),
        "language_name": dict(settings.LANGUAGES).get(language, language),
    }


def letter_html(kind: str, facts: dict[str, Any], language: str) -> str:
    return render_to_string("casework/letters/letter.html", letter_rows(kind, facts, language))


def _no_fetch(url: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
    raise ValueError("letters load nothing from outside")


def letter_pdf(kind: str, facts: dict[str, Any], language: str) -> bytes:
    """The PDF of the letter (WeasyPrint; see the module docstring)."""
    from weasyprint import HTML

    html = letter_html(kind, facts, language)
    pdf = HTML(string=html, url_fetcher=_no_fetch).write_pdf()
    assert pdf is not None
    return bytes(pdf)
