"""Status-page lookups over HTTP: ``/status/`` vs a bare view, same gunicorn, same workers.

wrk POSTs the form (reference, birth date, CSRF cookie and field) for a rotating sample of
real cases; the bare view (``bench/views.py``, bench URLconf only) fetches the same row by
its unique reference and renders a one-line template. Queries per request are counted
in-process with the test client on the same request.
"""

from __future__ import annotations

from typing import Any

from bench.common import LUA, Figure, Gunicorn, Row, count_queries, http_figure, write_lines, wrk

BARE = "/bench/bare/status/"


def sample(ctx: dict[str, Any], n: int = 500) -> list[dict[str, str]]:
    if "status_sample" not in ctx:
        from casework.models import Application

        rows = (
            Application.objects.filter(is_demo=True)
            .order_by("?")
            .values_list("reference", "person__date_of_birth")[:n]
        )
        ctx["status_sample"] = [
            {
                "reference": ref,
                "day": str(dob.day),
                "month": str(dob.month),
                "year": str(dob.year),
            }
            for ref, dob in rows
        ]
        write_lines(
            ctx["tmp"] / "status.csv",
            [f"{r['reference']},{r['day']},{r['month']},{r['year']}" for r in ctx["status_sample"]],
        )
    return ctx["status_sample"]


def queries(ctx: dict[str, Any], path: str) -> float:
    status, n = count_queries("post", path, data=sample(ctx)[0])
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
) -> Figure:
    summary = wrk(
        server.base + path,
        "status.lua",
        env={
            "BENCH_DATA": str(ctx["tmp"] / "status.csv"),
            "BENCH_PATH": path,
            "BENCH_LUA": str(LUA),
        },
        seconds=seconds,
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    sample(ctx)
    q_ours, q_bare = queries(ctx, "/status/"), queries(ctx, BARE)
    with Gunicorn(ctx["workers"]) as server:
        # A worker's first requests import, connect and load templates and translations, and
        # the first lookups fill the shared caches (the waiting-time figures, computed once
        # per kind and track at a million cases in 0.1-0.4 s, then cached for 1 and 10
        # minutes): both paths are warmed before either is measured.
        for path, q in ((BARE, q_bare), ("/status/", q_ours)):
            measure(ctx, server, path, "warm-up", q, seconds=3)
        ours = measure(ctx, server, "/status/", "/status/ (POST form)", q_ours)
        base = measure(ctx, server, BARE, "bare view + one-line template", q_bare)
    row = Row(
        what=f"status-page lookups ({ctx['workers']} gunicorn workers)",
        ours=ours,
        baseline=base,
        target="≥ 50 % of the bare view's throughput, p99 < 50 ms",
        ratio_kind="throughput",
    )
    row.met = bool(row.ratio and row.ratio >= 0.5 and ours.p99_ms is not None and ours.p99_ms < 50)
    return [row]
