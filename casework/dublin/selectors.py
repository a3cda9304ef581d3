"""Reads of Dublin cases, scoped to the user.

- ``requests_visible_to``: auditors and the police (police registration, who carry out the
  transfers) see every request; others the requests of the cases they may see
  (``applications_visible_to``, given by the caller's layer: ``casework.privacy.scopes``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import QuerySet

from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import AnyUser

ALL_REQUESTS_ROLES = (Role.AUDITOR, Role.REGISTRAR)


def sees_all_requests(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False) or has_role(user, *ALL_REQUESTS_ROLES))


def requests_visible_to(
    user: AnyUser, queryset: QuerySet[Any], cases: Callable[[AnyUser], QuerySet[Any]]
) -> QuerySet[Any]:
    """The Dublin requests (or requests to stay) ``user`` may see; ``cases(user)`` are the
    applications they may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if sees_all_requests(user):
        return queryset
    return queryset.filter(application__in=cases(user).values("pk"))


def rules_visible_to(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The rule sets are the law's periods: any signed-in staff user whose role may read
    them (the model permission) sees all."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset
