"""Logging filters that keep personal data out of log files.

Django attaches the failing request to ``django.request`` and ``django.security`` records;
some handlers (the admin e-mail handler, error trackers) then print its body, query string
and cookies, and the message itself carries the full path. Asylum files must never leak that
way: this filter removes the request and cuts the query string from the logged path.
"""

from __future__ import annotations

import logging


class DropRequestData(logging.Filter):
    """Keep the record, drop the request it carries and any query string in its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        if hasattr(record, "request"):
            record.request = None
        if isinstance(record.args, tuple):
            record.args = tuple(
                arg.split("?", 1)[0] if isinstance(arg, str) and "?" in arg else arg
                for arg in record.args
            )
        return True
