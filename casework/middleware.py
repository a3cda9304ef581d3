"""A database that refuses connections gives a clean 503, never a stack trace."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string

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
