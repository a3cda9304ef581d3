"""Several gunicorn workers, one answer: with ``PROMETHEUS_MULTIPROC_DIR`` and
``config/gunicorn.py`` a scrape of whichever worker is asked counts every worker's requests,
and a restart starts from zero (the folder is emptied when gunicorn starts); with
``LOG_FORMAT=json`` gunicorn's own lines are JSON."""

from __future__ import annotations

import json
import os

import requests

from tests.reliability.conftest import Gunicorn

TOKEN = "scraper-token-0123456789abcdef"


def _count(text: str) -> float:
    for line in text.splitlines():
        if line.startswith("casework_http_request_duration_seconds_count{") and (
            'view="status"' in line and 'method="GET"' in line
        ):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_every_worker_counts_into_one_scrape(tmp_path):
    folder = tmp_path / "metrics"
    folder.mkdir()
    (folder / "counter_99999.db").write_bytes(b"left by a previous run")
    (tmp_path / "var").mkdir()
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "PYTEST_ADDOPTS")
    }
    env.update(
        DJANGO_SETTINGS_MODULE="config.settings",
        VAR_DIR=str(tmp_path / "var"),
        DEBUG="0",
        LOG_LEVEL="WARNING",
        METRICS_TOKEN=TOKEN,
        PROMETHEUS_MULTIPROC_DIR=str(folder),
        LOG_FORMAT="json",
    )
    server = Gunicorn(env=env, workers=3, args=("-c", "config/gunicorn.py"))
    server.start()
    try:
        with requests.Session() as session:
            for _ in range(45):
                assert session.get(f"{server.base}/status/", timeout=10).status_code == 200
        scrapes = [
            requests.get(
                f"{server.base}/metrics", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
            )
            for _ in range(6)
        ]
    finally:
        server.stop()
    assert {r.status_code for r in scrapes} == {200}
    # every scrape, whichever worker answered it, counts all 45 (the stale file is gone)
    assert {_count(r.text) for r in scrapes} == {45.0}
    assert not (folder / "counter_99999.db").exists()
    # gunicorn's own lines are JSON too (config/gunicorn.py), like the application's
    lines = [json.loads(line) for line in server.log.read_text().splitlines()]
    booted = [line for line in lines if line["message"].startswith("Booting worker")]
    assert len(booted) == 3 and {line["logger"] for line in booted} == {"gunicorn.error"}
