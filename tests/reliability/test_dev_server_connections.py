"""The development server (``make run``'s ``manage.py runserver``) gives back its connections.

It serves each request in a thread of its own. A connection kept for reuse
(``DB_CONN_MAX_AGE``) belongs to that thread, and Django's ``runserver`` never closes a
finished thread's connection: PostgreSQL kept them open until the server stopped, and a few
hundred requests filled ``max_connections`` (100) for every other client. Here a real
``runserver`` on the test database answers 300 requests, 8 at a time, and the database's
connection count comes back to where it started.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from django.db import connection

from tests.reliability.conftest import PYTHON, ROOT, app_env, free_port, wait_for_port

pytestmark = [pytest.mark.services("postgres"), pytest.mark.fault]

REQUESTS = 300
AT_ONCE = 8


def server_connections() -> int:
    """Connections to the test database other than this test's own."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity"
            " WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


def settle(expected: int, timeout: float = 10.0) -> int:
    """The count once it reaches ``expected`` (a thread closes its connection just after the
    client has read the response), or whatever it is after ``timeout``."""
    end = time.monotonic() + timeout
    count = server_connections()
    while count != expected and time.monotonic() < end:
        time.sleep(0.2)
        count = server_connections()
    return count


@pytest.mark.django_db
def test_runserver_returns_its_connections_after_300_requests(tmp_path: Path) -> None:
    port = free_port()
    # As make run starts it; DB_CONN_MAX_AGE as in its default environment.
    env = app_env(tmp_path, DB_CONN_MAX_AGE="60", DEBUG="1")
    log = (tmp_path / "runserver.log").open("wb")
    server = subprocess.Popen(
        [PYTHON, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        wait_for_port(port, timeout=60)
        before = server_connections()

        def get(_: int) -> str:
            """The health check's word on the database (it answers 503, with the same body,
            once the test database is older than the sweep's limit with no sweep run)."""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=30) as r:
                    body = r.read()
            except urllib.error.HTTPError as answered:
                body = answered.read()
            return json.loads(body)["database"]["status"]

        with ThreadPoolExecutor(AT_ONCE) as pool:
            statuses = list(pool.map(get, range(REQUESTS)))
        assert statuses == ["ok"] * REQUESTS
        after = settle(before)
        print(f"\nrunserver, {REQUESTS} requests {AT_ONCE} at a time: {before} -> {after}")
        assert after == before, f"{after - before} connections left open by {REQUESTS} requests"
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(timeout=5)
        log.close()
