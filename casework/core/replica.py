"""Reads that may be a little stale, from a PostgreSQL streaming replica when there is one.

With ``DATABASE_REPLICA_URL`` set, ``config/settings.py`` adds the ``replica`` database (a hot
standby fed by PostgreSQL's own streaming replication) and this module's router. It sends
nothing there by itself: a read goes to the replica only where the code says that a few
seconds' staleness is harmless, and everything else stays on the primary, as with one database:

- ``stale_reads(*models)``: inside it the ORM reads those models (every model, if none is
  named) from the replica. The status page's shared figures (``WaitingFigure``, ``QueueDay``,
  recomputed by beat every few minutes anyway) and the statistics tables (counts, cached for
  ten minutes anyway) are read this way;
- ``replica_alias()``: the database such a read should use, for a queryset bound with
  ``.using()`` (the admin's read-only log lists) or a hand-written statement.

Even there the primary answers, so that a stale read never reaches a write path and nobody
misses what they have just done:

- inside a transaction on the primary: a service that locks rows and writes, a transition, the
  writes of a request (and ``transaction.atomic`` anywhere) read what they will write;
- in a request or a Celery task that has already written through the ORM, after that write;
- for ``REPLICA_PIN_SECONDS`` after a request of the same browser wrote (a cookie set by
  ``ReplicaPinMiddleware``): the page a redirect shows after a change shows the change.

Writes that only record that something was read or tried (the access log, the status page's
lookup log, the session, the sign-in lockout's records) pin nothing: otherwise every list page,
which logs its reading, would pin the next one. Sessions and authentication are read outside
``stale_reads`` and so always from the primary. A replica that cannot be reached sends its
reads to the primary too. Without a replica every read goes to the one database, exactly as
before.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.models import Model
from django.http import HttpRequest, HttpResponse

log = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "casework_primary"

# Models whose writes only record a read or a try, never what a page shows back.
UNPINNING = frozenset(
    {
        "sessions.session",
        "casework.accesslog",
        "casework.statuslookup",
        "axes.accessattempt",
        "axes.accessfailurelog",
        "axes.accesslog",
    }
)

# The models (or ``all``) whose reads may come from the replica here; None: none.
_stale: ContextVar[frozenset[type[Model]] | str | None] = ContextVar(
    "casework_stale_reads", default=None
)
# Whether this request or task has written; whether its browser wrote moments ago.
_wrote: ContextVar[bool] = ContextVar("casework_replica_wrote", default=False)
_pinned: ContextVar[bool] = ContextVar("casework_replica_pinned", default=False)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_alias() -> str:
    """The database for a read that may be a few seconds stale: the replica, unless there is
    none, a transaction is open on the primary, this request or task has written, or the
    replica cannot be reached."""
    if not replica_configured() or _wrote.get() or _pinned.get():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    return REPLICA if _reachable() else DEFAULT_DB_ALIAS


_unreachable_until = 0.0


def _reachable() -> bool:
    """Whether this process can read from the replica: a replica that is down (stopped,
    rebuilt, unreachable) must not take the status page or the statistics with it, so its
    reads go to the primary, and the replica is tried again ``REPLICA_RETRY_SECONDS`` later
    (in between, no request waits for its connection to time out)."""
    global _unreachable_until
    if time.monotonic() < _unreachable_until:
        return False
    try:
        connections[REPLICA].ensure_connection()
    except DatabaseError as exc:
        retry = int(getattr(settings, "REPLICA_RETRY_SECONDS", 30))
        _unreachable_until = time.monotonic() + retry
        log.warning("replica unreachable (%s): reading from the primary", type(exc).__name__)
        return False
    return True


@contextmanager
def stale_reads(*models: type[Model]) -> Iterator[None]:
    """Let the ORM read ``models`` (every model, if none is named) from the replica here.

    Only for reads whose answer may lag the primary by the replica's replay lag (milliseconds
    when it keeps up, seconds under load) without anyone being misled or anything written
    from them. Writes inside still go to the primary.
    """
    token = _stale.set(frozenset(models) if models else "all")
    try:
        yield
    finally:
        _stale.reset(token)


def wrote() -> None:
    """This request or task has written: it reads from the primary from now on."""
    _wrote.set(True)


def task_starts(**_: Any) -> None:
    """Celery's ``task_prerun``: each task starts as if nothing had been written (a worker
    process runs one task after another, in one context)."""
    _wrote.set(False)
    _pinned.set(False)


class ReplicaRouter:
    """Reads inside ``stale_reads`` to ``replica_alias()``; every write, and every migration,
    to the primary. Both aliases are one database, so relations between their rows are fine."""

    def db_for_read(self, model: type[Model], **hints: Any) -> str:
        stale = _stale.get()
        if stale is None or (stale != "all" and model not in stale):
            # Also for the related rows of a row read from the replica: what a write path
            # is handed is read afresh on the primary.
            return DEFAULT_DB_ALIAS
        return replica_alias()

    def db_for_write(self, model: type[Model], **hints: Any) -> str:
        if model._meta.label_lower not in UNPINNING:
            wrote()
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1: Model, obj2: Model, **hints: Any) -> bool | None:
        aliases = {DEFAULT_DB_ALIAS, REPLICA}
        return True if {obj1._state.db, obj2._state.db} <= aliases else None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return db == DEFAULT_DB_ALIAS if db == REPLICA else None


class ReplicaPinMiddleware:
    """Each request starts unpinned unless its browser wrote moments ago (the cookie); a
    request that wrote pins its browser to the primary for ``REPLICA_PIN_SECONDS``.

    The cookie only chooses which copy of the same data a page reads: it holds nothing, and a
    client that forges it only reads from the primary.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if not replica_configured():
            return self.get_response(request)
        pinned, fresh = _pinned.set(PIN_COOKIE in request.COOKIES), _wrote.set(False)
        try:
            response = self.get_response(request)
            if _wrote.get():
                seconds = int(getattr(settings, "REPLICA_PIN_SECONDS", 10))
                response.set_cookie(
                    PIN_COOKIE,
                    "1",
                    max_age=seconds,
                    secure=settings.SESSION_COOKIE_SECURE,
                    httponly=True,
                    samesite="Lax",
                )
            return response
        finally:
            _wrote.reset(fresh)
            _pinned.reset(pinned)
