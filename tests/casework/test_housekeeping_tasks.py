"""Daily housekeeping on beat: expired idempotency keys and old status-page lookups go."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.api.tasks import purge_idempotency_keys
from casework.models import IdempotencyKey, StatusLookup
from casework.status.tasks import purge_status_lookups
from config.celery import _beat_schedule, app
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_beat_runs_both_purges_daily():
    schedule = {entry["task"]: entry for entry in _beat_schedule().values()}
    for name in ("casework.tasks.purge_idempotency_keys", "casework.tasks.purge_status_lookups"):
        assert name in app.tasks  # the worker knows the task the schedule names
        assert schedule[name]["schedule"] == 24 * 3600


def test_purge_idempotency_keys_task_drops_only_expired_keys(settings):
    settings.API_IDEMPOTENCY_TTL = 48 * 3600
    user = UserFactory()
    old = IdempotencyKey.objects.create(
        user=user, key="old", method="POST", path="/api/v1/people/", request_hash="x"
    )
    IdempotencyKey.objects.filter(pk=old.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=49)
    )
    IdempotencyKey.objects.create(
        user=user, key="fresh", method="POST", path="/api/v1/people/", request_hash="y"
    )
    result = purge_idempotency_keys.apply()
    assert result.successful() and result.result == 1
    assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["fresh"]


def test_purge_status_lookups_task_keeps_90_days():
    now = timezone.now()
    for days in (91, 89, 0):
        StatusLookup.objects.create(
            at=now - dt.timedelta(days=days), client_network="192.0.2.0/24", outcome="found"
        )
    result = purge_status_lookups.apply()
    assert result.successful() and result.result == 1
    assert StatusLookup.objects.count() == 2
    assert not StatusLookup.objects.filter(at__lt=now - dt.timedelta(days=90)).exists()


def test_services_find_every_task_by_name_in_a_fresh_process(tmp_path):
    """Services enqueue tasks by name (a task module imports its service, never the reverse).
    A web process or a command has imported no task module yet: the name must still resolve,
    or an on-commit enqueue fails and the work waits for the next sweep."""
    import subprocess
    import sys
    from pathlib import Path

    names = [
        "casework.tasks.deliver_reminder",
        "casework.tasks.run_import_job",
        "casework.tasks.sweep_deadlines",
        "casework.tasks.anonymise_due",
        "casework.tasks.purge_idempotency_keys",
        "casework.tasks.purge_status_lookups",
        "integration.tasks.expire_work_permits",
    ]
    code = (
        "from casework.core.queue import task_named\n"
        f"for name in {names!r}:\n"
        "    print(task_named(name).name)\n"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "VAR_DIR": str(tmp_path)},
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == names
