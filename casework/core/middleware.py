"""A database that refuses connections gives a clean 503, never a stack trace."""

from __future__ import annotations

import logging
import sys
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string
from django.views import defaults

log = logging.getLogger(__name__)


class DatabaseUnavailableMiddleware:
    """Turn a lost database into 503 Service Unavailable with a Retry-After header.

    Anything written in the failed request was inside a transaction that did not commit, so
    nothing is half-saved; the next request reconnects by itself (``CONN_HEALTH_CHECKS``).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        return unavailable_response(request, exception)


def unavailable_response(request: HttpRequest, exception: BaseException) -> HttpResponse:
    """503 with ``Retry-After``: JSON for the API and the health check, a friendly page else."""
    log.error("database unavailable: %s", type(exception).__name__)
    if request.path.startswith("/api/") or request.path == "/healthz":
        response: HttpResponse = JsonResponse(
            {"detail": "The service is temporarily unavailable. Please try again shortly."},
            status=503,
        )
    else:
        response = HttpResponse(
            render_to_string("casework/unavailable.html", request=None), status=503
        )
    response["Retry-After"] = "30"
    return response


def server_error(request: HttpRequest) -> HttpResponse:
    """``handler500``: a database error raised outside a view is still a 503, not a 500.

    ``process_exception`` sees only what views raise. The session is loaded and saved by
    middleware (``SESSION_SAVE_EVERY_REQUEST``), so a staff member with a session cookie hit
    the lost database there, and Django turned that into a 500. Django calls this handler
    while the exception is being handled, so ``sys.exc_info()`` names it.
    """
    exception = sys.exc_info()[1]
    if isinstance(exception, OperationalError | InterfaceError):
        return unavailable_response(request, exception)
    return defaults.server_error(request)


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    """``handler404``: a path under /api/ that names nothing gets JSON, as the API documents.

    A URL that does not match a route (``/api/v1/applications/abc/``) never reaches DRF, and
    Django answered such API clients with an HTML page.
    """
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
