"""Status-page lookups over HTTP: ``/status/`` vs a bare view, same gunicorn, same workers.

wrk POSTs the form (reference, birth date, CSRF cookie and field) for a rotating sample of
real cases; the bare view (``bench/views.py``, bench URLconf only) fetches the same row by
its unique reference and renders a one-line template. Queries per request are counted
in-process with the test client on the same request; CPU per request is the gunicorn workers'
user + system CPU over the wrk run (``/proc/<pid>/stat``) divided by the requests served.

The headline row samples the people who look: applicants whose case is still waiting
(submitted or under examination), thousands of distinct references drawn from each kind,
track and state in proportion to how many waiting cases it has, so the page's "cases ahead"
and expected-time figures run as often as they do for real. The waiting figures are
refreshed first, as beat does when it starts; the lookups only read them. A second row
samples all cases (most of them decided) for comparison.
"""

from __future__ import annotations

import random
from typing import Any

from bench.common import LUA, Figure, Gunicorn, Row, count_queries, http_figure, write_lines, wrk

BARE = "/bench/bare/status/"
FLOOR = "/bench/floor/status/"  # the bare view + the checks the page must make (bench/views.py)
SAMPLE = 5000  # distinct references per sample (fewer where the data has fewer)


def allocate(counts: dict[Any, int], n: int) -> dict[Any, int]:
    """How many of ``n`` draws each group gets, in proportion to its count (largest
    remainder: the shares add up to ``min(n, total)`` and none exceeds its group)."""
    total = sum(counts.values())
    if total <= 0:
        return dict.fromkeys(counts, 0)
    n = min(n, total)
    exact = {k: n * c / total for k, c in counts.items()}
    shares = {k: int(v) for k, v in exact.items()}
    left = n - sum(shares.values())
    for k in sorted(counts, key=lambda k: (exact[k] - shares[k], counts[k]), reverse=True):
        if left <= 0:
            break
        if shares[k] < counts[k]:
            shares[k] += 1
            left -= 1
    return shares


def waiting_cases(n: int, *, seed: int = 25) -> list[tuple[str, Any]]:
    """(reference, birth date) of ``n`` waiting applicants: each (kind, track, state) of the
    waiting queue gets its proportional share, drawn at random within it."""
    from django.db.models import Count

    from casework.models import Application
    from casework.status.waiting import WAITING_STATES

    waiting = Application.objects.filter(state__in=WAITING_STATES)
    groups = {
        (g["kind"], g["track"], g["state"]): g["n"]
        for g in waiting.values("kind", "track", "state").annotate(n=Count("id")).order_by()
    }
    rows: list[tuple[str, Any]] = []
    for (kind, track, state), share in allocate(groups, n).items():
        if share:
            rows += (
                waiting.filter(kind=kind, track=track, state=state)
                .order_by("?")
                .values_list("reference", "person__date_of_birth")[:share]
            )
    random.Random(seed).shuffle(rows)  # wrk walks the file in order: mix the groups
    return rows


def all_cases(n: int) -> list[tuple[str, Any]]:
    from casework.models import Application

    return list(
        Application.objects.order_by("?").values_list("reference", "person__date_of_birth")[:n]
    )


def sample(ctx: dict[str, Any], n: int = SAMPLE, *, waiting: bool = False) -> list[dict[str, str]]:
    key, name = ("waiting_sample", "waiting.csv") if waiting else ("status_sample", "status.csv")
    if key not in ctx:
        rows = waiting_cases(n) if waiting else all_cases(n)
        ctx[key] = [
            {"reference": ref, "day": str(dob.day), "month": str(dob.month), "year": str(dob.year)}
            for ref, dob in rows
        ]
        write_lines(
            ctx["tmp"] / name,
            [f"{r['reference']},{r['day']},{r['month']},{r['year']}" for r in ctx[key]],
        )
    return ctx[key]


