"""Backups restore: pg_dump -Fc of the database, pg_restore into a fresh one, every row there.

The procedure is the one in docs/backup.md. The test writes cases through the services (so
there are decisions, deadlines and audit events), dumps the test database, restores it into
``<DATABASE_URL's database>_restore``, and compares counts and a checksum of the ids of every case,
decision and audit event, and the newest audit row in full. Then it drops the copy.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import psycopg
import pytest
from django.db import connection
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import application_decide
from tests.factories import ApplicationFactory

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]

CHECKS = {
    "cases": "SELECT count(*), md5(coalesce(string_agg(id::text || ':' || reference || ':' "
    "|| state || ':' || version, ',' ORDER BY id), '')) FROM casework_application",
    "decisions": "SELECT count(*), md5(coalesce(string_agg(id::text || ':' || application_id "
    "|| ':' || outcome, ',' ORDER BY id), '')) FROM casework_decision",
    "audit": "SELECT count(*), md5(coalesce(string_agg(id::text || ':' || action || ':' "
    "|| coalesce(application_id, 0) || ':' || at::text, ',' ORDER BY id), '')) "
    "FROM casework_auditevent",
    "people": "SELECT count(*), md5(coalesce(string_agg(id::text || ':' || registration_number, "
    "',' ORDER BY id), '')) FROM casework_person",
    "deadlines": "SELECT count(*), md5(coalesce(string_agg(id::text, ',' ORDER BY id), '')) "
    "FROM casework_deadline",
}


def _pg_env() -> dict[str, str]:
    db = connection.settings_dict
    env = dict(os.environ)
    env.update(
        {
            "PGHOST": db.get("HOST") or "127.0.0.1",
            "PGPORT": str(db.get("PORT") or 5432),
            "PGUSER": db.get("USER") or "postgres",
        }
    )
    if db.get("PASSWORD"):
        env["PGPASSWORD"] = db["PASSWORD"]
    return env


def _figures(dbname: str) -> dict[str, tuple]:
    env = _pg_env()
    with psycopg.connect(
        host=env["PGHOST"],
        port=env["PGPORT"],
        user=env["PGUSER"],
        password=env.get("PGPASSWORD"),
        dbname=dbname,
        autocommit=True,
    ) as conn:
        out = {name: conn.execute(sql).fetchone() for name, sql in CHECKS.items()}
        out["newest audit row"] = conn.execute(
            "SELECT id, action, source_state, target_state, reason, changes::text "
            "FROM casework_auditevent ORDER BY id DESC LIMIT 1"
        ).fetchone()
        return out


def _configured_name() -> str:
    """The database DATABASE_URL names (not pytest's test_ copy): wt_x -> wt_x_restore."""
    import dj_database_url

    return dj_database_url.parse(os.environ["DATABASE_URL"])["NAME"]


def _run(*args: str) -> None:
    subprocess.run(args, env=_pg_env(), check=True, capture_output=True, timeout=120)


@pytest.mark.django_db(transaction=True)
def test_dump_restores_into_a_fresh_database_with_every_case_and_audit_row(
    tmp_path, unit, caseworker, decider
):
    for tool in ("pg_dump", "pg_restore", "createdb", "dropdb"):
        if not shutil.which(tool):
            pytest.fail(f"{tool} is not installed (Debian package postgresql-client)")
    for i in range(30):
        app = ApplicationFactory(
            state=State.EXAMINED,
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=timezone.now(),
        )
        if i % 3:
            application_decide(
                actor=decider,
                application=app,
                outcome="refugee_convention" if i % 2 else "rejected",
                grounds="Assessed; «quoted» and ünïcode survive.",
            )
    source = connection.settings_dict["NAME"]
    # one name per pytest-xdist worker, as pytest-django names the test databases
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    copy = f"{_configured_name()}_restore{f'_{worker}' if worker else ''}"[:63]
    dump = tmp_path / "casework.dump"
    before = _figures(source)
    assert before["cases"][0] == 30 and before["decisions"][0] == 20 and before["audit"][0] >= 20

    _run("pg_dump", "--format=custom", "--no-owner", "--file", str(dump), source)
    _run("dropdb", "--if-exists", copy)
    _run("createdb", copy)
    try:
        _run("pg_restore", "--no-owner", "--exit-on-error", "--dbname", copy, str(dump))
        after = _figures(copy)
    finally:
        _run("dropdb", "--if-exists", copy)

    assert after == before
    print(f"\nrestored: {', '.join(f'{k} {v[0]}' for k, v in before.items() if k in CHECKS)}")
