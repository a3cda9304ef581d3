"""Status-page lookups over HTTP: ``/status/`` vs a bare view, same gunicorn, same workers.

wrk POSTs the form (reference, birth date, CSRF cookie and field) for a rotating sample of
real cases; the bare view (``bench/views.py``, bench URLconf only) fetches the same row by
its unique reference and renders a one-line template. Queries per request are counted
in-process with the test client on the same request.

Two rows: a sample of all demo cases (most of them decided), and a sample of waiting
applicants only (submitted or under examination), the people who actually check and whose
page shows the expected waiting time and their place in the queue. The waiting figures are
refreshed first, as beat does when it starts; the lookups only read them.
"""

from __future__ import annotations

from typing import Any

from bench.common import LUA, Figure, Gunicorn, Row, count_queries, http_figure, write_lines, wrk

BARE = "/bench/bare/status/"


def sample(ctx: dict[str, Any], n: int = 500, *, waiting: bool = False) -> list[dict[str, str]]:
    key, name = ("waiting_sample", "waiting.csv") if waiting else ("status_sample", "status.csv")
    if key not in ctx:
        from casework.models import Application
        from casework.status.waiting import WAITING_STATES

        cases = Application.objects.filter(is_demo=True)
        if waiting:
            cases = cases.filter(state__in=WAITING_STATES)
        rows = cases.order_by("?").values_list("reference", "person__date_of_birth")[:n]
        ctx[key] = [
            {
                "reference": ref,
                "day": str(dob.day),
                "month": str(dob.month),
                "year": str(dob.year),
            }
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
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    from casework.status.services import waiting_figures_refresh

    waiting_figures_refresh()  # as beat does when it starts: lookups only read the figures
    sample(ctx)
    sample(ctx, waiting=True)
    q_ours, q_bare = queries(ctx, "/status/"), queries(ctx, BARE)
    q_waiting = queries(ctx, "/status/", waiting=True)
    with Gunicorn(ctx["workers"]) as server:
        # A worker's first requests import, connect and load templates and translations:
        # both paths are warmed before either is measured.
        for path, q in ((BARE, q_bare), ("/status/", q_ours)):
            measure(ctx, server, path, "warm-up", q, seconds=3)
        ours = measure(ctx, server, "/status/", "/status/ (POST form)", q_ours)
        base = measure(ctx, server, BARE, "bare view + one-line template", q_bare)
        waiting = measure(
            ctx, server, "/status/", "/status/, waiting applicants", q_waiting, data="waiting.csv"
        )
        waiting_base = measure(
            ctx, server, BARE, "bare view, same applicants", q_bare, data="waiting.csv"
        )
    row = Row(
        what=f"status-page lookups ({ctx['workers']} gunicorn workers)",
        ours=ours,
        baseline=base,
        target="≥ 50 % of the bare view's throughput, p99 < 50 ms",
        ratio_kind="throughput",
    )
    row.met = bool(row.ratio and row.ratio >= 0.5 and ours.p99_ms is not None and ours.p99_ms < 50)
    waiting_row = Row(
        what=f"status lookups of waiting applicants ({ctx['workers']} gunicorn workers)",
        ours=waiting,
        baseline=waiting_base,
        target="p99 < 50 ms (expected time and queue place read, never computed)",
        ratio_kind="throughput",
    )
    waiting_row.met = waiting.p99_ms is not None and waiting.p99_ms < 50
    return [row, waiting_row]
