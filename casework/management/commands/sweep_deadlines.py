"""Run one deadline sweep by hand and print what it found (the beat runs it every few minutes)."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from casework.deadlines.reminders import sweep


class Command(BaseCommand):
    help = (
        "Create the reminders that have fallen due, reclaim interrupted deliveries and queue "
        "delivery of everything pending; prints counts per source and reminder kind."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--no-enqueue",
            action="store_true",
            help="only create reminder rows; do not publish delivery tasks",
        )

    def handle(self, *args, **options) -> None:
        report = sweep(enqueue=not options["no_enqueue"])
        for line in report.lines():
            self.stdout.write(line)
        if report.enqueue_failed:
            self.stderr.write(
                self.style.WARNING(
                    f"{report.enqueue_failed} reminders could not be queued; they stay pending "
                    "and the next sweep queues them."
                )
            )
