"""``DATABASE_REPLICA_URL``: without it one database, exactly as before; with it a second
database that Django's tests mirror (no second test database to make)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from django.db import router

from casework.core.replica import replica_alias, stale_reads
from casework.status.models import WaitingFigure

ROOT = Path(__file__).resolve().parents[2]


def test_without_a_replica_every_read_uses_the_one_database():
    assert replica_alias() == "default"
    with stale_reads():
        assert WaitingFigure.objects.all().db == "default"
        assert router.db_for_write(WaitingFigure) == "default"


def _settings_with(**env: str) -> subprocess.CompletedProcess[str]:
    code = (
        "import json, django; django.setup(); from django.conf import settings; "
        "r = settings.DATABASES.get('replica'); "
        "print(json.dumps(r and {k: r[k] for k in ('HOST', 'PORT', 'NAME', 'TEST')}))"
    )
    environment = {k: v for k, v in os.environ.items() if k != "DATABASE_REPLICA_URL"}
    environment |= {"DJANGO_SETTINGS_MODULE": "config.settings", **env}
    return subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True
    )


def test_the_replica_setting_adds_a_database_that_tests_mirror():
    primary = "postgres://postgres@127.0.0.1:5432/casework"
    shown = _settings_with(
        DATABASE_URL=primary, DATABASE_REPLICA_URL="postgres://postgres@10.0.0.2:5433/casework"
    )
    replica = json.loads(shown.stdout)
    assert (replica["HOST"], replica["PORT"], replica["NAME"]) == ("10.0.0.2", 5433, "casework")
    assert replica["TEST"]["MIRROR"] == "default"
    assert json.loads(_settings_with(DATABASE_URL=primary).stdout) is None
    on_sqlite = _settings_with(
        DATABASE_URL="sqlite:////tmp/x.sqlite3", DATABASE_REPLICA_URL="postgres://h/casework"
    )
    assert "DATABASE_REPLICA_URL needs a PostgreSQL DATABASE_URL" in on_sqlite.stderr
