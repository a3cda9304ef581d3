"""A database that refuses connections gives a clean 503, never a stack trace; the API
answers hostile bodies and its own failures in JSON."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable
from http import HTTPStatus

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
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


# --- The API's limits on a request, and its errors in JSON ------------------------------------

# A JSON string (with its escapes), removed before brackets are counted.
_JSON_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_BRACKETS = re.compile(rb"[\[\]{}]")
# The routes that take a file (a case document, a new version of one): their multipart body
# may be as large as the document limit.
UPLOAD_PATH = re.compile(r"/applications/\d+/documents/(\d+/versions/)?$")


def json_depth(body: bytes) -> int:
    """How deeply ``body``'s arrays and objects nest, counted without parsing it.

    Python's ``json`` parser recurses once a level: about a thousand ``[`` (2 KB) exhausted
    the interpreter's stack and every JSON endpoint answered 500. Counting first refuses such
    a body before any parser sees it, in one pass over the bytes.
    """
    depth = deepest = 0
    for bracket in _BRACKETS.findall(_JSON_STRING.sub(b'""', body)):
        if bracket in b"[{":
            depth += 1
            deepest = max(deepest, depth)
        else:
            depth -= 1
    return deepest


def api_error(status: int, detail: str, **headers: str) -> JsonResponse:
    """An answer in the API's error format: ``{"detail": "…"}``."""
    response = JsonResponse({"detail": detail}, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _is_api(request: HttpRequest) -> bool:
    return request.path.startswith("/api/")


class ApiRequestLimitsMiddleware:
    """Every API endpoint, anonymous ones too, refuses what no client needs to send and
    answers every error in JSON.

    - a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE`` (2.5 MB; the largest API request, a person
      with all their fields, is a few KB), or a ``multipart/form-data`` upload to a case
      document route (``UPLOAD_PATH``) over ``API_MAX_UPLOAD_BYTES``: **413**, decided from
      ``Content-Length`` before a byte is read;
    - a JSON body nested deeper than ``API_MAX_JSON_DEPTH`` (32; the schema's deepest request
      is 3): **400**, before the parser recurses;
    - an error raised in a view that nothing else handled: **500** ``{"detail": …}``, logged
      as Django logs it, never Django's HTML page (or, under ``DEBUG``, its traceback);
    - any other error answered in HTML on an API path (Django's own 400, 403, 413 or 500
      pages, raised below this middleware): the same status, in JSON.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not _is_api(request):
            return self.get_response(request)
        refused = self.refuse_body(request)
        if refused is not None:
            return refused
        response = self.get_response(request)
        if response.status_code >= 400 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            replaced = api_error(response.status_code, HTTPStatus(response.status_code).phrase)
            for header in ("Retry-After", "Allow", "WWW-Authenticate"):
                if response.has_header(header):
                    replaced[header] = response[header]
            return replaced
        return response

    @staticmethod
    def refuse_body(request: HttpRequest) -> HttpResponse | None:
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        if request.META.get("CONTENT_TYPE", "").startswith(
            "multipart/form-data"
        ) and UPLOAD_PATH.search(request.path):
            # A document's upload (the case file): the file streams to disk as it is parsed,
            # so the limit is the document's size limit and a little for the other fields.
            limit = settings.API_MAX_UPLOAD_BYTES
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return api_error(400, "Content-Length is not a number.")
        if limit is not None and length > limit:
            return api_error(413, f"The request body is larger than {limit} bytes.")
        if length and "json" in request.META.get("CONTENT_TYPE", ""):
            try:
                body = request.body
            except RequestDataTooBig:
                return api_error(413, f"The request body is larger than {limit} bytes.")
            if json_depth(body) > settings.API_MAX_JSON_DEPTH:
                return api_error(
                    400,
                    f"JSON parse error - nested more than {settings.API_MAX_JSON_DEPTH} levels.",
                )
        return None

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not _is_api(request) or isinstance(exception, OperationalError | InterfaceError):
            return None  # a lost database: DatabaseUnavailableMiddleware's 503
        if isinstance(exception, RequestDataTooBig):
            return api_error(413, "The request body is too large.")
        logging.getLogger("django.request").error(
            "Internal Server Error: %s",
            request.path,
            exc_info=exception,
            extra={"status_code": 500, "request": request},
        )
        return api_error(500, "A server error occurred. It has been logged.")
