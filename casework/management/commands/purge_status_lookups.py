"""Delete status-lookup log rows older than the retention period (default 90 days).

The log exists to spot abuse while it happens; keeping it longer than needed would be
storage limitation's opposite (GDPR art. 5(1)(e)). Run it daily (cron or Celery beat).
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand
from django.utils import timezone

from casework.models import StatusLookup


class Command(BaseCommand):
    help = "Delete status-page lookup log rows older than --days (default 90)."

    def add_arguments(self, parser) -> None:  # noqa: ANN001
        parser.add_argument("--days", type=int, default=90)

    def handle(self, *args, days: int, **options) -> None:
        cutoff = timezone.now() - dt.timedelta(days=days)
        deleted, _ = StatusLookup.objects.filter(at__lt=cutoff).delete()
        self.stdout.write(f"status lookups: {deleted} row(s) older than {days} days deleted")
