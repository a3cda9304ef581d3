"""The caseworker's default admin list and a case's change page vs the API list.

Signed in as the demo superuser (a session made directly in the session store). Queries are
counted in-process; any ``COUNT(*)`` over the applications table without a WHERE clause (a
full count over a million rows) is reported.
"""

from __future__ import annotations

import re
from typing import Any

from bench.common import LUA, Figure, Gunicorn, Row, http_figure, sql_statements, write_lines, wrk
from bench.rows import api

LIST = "/admin/casework/application/"
# A COUNT over the applications with neither a WHERE nor a LIMIT (the admin's capped
# paginator counts at most cap + 1 rows: ``LIMIT 10001``).
FULL_COUNT = re.compile(r'SELECT COUNT\(\*\).*FROM "casework_application"(?!.*(WHERE|LIMIT))', re.S)


def session_cookie(ctx: dict[str, Any]) -> str:
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore

    user = ctx["admin"]
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def inspect(ctx: dict[str, Any], path: str) -> tuple[int, list[str]]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(ctx["admin"], backend="django.contrib.auth.backends.ModelBackend")
    for _ in range(2):
        with CaptureQueriesContext(connection) as c:
            response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    sqls = sql_statements(c.captured_queries)
    return len(sqls), [s for s in sqls if FULL_COUNT.search(s)]


def measure(ctx: dict[str, Any], server: Gunicorn, path: str, name: str, q: int) -> Figure:
    data = ctx["tmp"] / f"admin-{abs(hash(path))}.txt"
    write_lines(data, [path])
    summary = wrk(
        server.base + path,
        "get.lua",
        env={"BENCH_DATA": str(data), "BENCH_COOKIE": ctx["cookie"], "BENCH_LUA": str(LUA)},
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    from casework.models import Application

    ctx["cookie"] = session_cookie(ctx)
    case = Application.objects.filter(is_demo=True).order_by("-id").values_list("pk", flat=True)[0]
    change = f"/admin/casework/application/{case}/change/"
    q_list, counts_list = inspect(ctx, LIST)
    q_change, counts_change = inspect(ctx, change)
    q_api = api.queries(ctx, api.OURS)
    with Gunicorn(ctx["workers"]) as server:
        api.measure(ctx, server, api.OURS, "warm-up", q_api)
        api_fig = api.measure(ctx, server, api.OURS, "API list (same server)", q_api)
        list_fig = measure(ctx, server, LIST, "admin list (default)", q_list)
        change_fig = measure(ctx, server, change, "admin change page", q_change)
    rows = []
    for fig, q, counts in ((list_fig, q_list, counts_list), (change_fig, q_change, counts_change)):
        row = Row(
            what=fig.name,
            ours=fig,
            baseline=api_fig,
            target="< 12 queries, no full COUNT over the table",
            ratio_kind="throughput",
        )
        row.met = q < 12 and not counts
        row.notes.append(f"{q} queries; full COUNTs: {len(counts)}")
        rows.append(row)
    return rows
