"""Decisions through the service vs bare ``UPDATE … SET state`` statements, two processes
(``BENCH_DECISION_PROCESSES``).

Setup (not timed) adds 2×N collective-protection cases in ``examined``, assigned, in the
decision-maker's unit, each with its person (external ids ``bench:<run>:…``; they stay).
Ours: two processes call
``application_decide`` on their half of one set (lock, permission, transition,
decision row, audit event, deadlines, signal; ``on_commit`` work runs). Baseline: two
processes run one autocommitted ``UPDATE … SET state`` per case of the other set.
"""

from __future__ import annotations

import multiprocessing as mp
import os
import resource
import statistics
import time
from typing import Any

from bench.common import Figure, Row

N = int(os.environ.get("BENCH_DECISIONS", "2000"))
# Two by default, like the targets' "two cores"; both sides always run with the same number.
PROCESSES = int(os.environ.get("BENCH_DECISION_PROCESSES", "2"))


def make_cases(ctx: dict[str, Any], label: str, n: int) -> list[int]:
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from casework.applications.choices import ApplicationKind, State, Track
    from casework.models import Application, Person
    from casework.people.identity import luhn_digit
    from casework.staff.roles import unit_id_of

    caseworker = get_user_model().objects.get(username="caseworker")
    # A decision-maker decides the cases of their own unit (``in_users_unit``).
    unit_id = unit_id_of(get_user_model().objects.get(username="decider"))
    run = ctx["run_id"]
    seed = int(time.time()) % 10**4
    people, apps = [], []
    for i in range(n):
        body = f"9{seed:04d}{label == 'ours':01d}{i:05d}"
        people.append(
            Person(
                registration_number=body + luhn_digit(body),
                given_name="Bench",
                family_name="Case",
                date_of_birth="1990-01-01",
                nationality="UA",
                external_id=f"bench:{run}:{label}:{i}",
            )
        )
    with transaction.atomic():
        Person.objects.bulk_create(people)
        for p in people:
            apps.append(
                Application(
                    person=p,
                    kind=ApplicationKind.COLLECTIVE,
                    track=Track.NORMAL,
                    state=State.EXAMINED,
                    assigned_to=caseworker,
                    unit_id=unit_id,
                    external_id=f"bench:{run}:{label}:{p.pk}",
                )
            )
        Application.objects.bulk_create(apps)
    return [a.pk for a in apps]


def _ours_worker(ids: list[int], out: mp.Queue) -> None:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from casework.applications.choices import Outcome
    from casework.applications.services import application_decide
    from casework.models import Application

    connection.close()
    decider = get_user_model().objects.get(username="decider")
    queries = [0]

    def counter(execute, sql, params, many, context):
        queries[0] += 1
        return execute(sql, params, many, context)

    times = []
    began = time.perf_counter()
    with connection.execute_wrapper(counter):
        for pk in ids:
            t = time.perf_counter()
            app = Application.objects.get(pk=pk)
            application_decide(
                actor=decider, application=app, outcome=Outcome.COLLECTIVE, grounds="Benchmark."
            )
            times.append(time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((times, queries[0], rss, began, time.perf_counter()))


def _bare_worker(ids: list[int], out: mp.Queue) -> None:
    from django.db import connection

    connection.close()
    times = []
    began = time.perf_counter()
    with connection.cursor() as cur:
        for pk in ids:
            t = time.perf_counter()
            cur.execute(
                "UPDATE casework_application SET state = 'accepted', decided_at = now(), "
                "version = version + 1 WHERE id = %s AND state = 'examined'",
                [pk],
            )
            times.append(time.perf_counter() - t)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.put((times, len(ids), rss, began, time.perf_counter()))


def _guarded(target: Any, ids: list[int], out: mp.Queue) -> None:
    """Run ``target``; a failure is reported on the queue (the parent would wait forever)."""
    try:
        target(ids, out)
    except BaseException:
        import traceback

        out.put(("failed", traceback.format_exc()[-2000:], 0))
        raise


def _parallel(target: Any, ids: list[int], name: str, processes: int = 2) -> Figure:
    from django.db import connections

    connections.close_all()
    ctx = mp.get_context("fork")
    out = ctx.Queue()
    shares = [ids[i::processes] for i in range(processes)]
    start = time.perf_counter()
    procs = [ctx.Process(target=_guarded, args=(target, s, out)) for s in shares]
    for p in procs:
        p.start()
    results = [out.get() for _ in procs]
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    failed = [r[1] for r in results if r[0] == "failed"]
    if failed:
        raise RuntimeError(f"a {name} process failed:\n{failed[0]}")
    # From the first process's first decision to the last one's last (``perf_counter`` is the
    # system's monotonic clock, the same in every process): the processes' start-up (fork,
    # connection, the decider's row), a tenth of a 600-decision run, is not a decision's time.
    seconds = max(r[4] for r in results) - min(r[3] for r in results)
    times = sorted(t for r in results for t in r[0])
    q = sum(r[1] for r in results) / len(ids)
    pct = statistics.quantiles(times, n=100)
    return Figure(
        name=name,
        throughput=round(len(ids) / seconds, 1),
        unit="decisions/s",
        p50_ms=round(pct[49] * 1000, 2),
        p95_ms=round(pct[94] * 1000, 2),
        p99_ms=round(pct[98] * 1000, 2),
        queries=round(q, 1),
        peak_mem_mb=round(max(r[2] for r in results) / 1024, 1),
        seconds=round(seconds, 3),
        count=len(ids),
        note=f"{len(ids) / wall:.1f}/s counting the processes' start-up",
    )


def run(ctx: dict[str, Any]) -> list[Row]:
    from casework.models import Application

    ours_ids = make_cases(ctx, "ours", N)
    bare_ids = make_cases(ctx, "bare", N)
    ours = _parallel(
        _ours_worker, ours_ids, f"application_decide ({PROCESSES} processes)", PROCESSES
    )
    base = _parallel(
        _bare_worker, bare_ids, f"UPDATE … SET state ({PROCESSES} processes)", PROCESSES
    )
    decided = Application.objects.filter(pk__in=ours_ids, state="accepted").count()
    row = Row(
        what=f"{N:,} decisions, {PROCESSES} processes",
        ours=ours,
        baseline=base,
        target="≥ 300 decisions/s through the service on two cores",
        key="decisions",
    )
    row.notes.append(f"{decided} of {N} cases accepted through the service")
    row.met = decided == N and (ours.throughput or 0) >= 300
    return [row]
