"""The foundation: settings, health check, roles, demo data, the pages a newcomer opens."""

from __future__ import annotations

import importlib.metadata
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management import call_command

from casework.core.heartbeats import SWEEP, WAITING_FIGURES, heartbeat_record
from casework.models import Application, Person
from casework.staff.choices import Role

ROOT = Path(__file__).resolve().parent.parent


def run_python(code: str, **env: str) -> subprocess.CompletedProcess:
    full_env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=full_env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_django_fsm_is_not_installed_beside_django_fsm_2():
    """Both ship the module django_fsm; the deprecated one would silently replace ours."""
    assert importlib.metadata.distribution("django-fsm-2")
    with pytest.raises(importlib.metadata.PackageNotFoundError):
        importlib.metadata.distribution("django-fsm")


def test_production_refuses_to_start_without_secret_key_and_hosts():
    result = run_python(
        "import django; django.setup()", DJANGO_ENV="production", SECRET_KEY="", ALLOWED_HOSTS=""
    )
    assert result.returncode != 0
    assert "SECRET_KEY and ALLOWED_HOSTS" in result.stderr


def test_production_settings_pass_check_deploy_without_warnings():
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env={
            **os.environ,
            "DJANGO_ENV": "production",
            "SECRET_KEY": "x" * 20 + "production-secret-key-for-the-check-0123456789",
            "ALLOWED_HOSTS": "casework.example.org",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


@pytest.mark.django_db
def test_healthz_reports_database_and_broker(client):
    for job in (SWEEP, WAITING_FIGURES):  # beat is running (tests/monitoring: when it is not)
        heartbeat_record(job=job, duration_seconds=0.1, rows={})
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["database"]["status"] == "ok"
    assert "status" in body["broker"]


def test_healthz_is_503_when_the_database_is_unreachable():
    """A real unreachable PostgreSQL (nothing listens on port 1): 503, JSON, no traceback."""
    code = (
        "import django, json; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(json.dumps({'status': r.status_code, 'body': r.json()}))"
    )
    result = run_python(
        code, DATABASE_URL="postgres://postgres@127.0.0.1:1/none", DB_CONNECT_TIMEOUT="1"
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout.strip().splitlines()[-1])
    assert out["status"] == 503
    assert out["body"]["database"]["status"] == "unreachable"


@pytest.mark.django_db
def test_every_role_is_a_group_created_by_migration():
    names = set(Group.objects.values_list("name", flat=True))
    assert {r.value for r in Role} <= names
    caseworker = Group.objects.get(name=Role.CASEWORKER)
    codenames = set(caseworker.permissions.values_list("codename", flat=True))
    assert "view_application" in codenames
    # transition permissions never come from a group grant (object rules would be bypassed)
    assert "decide_application" not in codenames


@pytest.mark.django_db
def test_seed_demo_is_idempotent(settings):
    # A database without the role fixtures' staff (tests/conftest.py), who share the demo
    # users' names: seed_demo creates its users, and never resets an existing one's password.
    get_user_model().objects.all().delete()
    settings.DEMO_PASSWORD = "Demo-password-for-tests"
    call_command("seed_demo", "--no-bulk")
    counts = (Person.objects.count(), Application.objects.count())
    call_command("seed_demo", "--no-bulk")
    assert (Person.objects.count(), Application.objects.count()) == counts
    from django.contrib.auth import authenticate

    for username in [
        "admin",
        "caseworker",
        "decider",
        "appeals",
        "registrar",
        "reception",
        "integration",
        "auditor",
    ]:
        from django.test import RequestFactory

        user = authenticate(
            RequestFactory().post("/"), username=username, password="Demo-password-for-tests"
        )
        assert user is not None, username


@pytest.mark.django_db
def test_the_pages_a_newcomer_opens_answer(client):
    assert client.get("/admin/login/").status_code == 200
    assert client.get("/status/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
