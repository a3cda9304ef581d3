"""``manage.py install_letter_fonts``: Pango and the Noto fonts the PDF letters need
(``casework.letters.fonts``), installed with apt-get when missing."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casework.letters.fonts import install_missing


class Command(BaseCommand):
    help = "Install Pango and the Noto fonts the PDF letters need, when missing (Debian)."

    def handle(self, *args: Any, **options: Any) -> None:
        missing, error = install_missing()
        if not missing:
            self.stdout.write("letters: Pango and the Noto fonts are installed")
        elif error:
            self.stderr.write(
                "letters: could not install "
                + " ".join(missing)
                + " (install them with apt-get as root; letters need them):\n"
                + error
            )
        else:
            self.stdout.write("letters: installed " + " ".join(missing))
