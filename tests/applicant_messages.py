"""Every message an applicant can read, found in the code itself: what the catalogue test checks.

An applicant reads the status pages, the reminders and notices (e-mail, and SMS), and later
letters; a staff member reads the rest, in Norwegian or English. Code says which of its
messages reach applicants in one of four ways, and each is found here without a list to keep
in step:

* a Python module with a line ``# i18n: applicant`` (e.g. ``casework/status/page.py``):
  every message in it;
* in a module that also speaks to staff, a message whose ``gettext`` call has the comment
  ``# Translators: applicant`` on the line above it (``makemessages`` copies the comment
  into the catalogue, so the translator sees it too);
* a template with ``{# i18n: applicant #}``, and every template that extends one;
* the label and the ``person_message`` of every deadline source that notifies the person
  (``casework.deadlines.registry``, read at run time: a source another app registers counts
  as soon as it exists), because they are the subject and body of the applicant's reminder.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract, extract_from_file
from django.utils import translation
from django.utils.translation.template import templatize

ROOT = Path(__file__).resolve().parents[1]
CODE = [ROOT / "casework", ROOT / "reception", ROOT / "integration", ROOT / "templates"]

MODULE_MARK = re.compile(r"^# i18n: applicant\s*$", re.M)
MESSAGE_MARK = "Translators: applicant"
TEMPLATE_MARK = "{# i18n: applicant #}"
_EXTENDS = re.compile(r"""\{%\s*extends\s+(["'])(.+?)\1\s*%\}""")

KEYWORDS = {
    **DEFAULT_KEYWORDS,
    "_lazy": None,
    "gettext_lazy": None,
    "ngettext_lazy": (1, 2),
    "pgettext_lazy": ((1, "c"), 2),
    "npgettext_lazy": ((1, "c"), 2, 3),
}


@dataclass(frozen=True)
class Message:
    """One message: its msgid (and plural), its context, and where it was found."""

    msgid: str
    plural: str = ""
    context: str | None = None
    where: str = ""


def _python_messages(path: Path) -> list[Message]:
    whole = bool(MODULE_MARK.search(path.read_text(encoding="utf-8")))
    found = []
    for lineno, message, comments, context in extract_from_file(
        "python", str(path), keywords=KEYWORDS, comment_tags=("Translators:",)
    ):
        if whole or any(c.strip().startswith(MESSAGE_MARK) for c in comments):
            found.append(_message(message, context, f"{path.relative_to(ROOT)}:{lineno}"))
    return found


def _message(message: str | tuple, context: str | None, where: str) -> Message:
    if isinstance(message, tuple):
        return Message(message[0], message[1], context, where)
    return Message(message, "", context, where)


def _template_name(path: Path) -> str:
    parts = path.relative_to(ROOT).parts
    return "/".join(parts[parts.index("templates") + 1 :])


def applicant_templates() -> list[Path]:
    """Marked templates, and every template that extends one (at any depth)."""
    templates = [p for top in CODE for p in top.rglob("templates/**/*.*") if p.is_file()]
    templates += [p for p in (ROOT / "templates").rglob("*.*") if p.is_file()]
    texts = {
        p: p.read_text(encoding="utf-8") for p in set(templates) if p.suffix in {".html", ".txt"}
    }
    marked = {p for p, text in texts.items() if TEMPLATE_MARK in text}
    while True:
        names = {_template_name(p) for p in marked}
        more = {
            p
            for p, text in texts.items()
            if p not in marked and any(m.group(2) in names for m in _EXTENDS.finditer(text))
        }
        if not more:
            return sorted(marked)
        marked |= more


def _template_messages(path: Path) -> list[Message]:
    source = templatize(path.read_text(encoding="utf-8"), origin=str(path))
    return [
        _message(message, context, f"{path.relative_to(ROOT)}:{lineno}")
        for lineno, message, _comments, context in extract(
            "python", io.BytesIO(source.encode()), keywords=KEYWORDS
        )
    ]


def _registry_messages() -> list[Message]:
    from casework.deadlines.registry import sources

    found = []
    with translation.override(None):  # a lazy string gives back its msgid
        for key, source in sorted(sources().items()):
            if not source.notify_person:
                continue
            for field in ("label", "person_message"):
                text = str(getattr(source, field) or "")
                if text:
                    found.append(Message(text, where=f"deadline source {key}: {field}"))
    return found


def python_modules() -> list[Path]:
    # Not makemessages' passing copies of templates (``400.html.py``), which another test's
    # run writes and deletes beside the templates while this one reads the tree.
    return sorted(
        p
        for top in CODE
        for p in top.rglob("*.py")
        if "migrations" not in p.parts and not p.name.endswith((".html.py", ".txt.py"))
    )


@cache
def applicant_messages() -> tuple[Message, ...]:
    """Every applicant-facing message, once per msgid and context (first place found)."""
    found: dict[tuple[str, str | None], Message] = {}
    messages = [m for path in python_modules() for m in _python_messages(path)]
    messages += [m for path in applicant_templates() for m in _template_messages(path)]
    messages += _registry_messages()
    for message in messages:
        found.setdefault((message.msgid, message.context), message)
    return tuple(found.values())
