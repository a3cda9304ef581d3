"""The msgids of the status pages, read from the templates and Python modules themselves.

So the translation tests check the real strings, not a list someone has to keep in step:
the applicant messages (``tests/applicant_messages.py``) found in the status templates and
the status page's modules, each plural message with both its forms.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.pofile import read_po

from tests.applicant_messages import applicant_messages

ROOT = Path(__file__).resolve().parents[2]
LOCALE = ROOT / "locale"
STATUS_CODE = ("casework/templates/casework/status/", "casework/status/")


def all_msgids() -> set[str]:
    found: set[str] = set()
    for message in applicant_messages():
        if message.where.startswith(STATUS_CODE):
            found |= {message.msgid, message.plural} - {""}
    return found


def catalogue(language: str):
    with (LOCALE / language / "LC_MESSAGES" / "django.po").open("rb") as fh:
        return read_po(fh)
