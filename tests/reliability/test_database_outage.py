"""Database trouble under load: PostgreSQL refuses connections for a few seconds.

A real gunicorn (2 workers, persistent connections) reaches the test database through our own
TCP proxy. Six client threads keep up mixed traffic: caseworkers on the admin list (session
cookie), a police registration client writing people through the API (token), API reads and
applicants on the status page. Mid-run the proxy cuts every connection and refuses new ones.

What must hold: no 500 ever; during the outage a clean 503 with ``Retry-After`` (JSON for the
API, the friendly page for people); nothing half-written (every registered person has their
audit event, every 201 left its row); service back by itself once the database is.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections import Counter

import pytest
import requests
from django.test import Client
from rest_framework.authtoken.models import Token

from casework.models import AuditEvent, Person
from tests.factories import ApplicationFactory, PersonFactory

from .conftest import TcpProxy, db_host_port, gunicorn, status_form

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]

NORMAL_BEFORE = 2.0
OUTAGE = 4.0
RECOVERY_BUDGET = 15.0
NORMAL_AFTER = 2.0
FRIENDLY = "temporarily unavailable"


def _session_cookie(user) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


@pytest.mark.django_db(transaction=True)
def test_database_refusing_connections_gives_clean_503_and_recovers(
    tmp_path, caseworker, registrar
):
    person = PersonFactory(date_of_birth=dt.date(1990, 5, 17))
    case = ApplicationFactory(person=person, assigned_to=caseworker)
    registrar_token = Token.objects.create(user=registrar).key
    caseworker_token = Token.objects.create(user=caseworker).key
    sessionid = _session_cookie(caseworker)
    people_before = set(Person.objects.values_list("pk", flat=True))

    proxy = TcpProxy(*db_host_port())
    log: list[tuple[float, str, int, str, str]] = []
    created_ids: list[int] = []
    stop = threading.Event()
    failures: list[BaseException] = []

    try:
        with gunicorn(tmp_path, DATABASE_URL=_via(proxy.port), DB_CONNECT_TIMEOUT="2") as web:

            def client(kind: str, n: int) -> None:
                http = requests.Session()
                i = 0
                try:
                    while not stop.is_set():
                        i += 1
                        resp = _request(
                            http,
                            web.base,
                            kind,
                            n,
                            i,
                            case,
                            person,
                            tokens={
                                "registrar": registrar_token,
                                "caseworker": caseworker_token,
                            },
                            sessionid=sessionid,
                        )
                        if resp is None:
                            continue
                        log.append(
                            (
                                time.monotonic(),
                                kind,
                                resp.status_code,
                                resp.headers.get("Content-Type", ""),
                                resp.text[:400],
                            )
                        )
                        if kind == "register" and resp.status_code == 201:
                            created_ids.append(resp.json()["id"])
                        time.sleep(0.02)
                except BaseException as exc:  # reported below
                    failures.append(exc)

            kinds = ["admin", "api_read", "register", "register", "status", "status"]
            threads = [
                threading.Thread(target=client, args=(k, n), daemon=True)
                for n, k in enumerate(kinds)
            ]
            for t in threads:
                t.start()
            time.sleep(NORMAL_BEFORE)
            outage_start = time.monotonic()
            proxy.refuse()
            time.sleep(OUTAGE)
            proxy.restore()
            outage_end = time.monotonic()
            recovered_at = _wait_until_all_kinds_succeed(log, outage_end, RECOVERY_BUDGET)
            time.sleep(NORMAL_AFTER)
            stop.set()
            for t in threads:
                t.join(timeout=20)
    finally:
        stop.set()
        proxy.close()

    assert not failures, failures
    codes = Counter(code for _t, _k, code, _ct, _b in log)
    print(
        f"\nrequests: {len(log)}, codes: {dict(codes)}, refused connections: {proxy.refused}, "
        f"recovered {recovered_at - outage_end:.1f}s after the database came back"
    )

    # Never a 500, never anything but success or a clean 503.
    assert set(codes) <= {200, 201, 302, 503}, Counter((k, c) for _t, k, c, _ct, _b in log)
    during = [e for e in log if outage_start + 0.5 < e[0] < outage_end]
    assert during and all(code == 503 for _t, _k, code, _ct, _b in during), Counter(
        (k, c) for _t, k, c, _ct, _b in during
    )
    for _t, kind, code, ctype, body in log:
        if code != 503:
            continue
        if kind in ("api_read", "register"):
            assert ctype.startswith("application/json") and "temporarily unavailable" in body
        else:
            assert ctype.startswith("text/html") and FRIENDLY in body, body
    assert proxy.refused > 0
    # Service came back by itself, and everything after that succeeded.
    after = [e for e in log if e[0] > recovered_at + 0.5]
    assert after and all(code in (200, 201, 302) for _t, _k, code, _ct, _b in after)

    # Nothing half-written: each new person has exactly one registration audit event, and
    # every 201 the client saw is a row in the database.
    new_people = set(Person.objects.values_list("pk", flat=True)) - people_before
    assert set(created_ids) <= new_people
    events = Counter(
        AuditEvent.objects.filter(action="person_registered", person_id__in=new_people).values_list(
            "person_id", flat=True
        )
    )
    assert events == dict.fromkeys(new_people, 1)
    assert len(new_people) >= 2


def _via(port: int) -> str:
    from .conftest import database_url

    return database_url(port=port)


def _request(http, base, kind, n, i, case, person, *, tokens, sessionid):
    timeout = 10
    if kind == "admin":
        return http.get(
            f"{base}/admin/casework/application/",
            cookies={"sessionid": sessionid},
            allow_redirects=False,
            timeout=timeout,
        )
    if kind == "api_read":
        return http.get(
            f"{base}/api/v1/applications/",
            headers={"Authorization": f"Token {tokens['caseworker']}"},
            timeout=timeout,
        )
    if kind == "register":
        return http.post(
            f"{base}/api/v1/people/",
            json={
                "given_name": "Outage",
                "family_name": f"Probe{n}x{i}",
                "date_of_birth": "1990-01-01",
                "sex": "female",
                "nationality": "SY",
            },
            headers={"Authorization": f"Token {tokens['registrar']}"},
            timeout=timeout,
        )
    # status page: the form's CSRF cookie, then the lookup (right reference, right birth date)
    if "csrftoken" not in http.cookies:
        page = http.get(f"{base}/status/", timeout=timeout)
        if "csrftoken" not in http.cookies:
            return page
    return http.post(
        f"{base}/status/",
        data={**status_form(case), "csrfmiddlewaretoken": http.cookies["csrftoken"]},
        headers={"Referer": f"{base}/status/"},
        timeout=timeout,
    )


def _wait_until_all_kinds_succeed(log: list, since: float, budget: float) -> float:
    """The moment after ``since`` from which every kind of request has succeeded again."""
    end = time.monotonic() + budget
    kinds = {"admin", "api_read", "register", "status"}
    while time.monotonic() < end:
        ok: dict[str, float] = {}
        for t, kind, code, _ct, _b in list(log):
            if t > since and code in (200, 201, 302):
                ok.setdefault(kind, t)
        if set(ok) == kinds:
            return max(ok.values())
        time.sleep(0.1)
    raise AssertionError(f"service did not recover within {budget}s of the database")
