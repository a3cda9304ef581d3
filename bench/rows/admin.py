"""The admin pages of the staff journeys, as the demo caseworker (who has a unit), each vs a
bare Django ``ListView`` / ``DetailView`` over the same rows (``bench/views.py``: the same
unit scope, the same ordering and page size, a one-line-per-row template).

Signed in with a session made in the session store (and, where the caseworker has an
authenticator app, marked verified as the sign-in would). Queries are counted in-process on
the same page with the same session; any top-level ``SELECT COUNT(*)`` without a ``LIMIT`` (a
count of everything in the scope, which grows with the data; the admin's capped count is
``SELECT COUNT(*) FROM (… LIMIT 10001)``) whose plan reads more than a thousand rows or scans
a larger table is reported as a full count. Each page: requests one at a time for
``BENCH_ADMIN_SECONDS`` (10) on ours, then on the bare view, same gunicorn (one person
opening a page; some take seconds at a million cases).
"""

from __future__ import annotations

import json
import os
import re
from typing import Any

from bench.common import (
    STATEMENT_TIMEOUT_S,
    Figure,
    Gunicorn,
    Row,
    StatementTimeout,
    sql_statements,
    timed_gets,
)

STAFF_USER = "caseworker"
SECONDS = int(os.environ.get("BENCH_ADMIN_SECONDS", "10"))
REQUESTS = 200
FULL_COUNT = re.compile(r"^\s*SELECT\s+COUNT\(", re.I)


BOUNDED = 1000  # rows a count may read and still be "a count of a few": one case's lookups


def unbounded_count(sql: str) -> bool:
    """A top-level count with no LIMIT: a candidate for a count of everything in a scope."""
    return bool(FULL_COUNT.search(sql)) and "LIMIT" not in sql.upper()


def _plan_nodes(plan: dict[str, Any]) -> list[dict[str, Any]]:
    return [plan] + [n for child in plan.get("Plans", []) for n in _plan_nodes(child)]


def is_full_count(sql: str) -> bool:
    """A count that reads every row of its scope, which grows with the data: no LIMIT, and its
    plan scans a table sequentially or counts more than ``BOUNDED`` rows (PostgreSQL's
    estimate). A count of one case's status lookups by their indexed hash is not one."""
    if not unbounded_count(sql):
        return False
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("EXPLAIN (FORMAT JSON) " + sql)
        raw = cur.fetchone()[0]
        plan = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
        counted = plan.get("Plans", [plan])[0]
        if counted.get("Plan Rows", 0) > BOUNDED:
            return True
        scanned = [n["Relation Name"] for n in _plan_nodes(plan)
                   if n.get("Node Type") == "Seq Scan" and "Relation Name" in n]  # fmt: skip
        if not scanned:
            return False
        cur.execute("SELECT max(reltuples) FROM pg_class WHERE relname = ANY(%s)", [scanned])
        return (cur.fetchone()[0] or 0) > BOUNDED


def staff_user(username: str = STAFF_USER) -> Any:
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def session_cookie(ctx: dict[str, Any], user: Any | None = None) -> str:
    """A signed-in session of ``user`` (the caseworker), as the sign-in leaves it."""
    import django_otp
    from django.conf import settings
    from django.contrib.sessions.backends.db import SessionStore
    from django_otp import DEVICE_ID_SESSION_KEY

    from casework.staff.otp import HAS_DEVICE_SESSION_KEY

    user = user or staff_user()
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s["_auth_user_backend"] = "django.contrib.auth.backends.ModelBackend"
    s["_auth_user_hash"] = user.get_session_auth_hash()
    device = next(django_otp.devices_for_user(user), None)
    s[HAS_DEVICE_SESSION_KEY] = device is not None
    if device is not None:  # verified with the app's code at sign-in
        s[DEVICE_ID_SESSION_KEY] = device.persistent_id
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


class PageTimedOut(Exception):
    """A statement of the page ran past the bench's statement timeout."""


