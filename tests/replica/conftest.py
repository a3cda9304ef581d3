"""A real PostgreSQL streaming replica for the routing tests, and a stand-in for the rest.

``streaming_replica`` (once per test session) runs ``scripts/pg_replica.sh up``: a hot standby
of the local primary on port 5434, made with ``pg_createcluster`` and ``pg_basebackup`` or
found already streaming, and ``down`` at the end (``REPLICA_KEEP=1`` keeps it for the next
run). Physical replication copies the whole cluster, so the test database that pytest-django
made on the primary is on the replica too, once replayed. ``replica`` points the ``replica``
database of this process at it for one test; ``mirrored_replica`` points it at the primary
itself, for tests of which database is chosen (on SQLite too).
"""

from __future__ import annotations

import copy
import fcntl
import os
import subprocess
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections

from casework.core.replica import REPLICA, task_starts

SCRIPT = Path(__file__).resolve().parents[2] / "scripts" / "pg_replica.sh"
# The script's lock of the runs using the replica: machine-wide, as the cluster is.
USERS = "/tmp/casework-pg-replica.users"  # noqa: S108
REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _unavailable(why: str) -> None:
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1: no streaming replica: {why}")
    pytest.skip(f"no streaming replica: {why}")


@pytest.fixture(scope="session")
def streaming_replica() -> int:
    """The port of a streaming replica of the primary the tests use."""
    primary = settings.DATABASES[DEFAULT_DB_ALIAS]
    if not primary["ENGINE"].endswith("postgresql"):
        pytest.skip("a streaming replica is PostgreSQL's; this run is on SQLite")
    if primary.get("HOST") not in ("127.0.0.1", "localhost", "", None):
        _unavailable("the primary is not on this machine (pg_basebackup runs here)")
    env = {**os.environ, "PRIMARY_PORT": str(primary.get("PORT") or 5432)}
    # Held while this run uses the replica: another run's "down" then leaves it running.
    with open(USERS, "a") as users:
        fcntl.flock(users, fcntl.LOCK_SH)
        made = subprocess.run(
            [str(SCRIPT), "up"], env=env, capture_output=True, text=True, timeout=1800, check=False
        )
        if made.returncode != 0:
            _unavailable(made.stderr.strip()[-2000:])
        yield int(made.stdout.strip().splitlines()[-1])
    if os.environ.get("REPLICA_KEEP") != "1":
        # Removed after use: a replica copies every database on the machine, and replays all
        # their writes, for as long as it runs.
        subprocess.run([str(SCRIPT), "down"], env=env, check=False, timeout=600)


class Replica:
    """The replica as a test drives it: replay paused and resumed, waited for."""

    def __init__(self) -> None:
        self.paused = False

    def value(self, sql: str, alias: str = REPLICA) -> object:
        with connections[alias].cursor() as cursor:
            cursor.execute(sql)
            return cursor.fetchone()[0]

    def pause(self) -> None:
        """Stop applying the primary's changes: what the primary writes from now on is not
        on the replica until ``resume``."""
        self.wait_for_replay()
        self.value("SELECT pg_wal_replay_pause()")
        self.paused = True

    def resume(self) -> None:
        self.value("SELECT pg_wal_replay_resume()")
        self.paused = False

    def wait_for_replay(self, timeout: float = 60) -> float:
        """Wait until the replica has applied everything the primary had written when this
        was called; the seconds it took."""
        target = self.value("SELECT pg_current_wal_lsn()::text", DEFAULT_DB_ALIAS)
        start = time.monotonic()
        while not self.value(f"SELECT pg_last_wal_replay_lsn() >= '{target}'::pg_lsn"):
            if time.monotonic() - start > timeout:
                raise AssertionError(f"the replica did not replay up to {target} in {timeout} s")
            time.sleep(0.005)
        return time.monotonic() - start


def _attach(settings_dict: dict) -> None:
    # A mirror to Django's test cases: never flushed or created, as a real replica is not.
    connections.settings[REPLICA] = {**settings_dict, "TEST": {"MIRROR": DEFAULT_DB_ALIAS}}


def _detach() -> None:
    if hasattr(connections._connections, REPLICA):
        connections[REPLICA].close()
        del connections[REPLICA]
    connections.settings.pop(REPLICA, None)


# The tests of a module that uses a replica say so to pytest-django: the alias must exist
# before their test case is set up, hence these module-wide fixtures.
REPLICA_DB = pytest.mark.django_db(transaction=True, databases=[DEFAULT_DB_ALIAS, REPLICA])


@pytest.fixture(scope="module")
def replica(streaming_replica, django_db_setup, django_db_blocker):
    """This process's ``replica`` database is the streaming replica, for one module's tests
    (the test database on the primary, with its name, is there once replayed)."""
    standby = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    standby["PORT"] = str(streaming_replica)
    _attach(standby)
    try:
        yield Replica()
    finally:
        with django_db_blocker.unblock():
            _detach()


@pytest.fixture
def fresh(replica):
    """Each test starts with the replica caught up and replaying, and unpinned."""
    replica.wait_for_replay()
    task_starts()
    try:
        yield replica
    finally:
        if replica.paused:
            replica.resume()
        task_starts()


@pytest.fixture(scope="module")
def mirrored_replica(django_db_setup):
    """A ``replica`` database that is the primary itself (as ``TEST["MIRROR"]`` makes it in
    tests): which database a read chooses, without a second server (on SQLite too)."""
    _attach(copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict))
    yield
    _detach()


@pytest.fixture(scope="module")
def unreachable_replica(django_db_setup):
    """A ``replica`` database nobody answers at (a closed port; on SQLite a missing folder)."""
    broken = copy.deepcopy(connections[DEFAULT_DB_ALIAS].settings_dict)
    if broken["ENGINE"].endswith("sqlite3"):
        broken["NAME"] = "/nonexistent/replica.sqlite3"
    else:
        broken |= {"HOST": "127.0.0.1", "PORT": "1"}
    _attach(broken)
    yield
    _detach()


@pytest.fixture
def unpinned():
    task_starts()
    yield
    task_starts()
