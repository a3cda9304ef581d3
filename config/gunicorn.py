"""gunicorn settings for several web processes: ``gunicorn -c config/gunicorn.py --workers 4``.

With ``PROMETHEUS_MULTIPROC_DIR`` set, each worker keeps its metrics in files in that folder
and a scrape of any worker adds them all up (prometheus-client's multiprocess mode). The
folder must start empty (old files would count a previous run's requests again), and a dead
worker's live figures must be dropped; these two hooks do both. Everything else stays on the
command line (``--workers``, ``--bind``, ``--timeout``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path
from typing import Any

wsgi_app = "config.wsgi"

# LOG_FORMAT=json: gunicorn's own lines (start, workers booting or dying) as JSON too, with
# the same formatter as the application's.
if os.environ.get("LOG_FORMAT") == "json":
    logconfig_dict = {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": "casework.core.requestid.RequestIdFilter"}},
        "formatters": {"json": {"()": "casework.core.logjson.AllowListJsonFormatter"}},
        "handlers": {
            "error_console": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": "INFO", "handlers": []},
        "loggers": {
            "gunicorn.error": {"level": "INFO", "handlers": ["error_console"], "propagate": False}
        },
    }


def on_starting(server: Any) -> None:
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
        Path(folder).mkdir(parents=True, exist_ok=True)


def child_exit(server: Any, worker: Any) -> None:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