def inspect(ctx: dict[str, Any], path: str) -> tuple[int, list[str]]:
    """(queries, full counts) of one request with the bench's session, caches warm (the
    second of two). A statement past ``STATEMENT_TIMEOUT_S`` raises ``PageTimedOut`` naming it
    (the product answers such a page with its "database unavailable" page)."""
    from django.conf import settings
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    cancelled: list[str] = []

    def watch(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        try:
            return execute(sql, params, many, context)
        except Exception as exc:
            if "statement timeout" in str(exc):
                cancelled.append(re.sub(r"\s+", " ", sql)[:300])
            raise

    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = ctx["cookie"].split("=", 1)[1]
    with StatementTimeout(), connection.execute_wrapper(watch):
        for _ in range(2):
            with CaptureQueriesContext(connection) as c:
                response = client.get(path)
            if cancelled:
                raise PageTimedOut(cancelled[0])
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")
    sqls = sql_statements(c.captured_queries)
    return len(sqls), [s for s in sqls if is_full_count(s)]


def measure(
    ctx: dict[str, Any], server: Gunicorn, path: str, name: str, q: int, seconds: float = SECONDS
) -> Figure:
    """Requests one at a time for ``seconds`` (at most ``REQUESTS``): a staff page is opened by
    one person and waited for; some take seconds, past what a few seconds of wrk could show."""
    return timed_gets(
        server,
        name,
        [path],
        headers={"Cookie": ctx["cookie"]},
        max_requests=REQUESTS,
        max_seconds=seconds,
        queries=q,
    )


def pages(user: Any) -> list[tuple[str, str, str, str]]:
    """(name, admin path, bare path, floor path) of each journey page, on rows the caseworker
    may see. The floor is Django's own ``ModelAdmin`` over the same rows
    (``bench/views.py:floor_admin_site``)."""
    from django.db.models import Exists, OuterRef

    from bench.views import scoped
    from casework.models import Application, AuditEvent, Deadline, Person

    cases = scoped(Application, user)
    # A case with a history: the change page shows its timeline, deadlines and documents.
    case = (
        cases.filter(Exists(Deadline.objects.filter(application=OuterRef("pk"))))
        .filter(Exists(AuditEvent.objects.filter(application=OuterRef("pk"))))
        .order_by("-id")
        .values_list("pk", "person_id")
        .first()
    ) or cases.order_by("-id").values_list("pk", "person_id").first()
    if case is None:
        raise RuntimeError("the caseworker sees no case")
    pk, person = case
    person = person or scoped(Person, user).order_by("-id").values_list("pk", flat=True).first()
    out = [
        ("case list", "casework/application/", "?assigned=all"),
        ("case change page", f"casework/application/{pk}/", ""),
        ("deadlines", "casework/deadline/", ""),
        ("reminders", "casework/reminder/", ""),
        ("audit events", "casework/auditevent/", ""),
        ("people", "casework/person/", ""),
        ("person change page", f"casework/person/{person}/", ""),
    ]
    return [
        (
            name,
            f"/admin/{path}{'change/' if path[-2].isdigit() else ''}{query}",
            f"/bench/bare/admin/{path}",
            f"/bench/floor/admin/{path}{'change/' if path[-2].isdigit() else ''}",
        )
        for name, path, query in out
    ]


def timed_out(name: str, qb: int, statement: str) -> Row:
    row = Row(
        what=f"admin: {name} (caseworker)",
        ours=Figure(name=f"admin {name}", note=f"a statement ran past {STATEMENT_TIMEOUT_S} s"),
        baseline=Figure(name="bare view, same rows", queries=qb),
        target="",
        ratio_kind="per_request",
        key="admin",
        checks={
            "timed_out": STATEMENT_TIMEOUT_S,
            # a count with no LIMIT that ran past the timeout counts everything in its scope
            "full_counts": int(unbounded_count(statement)),
        },
    )
    row.notes.append(f"cancelled after {STATEMENT_TIMEOUT_S} s: {statement}")
    return row


def run(ctx: dict[str, Any]) -> list[Row]:
    user = staff_user()
    ctx["cookie"] = session_cookie(ctx, user)
    measured, rows = [], []
    for name, path, bare, floor in pages(user):
        try:
            qb, _ = inspect(ctx, bare)
        except PageTimedOut:
            qb = -1  # the bare view too: the scope's query itself is past the timeout
        try:
            qf, _ = inspect(ctx, floor)
        except PageTimedOut:
            qf = -1
        try:
            q, counts = inspect(ctx, path)
        except PageTimedOut as exc:  # reported, not timed: a request would fail the same way
            rows.append(timed_out(name, qb, str(exc)))
            continue
        measured.append((name, path, bare, floor, q, counts, qb, qf))
    with Gunicorn(ctx["workers"]) as server:
        for _name, path, bare, floor, q, _counts, qb, qf in measured[:2]:  # warm each kind
            measure(ctx, server, path, "warm-up", q, seconds=2)
            measure(ctx, server, bare, "warm-up", qb, seconds=2)
            measure(ctx, server, floor, "warm-up", qf, seconds=2)
        for name, path, bare, floor, q, counts, qb, qf in measured:
            ours = measure(ctx, server, path, f"admin {name}", q)
            kind = "DetailView" if bare[-2].isdigit() else "ListView"
            base = measure(ctx, server, bare, f"bare {kind}, same rows", qb)
            stock = (
                measure(ctx, server, floor, "floor: Django's ModelAdmin, same rows", qf)
                if qf >= 0
                else Figure(name="floor: Django's ModelAdmin, same rows", note="timed out")
            )
            row = Row(
                what=f"admin: {name} (caseworker)",
                ours=ours,
                baseline=base,
                target="",
                ratio_kind="per_request",
                key="admin",
                checks={"queries": q, "full_counts": len(counts)},
                extra=[stock],
            )
            row.notes.append(f"{q} queries (bare {qb}, floor {qf}); full COUNTs: {len(counts)}")
            if stock.throughput and base.throughput and ours.throughput:
                row.checks["floor_ratio"] = round(base.throughput / stock.throughput, 3)
                row.notes.append(
                    f"ours/floor {stock.throughput / ours.throughput:.2f}×, "
                    f"floor/bare {base.throughput / stock.throughput:.2f}×"
                )
            for sql in counts[:2]:
                row.notes.append("full count: " + re.sub(r"\s+", " ", sql)[:200])
            rows.append(row)
    order = [f"admin: {name} (caseworker)" for name, *_paths in pages(user)]
    return sorted(rows, key=lambda r: order.index(r.what))
