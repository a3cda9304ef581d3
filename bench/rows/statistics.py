"""The statistics page and ``/api/v1/statistics/`` vs a bare view reading precomputed rows.

The baseline is the floor of "precomputed": each table the product publishes, computed once by
the product here and stored as JSON in a bench-only table (``bench_statistics``), read back by
``bench/views.py:bare_statistics`` (one ``SELECT``; the admin page's counterpart renders every
table, the API's returns one table's JSON). It does not depend on how the product keeps its
figures, so the row measures whatever the product does now. Both as the demo caseworker (every
role may read the statistics). The pages can take seconds each at a million cases, past wrk's
timeout: requests go one at a time (up to ``BENCH_STATISTICS_REQUESTS``, 20, or 30 s a side).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

from bench.common import Gunicorn, Row, count_queries, timed_gets
from bench.rows import admin, api
from bench.views import STATISTICS_TABLE

PAGE = "/admin/casework/statistics/"
API = "/api/v1/statistics/"
BARE = "/bench/bare/statistics/"
FLOOR = "/bench/floor/statistics/"  # the bare read through DRF's APIView (bench/views.py)
REQUESTS = int(os.environ.get("BENCH_STATISTICS_REQUESTS", "20"))


def precompute() -> tuple[list[str], float]:
    """Store each published table (default parameters) in ``bench_statistics``; its slugs
    and the seconds the product took to compute them all."""
    from django.db import connection

    from casework.statistics import tables as statistics

    statistics.discover()
    start = time.perf_counter()
    bodies = {slug: json.dumps(statistics.table(slug).as_dict(), default=str)
              for slug in statistics.TABLES}  # fmt: skip
    seconds = time.perf_counter() - start
    with connection.cursor() as cur:
        cur.execute(f"DROP TABLE IF EXISTS {STATISTICS_TABLE}")
        cur.execute(f"CREATE TABLE {STATISTICS_TABLE} (slug text PRIMARY KEY, body text NOT NULL)")
        for slug, body in bodies.items():
            cur.execute(f"INSERT INTO {STATISTICS_TABLE} VALUES (%s, %s)", [slug, body])
    return list(bodies), seconds


def refresh() -> float:
    """The product's own refresh (what beat runs): every published table for every year,
    kind and staff language, stored as the page and the API read them; its seconds."""
    from casework.statistics.services import statistics_refresh

    start = time.perf_counter()
    statistics_refresh()
    return time.perf_counter() - start


def run(ctx: dict[str, Any]) -> list[Row]:
    slugs, compute_s = precompute()
    refresh_s = refresh()
    ctx["cookie"] = ctx.get("cookie") or admin.session_cookie(ctx)
    cookie = {"Cookie": ctx["cookie"]}
    auth = {"Authorization": f"Token {api.token(ctx)}"}
    q_page, counts = admin.inspect(ctx, PAGE)
    _, q_api = count_queries("get", f"{API}{slugs[0]}/", HTTP_AUTHORIZATION=auth["Authorization"])
    client_cookie = {"HTTP_COOKIE": ctx["cookie"]}
    _, q_bare = count_queries("get", BARE, **client_cookie)
    api_paths = [API] + [f"{API}{slug}/" for slug in slugs]
    bare_paths = [f"{BARE}?slug={slug}" for slug in slugs]
    floor_paths = [f"{FLOOR}?slug={slug}" for slug in slugs]
    _, q_floor = count_queries("get", floor_paths[0], HTTP_AUTHORIZATION=auth["Authorization"])
    rows = []
    with Gunicorn(ctx["workers"]) as server:
        warm = ((PAGE, cookie), (BARE, cookie), (API, auth), (bare_paths[0], auth),
                (floor_paths[0], auth))  # fmt: skip
        for path, headers in warm:
            timed_gets(server, "warm-up", [path], headers=headers, max_requests=2)
        page = timed_gets(server, "admin statistics page", [PAGE], headers=cookie,
                          max_requests=REQUESTS, queries=q_page)  # fmt: skip
        page_base = timed_gets(server, "bare view, precomputed rows (all tables)", [BARE],
                               headers=cookie, max_requests=REQUESTS, queries=q_bare)  # fmt: skip
        api_fig = timed_gets(server, f"{API} and each table", api_paths, headers=auth,
                             max_requests=max(REQUESTS, len(api_paths)), queries=q_api)  # fmt: skip
        api_base = timed_gets(server, "bare view, one precomputed table", bare_paths, headers=auth,
                              max_requests=max(REQUESTS, len(bare_paths)), queries=1)  # fmt: skip
        api_floor = timed_gets(server, "floor: the same read through DRF's APIView (token, "
                               "permission, throttle)", floor_paths, headers=auth,
                               max_requests=max(REQUESTS, len(floor_paths)),
                               queries=q_floor)  # fmt: skip
    for what, ours, base in (
        ("statistics page (admin, caseworker)", page, page_base),
        (f"statistics API ({len(slugs)} tables + index, caseworker's token)", api_fig, api_base),
    ):
        row = Row(what=what, ours=ours, baseline=base, target="", ratio_kind="per_request",
                  key="statistics")  # fmt: skip
        row.notes.append(
            f"p50 {ours.p50_ms} ms vs {base.p50_ms} ms; computing every table once took "
            f"{compute_s:.2f} s; the refresh (every year, kind and language) {refresh_s:.2f} s"
        )
        rows.append(row)
    rows[0].notes.append(f"{q_page} queries; full COUNTs: {len(counts)}")
    rows[1].extra.append(api_floor)
    if api_floor.throughput and api_base.throughput and api_fig.throughput:
        rows[1].checks["floor_ratio"] = round(api_base.throughput / api_floor.throughput, 3)
        rows[1].notes.append(
            f"ours/floor {api_floor.throughput / api_fig.throughput:.2f}×, "
            f"floor/bare {rows[1].checks['floor_ratio']:.2f}× (p50 {api_floor.p50_ms} ms)"
        )
    return rows
