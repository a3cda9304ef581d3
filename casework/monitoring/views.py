"""The operators' endpoints: ``/healthz`` (public, for load balancers and alerting) and
``/metrics`` (Prometheus, for the scraper holding ``METRICS_TOKEN`` only)."""

from __future__ import annotations

import hmac

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    generate_latest,
    multiprocess,
)

from casework.monitoring.collectors import OperationsCollector
from casework.monitoring.health import health_report


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database answers and the scheduled work is current; 503 otherwise, with
    what is late in the body (``casework.monitoring.health``)."""
    report = health_report()
    return JsonResponse(report.body, status=200 if report.healthy else 503)


def _authorised(request: HttpRequest) -> bool:
    """Only ``Authorization: Bearer METRICS_TOKEN``: a staff session is not enough (the
    figures say how the service runs, which no caseworker's job needs)."""
    scheme, _sep, given = request.headers.get("Authorization", "").partition(" ")
    token = settings.METRICS_TOKEN
    return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)


@never_cache
@require_GET
def metrics(request: HttpRequest) -> HttpResponse:
    """Prometheus exposition: this process's counters (all processes' with
    ``PROMETHEUS_MULTIPROC_DIR``) and the figures read from the database and broker now."""
    if not settings.METRICS_TOKEN:
        raise Http404
    if not _authorised(request):
        response = HttpResponse("Unauthorised.\n", status=401, content_type="text/plain")
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    if settings.PROMETHEUS_MULTIPROC_DIR:
        processes = CollectorRegistry()
        multiprocess.MultiProcessCollector(processes)
    else:
        processes = REGISTRY
    figures = CollectorRegistry(auto_describe=False)
    figures.register(OperationsCollector())
    body = generate_latest(processes) + generate_latest(figures)
    return HttpResponse(body, content_type=CONTENT_TYPE_LATEST)
