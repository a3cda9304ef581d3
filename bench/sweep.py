"""How long a deadline sweep takes over N open deadlines (default 100,000), on PostgreSQL.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/<db> .venv/bin/python bench/sweep.py [N]

Creates N open deadlines of casework's sources (due dates spread from 30 days ago to 180
days ahead, so a realistic share is due), then times:

* the first sweep (creates every reminder that is due),
* a repeated sweep (the steady state every few minutes: nothing new to create),
* as the baseline, in the same run, the Python loop the sweep replaced (iterate the due
  deadlines, build rows, ``bulk_create(ignore_conflicts=True)``) over the same data,

and prints the ratio. Delivery is not queued (no broker needed). Its rows are removed at
the end (object ids from 10**12 up).
"""

from __future__ import annotations

import datetime as dt
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.utils import timezone  # noqa: E402

from casework.deadlines import registry as deadlines  # noqa: E402
from casework.deadlines.reminders import reminders_create_due  # noqa: E402
from casework.models import Deadline, Person, Reminder  # noqa: E402

BASE = 10**12


def python_loop_sweep(now: dt.datetime) -> int:
    """The baseline: the old per-row loop (one kind per source, staff and person)."""
    rows = []
    for spec in deadlines.sources().values():
        for kind in spec.reminders:
            qs = Deadline.objects.filter(
                source=spec.key, closed_at=None, due_at__lte=now - kind.offset
            )
            if kind.only_before_due:
                qs = qs.filter(due_at__gt=now)
            for d in qs.values("id", "recipient_user_id", "person_id", "notify_person", "cycle"):
                if "staff" in kind.audiences and d["recipient_user_id"]:
                    for channel in ("admin", "email"):
                        rows.append(
                            Reminder(
                                deadline_id=d["id"],
                                recipient=f"user:{d['recipient_user_id']}",
                                kind=kind.name,
                                channel=channel,
                                cycle=d["cycle"],
                            )
                        )
                if "person" in kind.audiences and d["notify_person"] and d["person_id"]:
                    rows.append(
                        Reminder(
                            deadline_id=d["id"],
                            recipient=f"person:{d['person_id']}",
                            kind=kind.name,
                            channel="email",
                            cycle=d["cycle"],
                        )
                    )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True, batch_size=5000)
    return len(rows)


def seed(n: int) -> None:
    user, _ = get_user_model().objects.get_or_create(
        username="bench-caseworker", defaults={"email": "bench@casework.invalid"}
    )
    people = list(
        Person.objects.bulk_create(
            [
                Person(
                    registration_number=f"9{BASE + i:011d}"[-12:],
                    given_name="Bench",
                    family_name=f"P{i}",
                    date_of_birth=dt.date(1990, 1, 1),
                    email=f"bench{i}@example.invalid",
                    is_demo=True,
                )
                for i in range(1000)
            ],
            ignore_conflicts=True,
        )
    )
    people = list(Person.objects.filter(given_name="Bench").values_list("id", flat=True))
    keys = ["casework.appeal", "casework.interview", "casework.examination_target"]
    now = timezone.now()
    rng = random.Random(42)
    batch = []
    for i in range(n):
        source = keys[i % 3]
        spec = deadlines.get_source(source)
        due = now + dt.timedelta(minutes=rng.randint(-30 * 1440, 180 * 1440))
        batch.append(
            Deadline(
                source=source,
                object_id=BASE + i,
                due_at=due,
                remind_from=due + spec.first_offset,
                recipient_user=user,
                person_id=people[i % len(people)],
                notify_person=spec.notify_person,
            )
        )
        if len(batch) == 10000:
            Deadline.objects.bulk_create(batch)
            batch = []
    Deadline.objects.bulk_create(batch)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_deadline")


def cleanup() -> None:
    bench = Deadline.objects.filter(object_id__gte=BASE)
    Reminder.objects.filter(deadline__in=bench).delete()
    bench.delete()
    Person.objects.filter(given_name="Bench", is_demo=True).delete()


def timed(fn, *args):
    t = time.perf_counter()
    result = fn(*args)
    return time.perf_counter() - t, result


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    if connection.vendor != "postgresql":
        print("warning: not PostgreSQL; the figure asked for is on PostgreSQL", file=sys.stderr)
    call_command("migrate", verbosity=0)
    cleanup()
    t_seed, _ = timed(seed, n)
    print(f"seeded {n:,} open deadlines in {t_seed:.1f}s ({connection.vendor})")
    now = timezone.now()
    try:
        t_first, created = timed(lambda: reminders_create_due(now=now))
        t_again, again = timed(lambda: reminders_create_due(now=now))
        due = Reminder.objects.filter(deadline__object_id__gte=BASE).count()
        print(f"sweep, first run:     {t_first:6.2f}s  created {created.total:,} reminders")
        print(f"sweep, repeated:      {t_again:6.2f}s  created {again.total:,}")
        Reminder.objects.filter(deadline__object_id__gte=BASE).delete()
        t_loop, built = timed(python_loop_sweep, now)
        t_loop_again, _ = timed(python_loop_sweep, now)
        print(f"python loop, first:   {t_loop:6.2f}s  ({built:,} rows built in Python)")
        print(f"python loop, repeated:{t_loop_again:6.2f}s")
        print(
            f"ratio loop/set-based: first {t_loop / t_first:.1f}x, "
            f"repeated {t_loop_again / t_again:.1f}x  ({due:,} reminders due)"
        )
    finally:
        cleanup()


if __name__ == "__main__":
    main()
