"""``manage.py renew_permits``: extend every collective-protection permit of a group.

The government extends collective protection (Immigration Act § 34) a year at a time for
the whole group, without individual applications. Name the group by any of ``--group``,
``--nationality`` (ISO codes), ``--granted-from``/``--granted-to`` (the permits' first day)
and ``--expiring-by``; ``--decision`` is the government's decision the renewal carries out.
The renewal runs here, batch by batch, with a progress bar; running it again with the same
criteria (or ``--key``) renews nothing twice. Every permit renewed is audited and its holder
told in their language (by the reminder sweep).
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from casework.core.exceptions import TransitionInvalid
from casework.permits.choices import RenewalRunStatus
from casework.permits.models import RenewalRun
from casework.permits.services import renewal_run_start


def _day(value: str) -> dt.date:
    return dt.date.fromisoformat(value)


class Command(BaseCommand):
    help = __doc__
    requires_system_checks: list[str] = []

    def add_arguments(self, parser) -> None:
        parser.add_argument("--user", required=True, help="Who renews (a decision-maker).")
        parser.add_argument("--label", required=True, help="The renewal's name.")
        parser.add_argument("--decision", required=True, help="The government's decision.")
        parser.add_argument("--group", default="")
        parser.add_argument("--nationality", action="append", default=[])
        parser.add_argument("--granted-from", type=_day)
        parser.add_argument("--granted-to", type=_day)
        parser.add_argument("--expiring-by", type=_day)
        parser.add_argument("--months", type=int, default=12)
        parser.add_argument("--key", default="", help="Empty: the criteria make the key.")

    def handle(self, *args, **options) -> None:
        actor = get_user_model().objects.filter(username=options["user"]).first()
        if actor is None:
            raise CommandError(f"No such user: {options['user']}")
        codes = [c for value in options["nationality"] for c in value.split(",")]
        bar = tqdm(unit=" permits", desc="renewed", file=_Raw(self.stderr))

        def progress(run: RenewalRun) -> None:
            bar.total = run.total
            bar.update(run.renewed - bar.n)

        try:
            run = renewal_run_start(
                actor=actor,
                label=options["label"],
                legal_basis=options["decision"],
                group=options["group"],
                nationalities=codes,
                granted_from=options["granted_from"],
                granted_to=options["granted_to"],
                expiring_by=options["expiring_by"],
                months=options["months"],
                key=options["key"],
                background=False,
                progress=progress,
            )
        except PermissionDenied as exc:
            raise CommandError(str(exc)) from exc
        except TransitionInvalid as exc:
            raise CommandError(
                "; ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
            ) from exc
        finally:
            bar.close()
        if run.status != RenewalRunStatus.DONE:  # pragma: no cover - a run now ends done
            raise CommandError(f"The renewal {run.key} is {run.get_status_display()}.")
        if run.already_done:
            self.stdout.write(
                f"Renewal {run.key} ({run.label}) already ran: nothing renewed again "
                f"({run.renewed} permits renewed then)."
            )
            return
        self.stdout.write(
            f"Renewal {run.key} ({run.label}): {run.renewed} permits renewed by {run.months} "
            "months."
        )


class _Raw:
    """The command's error stream as tqdm wants it: its writes as they are, without the line
    ending (and style) that ``OutputWrapper.write`` adds, through the wrapper's public API."""

    def __init__(self, out) -> None:
        self.out = out

    def write(self, text: str) -> None:
        self.out.write(text, style_func=lambda x: x, ending="")

    def flush(self) -> None:
        self.out.flush()
