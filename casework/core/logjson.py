"""JSON log lines (``LOG_FORMAT=json``), one object a line, with only the fields listed here.

python-json-logger writes every attribute a record carries; a record may carry anything a
caller passed in ``extra`` (Django's own carry the request). Only the allowed fields below
are written, so nothing reaches a log collector that was not chosen for it; the message is
still stripped of request data by ``casework.core.logfilters.DropRequestData`` first.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from pythonjsonlogger.json import JsonFormatter

FIELDS = ("asctime", "levelname", "name", "message", "request_id", "task_name", "task_id")
RENAMED = {"asctime": "time", "levelname": "level", "name": "logger"}
# What a record may add beyond FIELDS: the request line's figures and a traceback.
EXTRA = frozenset({"view", "method", "status", "duration_ms", "status_code", "exc_info"})
ALLOWED = frozenset(RENAMED.get(f, f) for f in FIELDS) | EXTRA


class AllowListJsonFormatter(JsonFormatter):
    """Only ``ALLOWED`` keys; the task's name and id only on a task's lines."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(list(FIELDS), rename_fields=RENAMED, **kwargs)

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """ISO 8601 in UTC with its offset: a collector merging the lines of machines in
        different time zones (or the night the clocks change) orders them without guessing."""
        return dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds")

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        return {
            key: value
            for key, value in log_data.items()
            if key in ALLOWED and (value != "" or key not in {"task_name", "task_id"})
        }
