"""``manage.py import_arrivals FILE.csv``: bulk import of arrivals (format: intake/imports.py).

Every bad row is reported on stderr (line, field, reason) and optionally written to a CSV
report; valid rows are imported in batches with a progress bar. Running the same file again
imports nothing new (rows are matched by external id). Exit status 1 if any row was bad.
"""

from __future__ import annotations

import csv
import time
from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError
from tqdm import tqdm

from casework.intake import arrivals, imports


class Command(BaseCommand):
    help = __doc__ + "\n" + (imports.__doc__ or "")
    # Data loading, not deployment: the URL and admin checks cost a second a run and are run
    # by every web process anyway.
    requires_system_checks: list[str] = []

    def create_parser(self, *args, **kwargs):
        parser = super().create_parser(*args, **kwargs)
        from argparse import RawDescriptionHelpFormatter

        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path)
        parser.add_argument("--report", type=Path, help="Write the bad rows to this CSV file.")
        parser.add_argument("--user", help="Username recorded as the actor in the audit trail.")

    def handle(self, *args, **options) -> None:
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        actor = None
        if options["user"]:
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['user']}")
        try:  # a file that cannot be read as rows is refused before anything is written
            with path.open("rb") as fh:
                lines = arrivals.arrivals_check(arrivals.text_lines(fh))
        except arrivals.ImportFileError as exc:
            raise CommandError(f"{path.name}: {exc} Nothing was imported.") from exc
        except OSError as exc:
            raise CommandError(f"{path.name}: cannot be read ({exc.strerror}).") from exc
        report = None
        if options["report"]:
            report_file = options["report"].open("w", newline="", encoding="utf-8")
            report = csv.writer(report_file)
            report.writerow(["line", "field", "reason"])
        # The command's own stream (``_out``: django-stubs types it through ``__getattr__``).
        bar = tqdm(total=max(lines, 0), unit=" rows", desc="arrivals", file=self.stderr._out)  # type: ignore[call-overload]
        done = 0

        def progress(result: arrivals.ImportResult) -> None:
            nonlocal done
            bar.update(result.total - done)
            done = result.total

        def error(err: arrivals.RowError) -> None:
            bar.write(f"line {err.line}: {err.field or 'row'}: {err.reason}", file=self.stderr._out)
            if report:
                report.writerow([err.line, err.field, err.reason])

        started = time.monotonic()
        try:
            with path.open("rb") as binary:
                result = imports.arrivals_import(
                    stream=arrivals.text_lines(binary),
                    actor=actor,
                    on_progress=progress,
                    on_error=error,
                )
        except arrivals.ImportFileError as exc:  # the file changed since it was checked
            raise CommandError(f"{path.name}: {exc}") from exc
        except DatabaseError as exc:
            raise CommandError(
                "The database failed during the import; every batch before the failure is "
                "imported whole, none half. Run the same command again to import the rest: "
                f"rows already imported are skipped. ({type(exc).__name__})"
            ) from exc
        finally:
            bar.close()
            if report:
                report_file.close()
        elapsed = time.monotonic() - started
        for note in result.notes:
            self.stderr.write(note)
        summary = (
            f"{result.total} rows in {elapsed:.1f} s: {result.created} imported, "
            f"{result.skipped} already imported, {result.error_count} bad"
        )
        if result.error_count:
            self.stdout.write(self.style.WARNING(summary))
            raise SystemExit(1)
        self.stdout.write(self.style.SUCCESS(summary))
