"""``manage.py partitions``: keep the audit trail's and the access log's monthly partitions
ahead of time, and detach old months for the archive (PostgreSQL; see
``casework.core.partitions``).

``--ahead N`` (default 3) makes this month's partition and the next N months' where missing,
and moves any rows waiting in a default partition into their month's new partition; running
it again changes nothing. Beat runs it daily (``casework.tasks.keep_log_partitions_ahead``).

``--detach-before YYYY-MM`` detaches every monthly partition before that month. A detached
partition is an ordinary table under the same name (``casework_auditevent_p2019_03``) that
the application no longer reads: not the admin, not a data export, and not anonymisation.
Dump it to the archive and drop it::

    pg_dump --table=casework_auditevent_p2019_03 --format=custom -f audit-2019-03.dump DB
    psql DB -c 'DROP TABLE casework_auditevent_p2019_03'
"""

from __future__ import annotations

import datetime as dt

from django.core.management.base import BaseCommand, CommandError
from django.db import connection

from casework.core.partitions import AHEAD_MONTHS, logs_detach_before, logs_keep_ahead


def _month(value: str) -> dt.date:
    try:
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError as error:
        raise CommandError(f"--detach-before takes a month as YYYY-MM, not {value!r}") from error


class Command(BaseCommand):
    help = (
        "Make the audit and access logs' monthly partitions ahead of time (--ahead N) and "
        "detach months before YYYY-MM for the archive (--detach-before YYYY-MM)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--ahead", type=int, default=AHEAD_MONTHS, help="months ahead")
        parser.add_argument("--detach-before", default=None, metavar="YYYY-MM")

    def handle(self, *args, ahead: int, detach_before: str | None, **options) -> None:
        before = _month(detach_before) if detach_before is not None else None
        if connection.vendor != "postgresql":
            self.stdout.write("The logs are plain tables on this database: nothing to do.")
            return
        if ahead < 0:
            raise CommandError("--ahead takes a number of months, 0 or more")
        created = logs_keep_ahead(ahead=ahead)
        self.stdout.write(f"partitions made: {len(created)}")
        for name in created:
            self.stdout.write(f"  {name}")
        if before is not None:
            detached = logs_detach_before(month=before)
            self.stdout.write(f"partitions detached: {len(detached)}")
            for name in detached:
                self.stdout.write(f"  {name} (dump it with pg_dump --table={name}, then drop it)")
