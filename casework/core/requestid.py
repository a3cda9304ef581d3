"""A request id on every log line: the request's, in its response, and in the tasks it queues.

The web process takes the id a proxy sent in ``X-Request-ID`` when it looks like one (letters,
digits and ``._:-``, 8 to 64 characters: it goes into log lines and a response header, so
nothing else is trusted) or makes one, and answers with it in ``X-Request-ID``. A task queued
during the request carries it in a message header (``before_task_publish``), and the worker
puts it back while the task runs (``task_prerun``), so one id follows a transition from the
click to the reminder it sends. A task started by beat has no request: its id is its own
task id. ``RequestIdFilter`` writes the id (and the running task's name and id) into every
log record, plain or JSON.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar, Token
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # imported by config.celery before Django is set up: no Django at import
    from django.http import HttpRequest, HttpResponse

HEADER = "X-Request-ID"
MESSAGE_HEADER = "request_id"
_SAFE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,63}")

_request_id: ContextVar[str | None] = ContextVar("request_id", default=None)
_task: ContextVar[tuple[str, str] | None] = ContextVar("task", default=None)
_task_tokens: dict[str, tuple[Token[str | None], Token[tuple[str, str] | None]]] = {}

log = logging.getLogger("casework.requests")


def view_label(request: HttpRequest) -> str:
    """The resolved view's name (``admin:casework_application_change``, ``status``), never
    the path: a path holds ids (in a log line), and one series per id (in the metrics) would
    grow without bound."""
    match = getattr(request, "resolver_match", None)
    if match is None:
        return "unresolved"
    if match.view_name:
        return match.view_name
    func = match.func
    return f"{func.__module__}.{getattr(func, '__qualname__', type(func).__name__)}"


def current_request_id() -> str | None:
    return _request_id.get()


@contextmanager
def bound(request_id: str) -> Iterator[None]:
    """Within the block, log lines and queued tasks carry ``request_id``."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def safe_request_id(value: object) -> str | None:
    """``value`` if it may be written into a log line and a header as it is, else None."""
    if isinstance(value, str) and _SAFE.fullmatch(value):
        return value
    return None


class RequestIdMiddleware:
    """First of the chain: give the request its id, answer with it, and log one line for the
    request (method, view name, status, milliseconds: no path, which may hold ids, and nothing
    of what was sent)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request_id = safe_request_id(request.headers.get(HEADER)) or uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        began = time.perf_counter()
        # Not reset when the response leaves: the server logs its own line for the request
        # after that (runserver's access line), in this thread. Each request sets its own id,
        # and a server thread serves one request at a time.
        _request_id.set(request_id)
        response = self.get_response(request)
        response[HEADER] = request_id
        elapsed_ms = round((time.perf_counter() - began) * 1000, 1)
        view = view_label(request)
        log.info(
            "%s %s %s %.1fms",
            request.method,
            view,
            response.status_code,
            elapsed_ms,
            extra={
                "view": view,
                "method": request.method,
                "status": response.status_code,
                "duration_ms": elapsed_ms,
            },
        )
        return response


class RequestIdFilter(logging.Filter):
    """Put the current request id (``-`` outside any request or task) and the running task's
    name and id on the record, for the plain and the JSON format alike."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        task = _task.get()
        record.task_name, record.task_id = task if task else ("", "")
        return True


# --- Celery: the id travels in a message header ---------------------------------------------


def stamp_published_task(headers: dict[str, Any] | None = None, **_: Any) -> None:
    """``before_task_publish``: a task queued while serving a request (or running a task)
    carries that id."""
    request_id = _request_id.get()
    if request_id and headers is not None:
        headers.setdefault(MESSAGE_HEADER, request_id)


def bind_task(task_id: str | None = None, task: Any = None, **_: Any) -> None:
    """``task_prerun``: while the task runs, log lines carry the id it was queued with, the
    id of the request around it (a task run in-process), or else its own task id."""
    if task_id is None or task is None:
        return
    request_id = (
        safe_request_id(getattr(task.request, MESSAGE_HEADER, None)) or _request_id.get() or task_id
    )
    _task_tokens[task_id] = (_request_id.set(request_id), _task.set((task.name, task_id)))


def unbind_task(task_id: str | None = None, **_: Any) -> None:
    """``task_postrun``: back to what was current before the task."""
    tokens = _task_tokens.pop(task_id or "", None)
    if tokens is not None:
        _task.reset(tokens[1])
        _request_id.reset(tokens[0])


def connect_celery_signals() -> None:
    from celery.signals import before_task_publish, task_postrun, task_prerun

    before_task_publish.connect(stamp_published_task, dispatch_uid="casework.request_id.publish")
    task_prerun.connect(bind_task, dispatch_uid="casework.request_id.prerun")
    task_postrun.connect(unbind_task, dispatch_uid="casework.request_id.postrun")
