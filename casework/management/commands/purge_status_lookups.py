"""Delete status-lookup log rows older than the retention period (default 90 days).

The log exists to spot abuse while it happens; keeping it longer than needed would go against
storage limitation (GDPR art. 5(1)(e)). Beat runs the same rule daily
(``casework.tasks.purge_status_lookups``); this command runs it by hand.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand

from casework.status.retention import purge_status_lookups


class Command(BaseCommand):
    help = "Delete status-page lookup log rows older than --days (default: the retention setting)."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=None)

    def handle(self, *args, days: int | None, **options) -> None:
        deleted = purge_status_lookups(days=days)
        self.stdout.write(f"status lookups: {deleted} row(s) older than the retention deleted")
