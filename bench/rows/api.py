"""API list pages with filters vs a bare DRF ``ListAPIView`` + ``ModelSerializer``.

Same token, same filters, same page size (25), same gunicorn. Queries are counted on the
first page and on a page of 100: a constant count means no N+1.
"""

from __future__ import annotations

from typing import Any

from bench.common import LUA, Figure, Gunicorn, Row, count_queries, http_figure, write_lines, wrk

OURS = "/api/v1/applications/"
BARE = "/bench/bare/api/applications/"
FILTERS = [
    "",
    "?state=submitted",
    "?state=examined&kind=protection",
    "?nationality=SY",
    "?kind=collective&state=accepted",
]


def token(ctx: dict[str, Any]) -> str:
    if "token" not in ctx:
        from rest_framework.authtoken.models import Token

        ctx["token"] = Token.objects.get_or_create(user=ctx["admin"])[0].key
    return ctx["token"]


def paths_file(ctx: dict[str, Any], base: str) -> str:
    path = ctx["tmp"] / f"paths-{base.strip('/').replace('/', '-')}.txt"
    write_lines(path, [base + f for f in FILTERS])
    return str(path)


def queries(ctx: dict[str, Any], base: str, page_size: int = 25) -> int:
    auth = {"HTTP_AUTHORIZATION": f"Token {token(ctx)}"}
    sep = "&" if "?" in FILTERS[1] else "?"
    status, n = count_queries("get", f"{base}{FILTERS[1]}{sep}page_size={page_size}", **auth)
    if status != 200:
        raise RuntimeError(f"GET {base} answered {status}")
    return n


def measure(ctx: dict[str, Any], server: Gunicorn, base: str, name: str, q: float) -> Figure:
    summary = wrk(
        server.base + base,
        "get.lua",
        env={
            "BENCH_DATA": paths_file(ctx, base),
            "BENCH_AUTH": f"Token {token(ctx)}",
            "BENCH_LUA": str(LUA),
        },
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    q25, q100 = queries(ctx, OURS, 25), queries(ctx, OURS, 100)
    qb = queries(ctx, BARE, 25)
    with Gunicorn(ctx["workers"]) as server:
        measure(ctx, server, BARE, "warm-up", qb)
        ours = measure(ctx, server, OURS, "/api/v1/applications/?filters", q25)
        base = measure(ctx, server, BARE, "bare ListAPIView + ModelSerializer", qb)
    ctx["api_list"] = ours
    row = Row(
        what=f"API list pages with filters ({ctx['workers']} gunicorn workers)",
        ours=ours,
        baseline=base,
        target="≥ 70 % of the bare DRF list; constant queries per page",
        ratio_kind="throughput",
    )
    row.notes.append(f"queries on a page of 25: {q25}, of 100: {q100} (bare: {qb})")
    row.met = bool(row.ratio and row.ratio >= 0.7 and q25 == q100)
    return [row]
