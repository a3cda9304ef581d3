"""The msgids of the status pages, read from the templates and Python modules themselves.

So the translation test checks the real strings, not a list someone has to keep in step.
"""

from __future__ import annotations

import re
from pathlib import Path

from babel.messages.extract import extract_from_file
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = sorted((ROOT / "casework/templates/casework/status").glob("*.html"))
MODULES = [ROOT / "casework/status/page.py", ROOT / "casework/status/views.py"]
LOCALE = ROOT / "locale"

_TRANSLATE = re.compile(r"""\{%\s*translate\s+(["'])(.*?)\1\s*%\}""")
_BLOCK = re.compile(
    r"\{%\s*blocktranslate(?:\s+with\s+(?P<with>.*?))?\s*%\}(?P<body>.*?)\{%\s*endblocktranslate\s*%\}",
    re.S,
)
_VAR = re.compile(r"\{\{\s*(\w+)\s*\}\}")


def template_msgids() -> set[str]:
    found: set[str] = set()
    for path in TEMPLATES:
        text = path.read_text()
        found |= {m.group(2) for m in _TRANSLATE.finditer(text)}
        for m in _BLOCK.finditer(text):
            found.add(_VAR.sub(lambda v: f"%({v.group(1)})s", m.group("body")))
    return found


def python_msgids() -> set[str]:
    found: set[str] = set()
    keywords = {"_": None, "_lazy": None, "gettext": None, "gettext_lazy": None}
    for path in MODULES:
        for _lineno, message, _comments, _context in extract_from_file(
            "python", str(path), keywords=keywords
        ):
            found.add(message)
    return found


def all_msgids() -> set[str]:
    return template_msgids() | python_msgids()


def catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as fh:
        return read_po(fh)
