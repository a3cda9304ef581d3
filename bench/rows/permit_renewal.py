"""The group renewal of collective protection vs a bare ``UPDATE … RETURNING`` of the same rows.

Setup (not timed) adds 2×N collective-protection permits, each with its holder and its
expiry deadline, in two named groups of this run (``bench:<run>:…``; they stay). Ours:
``renewal_run_start`` of one group, run here (``background=False``): batches of
``RENEWAL_BATCH`` permits, each one statement that extends the permits and writes each
one's renewal row and audit event, moves its expiry deadline (its unsent reminders
cancelled) and opens its holder's renewal notice, then commits with the run's progress.
Baseline: one ``UPDATE … SET valid_until = valid_until + 12 months … RETURNING id`` of the
other group's permits, in one transaction. ``BENCH_RENEWALS`` permits a side (default
2,000 × the scale: 60,000 at the table's scale 30).
"""

from __future__ import annotations

import datetime as dt
import os
import time
from typing import Any

from bench.common import Figure, Row

N = int(os.environ.get("BENCH_RENEWALS", "0"))


def make_permits(ctx: dict[str, Any], group: str, n: int) -> None:
    from django.db import transaction

    from casework.models import Deadline, Person, ResidencePermit
    from casework.people.identity import luhn_digit
    from casework.permits.deadlines import PERMIT_EXPIRY
    from casework.permits.statements import expiry_due

    run = ctx["run_id"]
    seed = int(time.time()) % 10**4
    start = dt.date(2025, 3, 1)
    until = dt.date(2026, 2, 28)
    chunk = 10_000
    for first in range(0, n, chunk):
        people = []
        for i in range(first, min(first + chunk, n)):
            body = f"8{seed:04d}{len(group) % 10:01d}{i:05d}"[-11:]
            people.append(
                Person(
                    registration_number=body + luhn_digit(body),
                    given_name="Bench",
                    family_name="Holder",
                    date_of_birth="1990-01-01",
                    nationality="UA",
                    external_id=f"bench:{run}:{group}:{i}",
                )
            )
        with transaction.atomic():
            Person.objects.bulk_create(people)
            permits = ResidencePermit.objects.bulk_create(
                ResidencePermit(
                    person=p,
                    permit_type="collective",
                    valid_from=start,
                    valid_until=until,
                    group=group,
                )
                for p in people
            )
            Deadline.objects.bulk_create(
                Deadline(
                    source=PERMIT_EXPIRY.key,
                    object_id=p.pk,
                    person_id=p.person_id,
                    due_at=expiry_due(until),
                    remind_from=expiry_due(until) + PERMIT_EXPIRY.first_offset,
                    notify_person=True,
                )
                for p in permits
            )


def run(ctx: dict[str, Any]) -> list[Row]:
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction

    from casework.models import ResidencePermit
    from casework.permits.services import RENEWAL_BATCH, renewal_run_start

    n = N or int(2000 * ctx["scale"])
    ours_group, bare_group = f"bench:{ctx['run_id']}:ours", f"bench:{ctx['run_id']}:bare"
    make_permits(ctx, ours_group, n)
    make_permits(ctx, bare_group, n)
    with connection.cursor() as cur:
        cur.execute("ANALYZE casework_residencepermit")
        cur.execute("ANALYZE casework_deadline")
    decider = get_user_model().objects.get(username="decider")

    start = time.perf_counter()
    result = renewal_run_start(
        actor=decider,
        label="Bench renewal",
        legal_basis="Benchmark.",
        group=ours_group,
        background=False,
    )
    ours_s = time.perf_counter() - start

    start = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "UPDATE casework_residencepermit "
            "SET valid_until = (valid_until + interval '12 months')::date "
            "WHERE permit_type = 'collective' AND \"group\" = %s RETURNING id",
            [bare_group],
        )
        bare_count = len(cur.fetchall())
    bare_s = time.perf_counter() - start

    renewed = ResidencePermit.objects.filter(group=ours_group, renewal_count=1).count()
    ours = Figure(
        name=f"renewal_run_start (batches of {RENEWAL_BATCH:,}: renewal rows, audit, deadlines)",
        throughput=round(n / ours_s, 1),
        unit="permits/s",
        seconds=round(ours_s, 3),
        count=result.renewed,
    )
    base = Figure(
        name="UPDATE … SET valid_until … RETURNING id",
        throughput=round(bare_count / bare_s, 1),
        unit="permits/s",
        seconds=round(bare_s, 3),
        count=bare_count,
    )
    row = Row(
        what=f"{n:,} collective-protection permits renewed for their group",
        ours=ours,
        baseline=base,
        target="",
        key="permit_renewal",
    )
    row.notes.append(f"{renewed} of {n} permits renewed once through the service")
    row.checks = {"all_renewed": renewed == n == result.renewed}
    return [row]
