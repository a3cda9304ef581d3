"""``manage.py anonymise_due [--dry-run]``: apply the retention periods now."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from casework.privacy.retention import anonymise_due, people_due_for_anonymisation


class Command(BaseCommand):
    help = "Anonymise the people whose retention period (RETENTION_YEARS) has run out."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--dry-run", action="store_true", help="only count who is due")

    def handle(self, *args: Any, dry_run: bool = False, **options: Any) -> None:
        if dry_run:
            self.stdout.write(f"{people_due_for_anonymisation().count()} people are due.")
            return
        self.stdout.write(f"{anonymise_due()} people anonymised.")
