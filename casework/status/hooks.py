"""Hooks through which other apps add lines to the applicant's status page.

``casework`` never imports ``reception``; the reception app tells applicants where they live
by registering a provider here from its ``AppConfig.ready``::

    from casework.status.hooks import register_residence_provider

    def residence_lines(*, application):
        placement = current_placement(person=application.person)  # reception's selector
        if placement is None:
            return []
        return [
            _("You live at %(centre)s, %(municipality)s.") % {...},
            _("Your contact person there can help you with questions about your case."),
        ]

    register_residence_provider("reception.placement", residence_lines)

A provider is called with ``application=`` (the applicant's own, already authenticated by
reference and birth date) while the applicant's language is active, and returns plain,
already translated strings (msgids in the project's one catalogue, ``locale/``).
It must return only what the applicant may see about themselves: a centre's name, address
and opening hours, never other residents or staff notes. A provider that fails is logged and
skipped: the status page never breaks because of it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

log = logging.getLogger(__name__)

ResidenceProvider = Callable[..., Iterable[Any]]
# (connection, SQL expression of the applicant's person id) -> a SELECT of at most one row,
# without parameters, and how many columns it has.
ResidenceStatement = Callable[[Any, str], str]

_residence_providers: dict[str, ResidenceProvider] = {}
_residence_statements: dict[str, tuple[ResidenceStatement, int]] = {}


def register_residence_provider(
    key: str,
    provider: ResidenceProvider,
    *,
    statement: ResidenceStatement | None = None,
    columns: int = 0,
) -> ResidenceProvider:
    """Add (or replace, by ``key``) a source of "where you live" lines.

    With ``statement`` (a ``SELECT`` of ``columns`` columns and at most one row for the person
    given as an SQL expression), the status lookup reads that row in its own statement on
    PostgreSQL (``residence_statements``), and the provider is called with ``row=`` (the
    row, or ``None`` when it found nothing) instead of asking the database again: one round
    trip fewer for every applicant who finds their case. Without a row (SQLite, a caller's
    transaction) it is called without ``row``.
    """
    _residence_providers[key] = provider
    if statement is not None:
        _residence_statements[key] = (statement, columns)
    else:
        _residence_statements.pop(key, None)
    return provider


def unregister_residence_provider(key: str) -> None:
    _residence_providers.pop(key, None)
    _residence_statements.pop(key, None)


def residence_statements() -> tuple[tuple[str, ResidenceStatement, int], ...]:
    """The registered providers' statements: (key, statement, columns), in order."""
    return tuple((key, sql, n) for key, (sql, n) in _residence_statements.items())


def residence_lines(*, application: Any) -> list[str]:
    """Every registered provider's lines for this application, in registration order."""
    lines: list[str] = []
    rows = getattr(application, "status_residence_rows", None) or {}
    for key, provider in list(_residence_providers.items()):
        try:
            if key in rows:  # read by the lookup's own statement
                found = provider(application=application, row=rows[key])
            else:
                found = provider(application=application)
            lines.extend(str(line) for line in found or [])
        except Exception:  # one app's bug must not take the applicant's page down
            log.exception("status residence provider %s failed", key)
    return lines
