"""The database session store, with a lost database reported as such.

Django's ``db`` store turns *any* ``DatabaseError`` while saving a session into
``UpdateError``, which ``SessionMiddleware`` answers with 400 "session interrupted" as if the
user had logged out in another tab. When the database itself is unreachable, the truth is a
503 (and ``casework.core.middleware.server_error`` gives one), so here a connection failure is
re-raised as what it is. Found by tests/reliability/test_database_outage.py.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            cause = exc.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise


RENEWED_KEY = "_casework_renewed"
RENEW_SECONDS = 60


class IdleExpiryMiddleware:
    """Renew a signed-in session's idle expiry at most once a minute, not on every request.

    ``SESSION_SAVE_EVERY_REQUEST`` kept the 30-minute idle limit by writing the session row
    (an ``UPDATE`` and a commit) on every admin page and every session-authenticated API call;
    profiling the admin counted it on each. Here the session is marked modified (so
    ``SessionMiddleware`` saves it with a fresh expiry) only when it was last renewed a minute
    ago or more: a session still expires between 29 and 30 idle minutes after its last use,
    never later. Sessions without data (an applicant on the status page) are never written.
    Goes after ``SessionMiddleware`` in ``MIDDLEWARE``.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        session = getattr(request, "session", None)
        # Only a session this request used (the signed-in user was looked up): reading one
        # that nothing asked for would cost the query this is here to save.
        if session is None or not session.accessed or session.is_empty() or not session.keys():
            return response
        now = int(time.time())
        renewed = session.get(RENEWED_KEY)
        if not isinstance(renewed, int) or now - renewed >= RENEW_SECONDS:
            session[RENEWED_KEY] = now
        return response
