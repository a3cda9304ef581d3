"""API list pages with filters vs a bare DRF ``ListAPIView`` + ``ModelSerializer``.

Both as the demo caseworker, who has a unit: the product scopes the list to the unit's cases
after reading the caseworker's roles and unit; the bare list applies the same restriction
(one query for the roles and unit, ``unit_id = …``). The caseworker's token is issued the way
the product issues it, ``POST /api/v1/auth/token/`` with the password (and a current code of an
authenticator app when the account must use two-factor sign-in). Same token, same filters,
same page size (25), same gunicorn. Queries are counted on the first page and on a page of 100:
a constant count means no N+1.
"""

from __future__ import annotations

import time
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
STAFF_USER = "caseworker"  # the demo caseworker: the Caseworker role, the demo unit


def totp_now(user: Any) -> str:
    """The current code of ``user``'s authenticator app, set up (confirmed) if they have none
    yet: what the caseworker would type from their phone."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="bench", confirmed=True)
    code = totp(device.bin_key, device.step, device.t0, device.digits, device.drift)
    return f"{code:0{device.digits}d}"


def staff_token(username: str = STAFF_USER) -> str:
    """A token for the demo staff user, issued by ``POST /api/v1/auth/token/``."""
    import django_otp
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from casework.staff.otp import otp_required

    user = get_user_model().objects.get(username=username)
    body = {"username": username, "password": settings.DEMO_PASSWORD}
    if django_otp.user_has_device(user) or otp_required(user):
        if int(time.time()) % 30 > 27:  # not a code about to change
            time.sleep(3)
        body["otp"] = totp_now(user)
    response = Client().post("/api/v1/auth/token/", body, content_type="application/json")
    if response.status_code != 200:
        raise RuntimeError(f"no token for {username}: {response.status_code} {response.content!r}")
    return response.json()["token"]


def token(ctx: dict[str, Any]) -> str:
    if "token" not in ctx:
        ctx["token"] = staff_token()
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


def rows_seen(ctx: dict[str, Any], base: str) -> list[int]:
    """The ids on each filter's first page: ours and the bare list must list the same cases."""
    from django.test import Client

    client = Client(HTTP_AUTHORIZATION=f"Token {token(ctx)}")
    ids = []
    for f in FILTERS:
        body = client.get(base + f).json()
        ids += [r["id"] for r in body["results"]]
    return ids


def measure(ctx: dict[str, Any], server: Gunicorn, base: str, name: str, q: float) -> Figure:
    summary = wrk(
        server.base + base,
        "get.lua",
        env={
            "BENCH_DATA": paths_file(ctx, base),
            "BENCH_AUTH": f"Token {token(ctx)}",
            "BENCH_LUA": str(LUA),
        },
        server=server,
    )
    return http_figure(name, summary, server, q)


def run(ctx: dict[str, Any]) -> list[Row]:
    q25, q100 = queries(ctx, OURS, 25), queries(ctx, OURS, 100)
    qb = queries(ctx, BARE, 25)
    same = rows_seen(ctx, OURS) == rows_seen(ctx, BARE)
    with Gunicorn(ctx["workers"]) as server:
        measure(ctx, server, BARE, "warm-up", qb)
        measure(ctx, server, OURS, "warm-up", q25)
        ours = measure(ctx, server, OURS, f"{OURS}?filters, as the caseworker", q25)
        base = measure(ctx, server, BARE, "bare ListAPIView, same scope filter", qb)
    ctx["api_list"] = ours
    row = Row(
        what=f"API list pages with filters, caseworker's token ({ctx['workers']} gunicorn workers)",
        ours=ours,
        baseline=base,
        target="",
        ratio_kind="throughput",
        key="api",
        checks={"same_rows": same, "queries_25": q25, "queries_100": q100},
    )
    row.notes.append(
        f"queries on a page of 25: {q25}, of 100: {q100} (bare: {qb}); same cases listed: "
        f"{same}; CPU per request {ours.cpu_ms} ms vs {base.cpu_ms} ms"
    )
    return [row]
