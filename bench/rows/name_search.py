"""Search by family name, as the caseworker types it into the admin's search box (the people
list and the case list: ``?q=<name>``), at whatever number of people the dataset holds, vs the
floor: an indexed lookup of one of the same people (``registration_number``, unique index).

For each of ``BENCH_NAMES`` (20) family names of random people, the page is requested in-process
(the test client, the caseworker's session) and the statements that search the names (those
with ``family_name`` and ``LIKE``) are timed as they run (an execute wrapper around the
driver's call): ours is the median, per page, of their sum. The floor runs the same way on
the same database: ``SELECT … FROM casework_person WHERE registration_number = %s``. The
request's whole time in-process is given beside it.
"""

from __future__ import annotations

import os
import statistics as stats
import time
import urllib.parse
from typing import Any

from bench.common import Figure, Row
from bench.rows import admin

NAMES = int(os.environ.get("BENCH_NAMES", "20"))
PAGES = (("people", "/admin/casework/person/"), ("cases", "/admin/casework/application/"))


def sample_people(n: int) -> list[tuple[str, str]]:
    """(family name, registration number) of ``n`` random people (the caseworker's scope
    covers the demo unit's; a name found outside it is still searched, as a typed name is)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT family_name, registration_number FROM casework_person "
            "TABLESAMPLE SYSTEM (1) WHERE family_name <> '' LIMIT %s",
            [n],
        )
        rows = cur.fetchall()
    if len(rows) < n:
        from casework.models import Person

        rows += list(
            Person.objects.exclude(family_name="")
            .order_by("?")
            .values_list("family_name", "registration_number")[: n - len(rows)]
        )
    return rows


class SearchTimer:
    """Times the statements that search names (``family_name`` … ``LIKE``)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.statements = 0

    def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        if "family_name" not in sql or "LIKE" not in sql.upper():
            return execute(sql, params, many, context)
        start = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.seconds += time.perf_counter() - start
            self.statements += 1


def search_ms(client: Any, path: str, name: str) -> tuple[float, float, int]:
    """(search statements' ms, whole request ms, statements) for one search."""
    from django.db import connection

    timer = SearchTimer()
    url = f"{path}?{urllib.parse.urlencode({'q': name})}"
    start = time.perf_counter()
    with connection.execute_wrapper(timer):
        response = client.get(url)
    total = time.perf_counter() - start
    if response.status_code != 200:
        raise RuntimeError(f"GET {path}?q=… answered {response.status_code}")
    return 1000 * timer.seconds, 1000 * total, timer.statements


def floor_ms(number: str) -> float:
    from django.db import connection

    with connection.cursor() as cur:
        start = time.perf_counter()
        cur.execute(
            "SELECT id, family_name, given_name, date_of_birth FROM casework_person "
            "WHERE registration_number = %s",
            [number],
        )
        cur.fetchall()
        return 1000 * (time.perf_counter() - start)


def run(ctx: dict[str, Any]) -> list[Row]:
    from django.conf import settings
    from django.test import Client

    from casework.models import Person

    people = sample_people(NAMES)
    ctx["cookie"] = ctx.get("cookie") or admin.session_cookie(ctx)
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = ctx["cookie"].split("=", 1)[1]
    for _name, path in PAGES:  # caches warm, as a worker's would be
        search_ms(client, path, people[0][0])
    floors = [floor_ms(number) for _name, number in people for _ in range(3)]
    floor = Figure(
        name="indexed lookup (registration_number = …)",
        p50_ms=round(stats.median(floors), 2),
        p95_ms=round(sorted(floors)[int(0.95 * len(floors))], 2),
        p99_ms=round(max(floors), 2),
        queries=1,
        count=len(floors),
    )
    total_people = Person.objects.count()
    rows = []
    for page, path in PAGES:
        results = [search_ms(client, path, name) for name, _number in people]
        sql = sorted(r[0] for r in results)
        whole = [r[1] for r in results]
        ours = Figure(
            name=f"admin {page} list, ?q=<family name>: the search's statements",
            p50_ms=round(stats.median(sql), 2),
            p95_ms=round(sql[int(0.95 * len(sql))], 2),
            p99_ms=round(sql[-1], 2),
            queries=max(r[2] for r in results),
            count=len(results),
        )
        row = Row(
            what=f"name search, {page} ({total_people:,} people, {len(people)} names)",
            ours=ours,
            baseline=floor,
            target="",
            ratio_kind="latency",
            key="name_search",
            checks={"search_ms": ours.p50_ms},
        )
        row.notes.append(
            f"whole page in-process: median {stats.median(whole):.1f} ms; search statements "
            f"median {ours.p50_ms} ms, slowest {ours.p99_ms} ms"
        )
        rows.append(row)
    return rows
