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

_residence_providers: dict[str, ResidenceProvider] = {}


def register_residence_provider(key: str, provider: ResidenceProvider) -> ResidenceProvider:
    """Add (or replace, by ``key``) a source of "where you live" lines."""
    _residence_providers[key] = provider
    return provider


def unregister_residence_provider(key: str) -> None:
    _residence_providers.pop(key, None)


def residence_lines(*, application: Any) -> list[str]:
    """Every registered provider's lines for this application, in registration order."""
    lines: list[str] = []
    for key, provider in list(_residence_providers.items()):
        try:
            lines.extend(str(line) for line in provider(application=application) or [])
        except Exception:  # one app's bug must not take the applicant's page down
            log.exception("status residence provider %s failed", key)
    return lines
