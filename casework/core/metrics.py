"""The process's own Prometheus metrics: what happens in requests, counted where it happens.

Counters and histograms only, labelled by bounded names (a view's name, never its URL; an
outcome from a fixed list), never by anything that identifies a person or a case. Figures
that live in the database (reminders by state, the queue, the last sweep) are read when the
metrics are scraped (``casework.monitoring.collectors``), so they agree on every process.

With several web processes (gunicorn ``--workers``) each keeps its own counts: set
``PROMETHEUS_MULTIPROC_DIR`` for them (and start gunicorn with ``-c config/gunicorn.py``,
which clears the folder at start and forgets dead workers), and a scrape of any one process
adds up all of them (prometheus-client's multiprocess mode).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from prometheus_client import Counter, Histogram, disable_created_metrics

from casework.core.requestid import view_label

# No ``*_created`` series beside each counter: Prometheus does not need them, and they
# doubled the series per view.
disable_created_metrics()

# Seconds; the status page answers in tens of milliseconds, a large list in under a second.
_LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUEST_SECONDS = Histogram(
    "casework_http_request_duration_seconds",
    "Time from the request reaching Django to its response, by view name and method.",
    ["view", "method"],
    buckets=_LATENCY_BUCKETS,
)
RESPONSES = Counter(
    "casework_http_responses",
    "Responses by view name, method and status class (2xx, 3xx, 4xx, 5xx).",
    ["view", "method", "status"],
)
STATUS_LOOKUPS = Counter(
    "casework_status_lookups",
    "Tries at the public status page, by outcome (found, not_found, invalid, limited).",
    ["outcome"],
)
TRANSITIONS_REFUSED = Counter(
    "casework_transitions_refused",
    "Transitions refused by the transition service, by record, transition and reason "
    "(permission, conflict: wrong state or stale version, unmet: a legal condition, invalid: "
    "the input).",
    ["record", "transition", "reason"],
)
LOGIN_FAILURES = Counter(
    "casework_login_failures",
    "Failed sign-ins (wrong password, unknown user, locked out), admin and API alike.",
)


class RequestMetricsMiddleware:
    """Count every response and time it, by view name (first in the chain but the request
    id, so the time covers the other middleware too)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        began = time.perf_counter()
        response = self.get_response(request)
        elapsed = time.perf_counter() - began
        view = view_label(request)
        method = request.method if request.method in _METHODS else "other"
        REQUEST_SECONDS.labels(view=view, method=method).observe(elapsed)
        RESPONSES.labels(view=view, method=method, status=f"{response.status_code // 100}xx").inc()
        return response


def count_login_failure(**_: object) -> None:
    """``user_login_failed`` receiver: one more failed sign-in (no name, no address)."""
    LOGIN_FAILURES.inc()
