"""The filesystem broker (the default without ``CELERY_BROKER_URL``) writes only under VAR_DIR.

kombu's filesystem transport puts its folders relative to the working directory unless told
otherwise (``control/``, ``data_in/``, ``data_out/``, ``processed/``); a worker once started at
the repository root committed ``control/celery.exchange`` by accident. Here a worker with the
embedded beat runs the way ``make run`` starts it, from an empty working directory, and a
client sends a task and pings it: nothing may appear in that directory.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))

CLIENT = """
import json
import django
django.setup()
from django.conf import settings
from config.celery import app

app.send_task("tests.no_such_task")
replies = app.control.ping(timeout=10, limit=1)
options = settings.CELERY_BROKER_TRANSPORT_OPTIONS
print(json.dumps({
    "replies": replies,
    "paths": [v for k, v in options.items() if k.endswith("folder") or k.startswith("data_")]
    + [settings.CELERY_BEAT_SCHEDULE_FILENAME],
}))
"""


def _environment(var_dir: Path) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL"}}
    return {
        **keep,
        "CELERY_BROKER_URL": "filesystem://",
        "VAR_DIR": str(var_dir),
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "PYTHONPATH": str(ROOT),
    }


def _files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_a_filesystem_broker_run_writes_nothing_outside_var_dir(tmp_path):
    cwd, var_dir = tmp_path / "cwd", tmp_path / "var"
    cwd.mkdir()
    env = _environment(var_dir)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        worker = subprocess.Popen(
            [CELERY, "-A", "config", "worker", "--beat", "--pool=solo", "--loglevel=INFO",
             "--without-gossip", "--without-mingle", "-n", "broker-files@%h"],
            cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
    try:
        deadline = time.monotonic() + 90
        while "ready." not in log.read_text() and worker.poll() is None:
            assert time.monotonic() < deadline, log.read_text()[-3000:]
            time.sleep(0.2)
        assert worker.poll() is None, log.read_text()[-3000:]
        client = subprocess.run(
            [sys.executable, "-c", CLIENT],
            cwd=cwd, env=env, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
        assert client.returncode == 0, client.stderr[-3000:]
        result = json.loads(client.stdout.strip().splitlines()[-1])
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=30)

    assert _files(cwd) == []
    assert [reply for reply in result["replies"] if "broker-files@" in next(iter(reply))]
    assert all(Path(path).is_relative_to(var_dir) for path in result["paths"]), result["paths"]
    # The worker and the ping went through the control folder, and it is VAR_DIR's.
    assert {"celery.exchange", "celery.pidbox.exchange"} <= {
        p.name for p in (var_dir / "broker" / "control").iterdir()
    }
