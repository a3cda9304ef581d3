"""``make run`` on a fresh clone: its steps (the Makefile's ``run`` recipe, read from the
Makefile) in an empty VAR_DIR on the zero-set-up default, then ``scripts/run.sh`` until the
web server answers and a few reminder sweeps have run. Everything it prints is read: it shows
the demo data's progress, and no line warns or says something is unavailable.

The sweeps published their reminders before the filesystem broker's folders existed, and
said "broker unavailable" a dozen times; kombu warned of a missing host name, and the
worker logged every mail it printed as a WARNING.
"""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(__file__).resolve().parents[2]
# A root worker is told it should not be one (Celery's SecurityWarning), whatever we do: our
# CI runs as root, a newcomer does not.
SWEPT = re.compile(r"Task casework\.tasks\.sweep_deadlines\[[^]]*\] succeeded")
ROOT_ONLY = re.compile(
    r"[^\n]*SecurityWarning: You're running the worker with superuser privileges.*?"
    r"_warn_or_raise_security_error\([^\n]*\n",
    re.S,
)

pytestmark = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3",
    reason="a first start uses the zero-set-up default (SQLite, filesystem broker); "
    "CI's SQLite pass runs this",
)


def _make_run_steps() -> list[list[str]]:
    """The ``manage.py`` commands of the Makefile's ``run`` recipe, in order."""
    recipe = re.search(r"^run:.*\n((?:\t.*\n)+)", (ROOT / "Makefile").read_text(), re.M)
    assert recipe is not None
    steps = []
    for line in recipe.group(1).splitlines():
        words = line.strip().split()
        if words[:2] == ["$(PY)", "manage.py"]:
            steps.append([sys.executable, "manage.py", *words[2:]])
    return steps


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _offending(output: str) -> list[str]:
    """The lines that warn, or tell of an error or of something unavailable."""
    if os.getuid() == 0:
        output = ROOT_ONLY.sub("", output)
    return [
        line
        for line in output.splitlines()
        if re.search(r"warn|\berror\b|unavailable|traceback", line, re.I)
    ]


def test_a_first_start_shows_its_progress_and_warns_of_nothing(tmp_path: Path) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    port = _free_port()
    env.update(
        VAR_DIR=str(tmp_path / "var"), PORT=str(port), SWEEP_INTERVAL_SECONDS="2", TERM="dumb"
    )
    steps = _make_run_steps()
    assert [s[2] for s in steps] == [
        "migrate", "compile_translations", "install_letter_fonts", "seed_demo",
        "seed_reception_demo",
    ]  # fmt: skip
    output = ""
    for step in steps:
        if step[2] == "seed_demo":
            step += ["--scale", "0.01"]  # 391 cases, the same code as the default's 39,055
        done = subprocess.run(
            step, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
        )
        output += done.stdout + done.stderr
        assert done.returncode == 0, done.stdout + done.stderr
    assert "demo data: writing 391 cases" in output
    assert "demo data: 391 of 391 cases (100 %" in output

    log = tmp_path / "run.log"
    with log.open("w") as out:
        run = subprocess.Popen(
            ["bash", "scripts/run.sh"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 120
        answered = False
        while time.monotonic() < deadline and not answered:
            time.sleep(0.5)
            try:
                # The status page, not /healthz: with sweeps every 2 s its limit (twice that)
                # was long past while the demo data was written.
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status/", timeout=5) as r:
                    answered = r.status == 200
            except OSError:
                continue
        assert answered, log.read_text()
        while time.monotonic() < deadline and len(SWEPT.findall(log.read_text())) < 2:
            time.sleep(0.5)  # two sweeps done, the demo's reminders queued and delivered
    finally:
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C, as a person stops it
        try:
            run.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(run.pid, signal.SIGKILL)
            run.wait()
    started = log.read_text()
    assert "Asylum casework is running" in started
    assert "celery@" in started and "ready." in started
    assert len(SWEPT.findall(started)) >= 2, started
    assert _offending(output + started) == [], output + started