def queries(ctx: dict[str, Any], path: str, *, waiting: bool = False) -> float:
    status, n = count_queries("post", path, data=sample(ctx, waiting=waiting)[0])
    if status != 200:
        raise RuntimeError(f"POST {path} answered {status}")
    return n


def measure(
    ctx: dict[str, Any],
    server: Gunicorn,
    path: str,
    name: str,
    q: float,
    seconds: int | None = None,
    data: str = "status.csv",
) -> Figure:
    summary = wrk(
        server.base + path,
        "status.lua",
        env={
            "BENCH_DATA": str(ctx["tmp"] / data),
            "BENCH_PATH": path,
            "BENCH_LUA": str(LUA),
        },
        seconds=seconds,
        server=server,
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    from casework.status.services import waiting_figures_refresh

    waiting_figures_refresh()  # as beat does when it starts: lookups only read the figures
    everyone, waiting_sample = sample(ctx), sample(ctx, waiting=True)
    if not waiting_sample:
        raise RuntimeError("no waiting applicants in the dataset")
    q_ours, q_bare = queries(ctx, "/status/"), queries(ctx, BARE)
    q_waiting = queries(ctx, "/status/", waiting=True)
    q_waiting_bare = queries(ctx, BARE, waiting=True)
    q_waiting_floor = queries(ctx, FLOOR, waiting=True)
    with Gunicorn(ctx["workers"]) as server:
        # A worker's first requests import, connect and load templates and translations:
        # both paths are warmed before either is measured.
        for path, q in ((BARE, q_bare), (FLOOR, q_waiting_floor), ("/status/", q_ours)):
            measure(ctx, server, path, "warm-up", q, seconds=3, data="waiting.csv")
        waiting = measure(
            ctx, server, "/status/", "/status/, waiting applicants", q_waiting, data="waiting.csv"
        )
        waiting_base = measure(
            ctx, server, BARE, "bare view, same applicants", q_waiting_bare, data="waiting.csv"
        )
        waiting_floor = measure(
            ctx,
            server,
            FLOOR,
            "floor: bare view + CSRF, form, rate limits, the lookup's statement and log row",
            q_waiting_floor,
            data="waiting.csv",
        )
        ours = measure(ctx, server, "/status/", "/status/, all cases", q_ours)
        base = measure(ctx, server, BARE, "bare view, same cases", q_bare)
    waiting_row = Row(
        what=(
            f"status page, waiting applicants ({len(waiting_sample):,} references, "
            f"{ctx['workers']} gunicorn workers)"
        ),
        ours=waiting,
        baseline=waiting_base,
        target="",
        ratio_kind="cpu",
        key="status",
        extra=[waiting_floor],
    )
    waiting_row.notes.append(
        f"CPU per request {waiting.cpu_ms} ms vs {waiting_base.cpu_ms} ms; throughput "
        f"{_ratio(waiting.throughput, waiting_base.throughput)} of the bare view"
    )
    if waiting_floor.cpu_ms and waiting_base.cpu_ms:
        waiting_row.checks["floor_ratio"] = round(waiting_base.cpu_ms / waiting_floor.cpu_ms, 3)
        waiting_row.notes.append(
            f"floor: CPU {waiting_floor.cpu_ms} ms, {waiting_row.checks['floor_ratio']} of the "
            "bare view by CPU; the page beyond the floor "
            f"{(waiting.cpu_ms or 0) - waiting_floor.cpu_ms:.2f} ms"
        )
    row = Row(
        what=f"status page, all cases ({len(everyone):,} references, mostly decided)",
        ours=ours,
        baseline=base,
        target="",
        ratio_kind="cpu",
        key="status_all",
    )
    row.notes.append(
        f"CPU per request {ours.cpu_ms} ms vs {base.cpu_ms} ms; throughput "
        f"{_ratio(ours.throughput, base.throughput)} of the bare view"
    )
    return [waiting_row, row]


def _ratio(a: float | None, b: float | None) -> str:
    return f"{a / b:.3f}" if a and b else "–"
