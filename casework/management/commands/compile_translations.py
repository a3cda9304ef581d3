"""Compile the gettext catalogues (.po -> .mo) with Babel, so no system gettext is needed.

``make run`` and ``make test`` call it; .mo files are build output and not kept in git.
"""

from __future__ import annotations

from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogue_dirs() -> list[Path]:
    """The project's one locale home (``LOCALE_PATHS``: ``locale/`` at the top), where
    ``makemessages`` run from the top writes every app's strings; never a library's (those
    ship compiled)."""
    return [Path(p) for p in settings.LOCALE_PATHS if Path(p).is_dir()]


class Command(BaseCommand):
    help = "Compile .po catalogues into .mo files (only those that changed)."

    def handle(self, *args, **options) -> None:
        compiled = 0
        for directory in catalogue_dirs():
            for po_path in sorted(directory.glob("*/LC_MESSAGES/*.po")):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                locale = po_path.parent.parent.name
                with po_path.open("rb") as fh:
                    catalog = read_po(fh, locale=None, domain=po_path.stem)
                    catalog.locale = None
                with mo_path.open("wb") as fh:
                    write_mo(fh, catalog, use_fuzzy=False)
                compiled += 1
                self.stdout.write(f"compiled {locale}/{po_path.name}", self.style.NOTICE)
        self.stdout.write(f"translations: {compiled} catalogue(s) compiled")
