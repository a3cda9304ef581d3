"""The database session store, with a lost database reported as such.

Django's ``db`` store turns *any* ``DatabaseError`` while saving a session into
``UpdateError``, which ``SessionMiddleware`` answers with 400 "session interrupted" as if the
user had logged out in another tab. When the database itself is unreachable, the truth is a
503 (and ``casework.middleware.server_error`` gives one), so here a connection failure is
re-raised as what it is. Found by tests/reliability/test_database_outage.py.
"""

from __future__ import annotations

from django.contrib.sessions.backends import db
from django.contrib.sessions.backends.base import UpdateError
from django.db import InterfaceError, OperationalError


class SessionStore(db.SessionStore):
    def save(self, must_create: bool = False) -> None:
        try:
            super().save(must_create=must_create)
        except UpdateError as exc:
            cause = exc.__context__
            if isinstance(cause, OperationalError | InterfaceError):
                raise cause from None
            raise
