"""Who acts and who asks: the user types the services, selectors, rules and views take.

Staff sign in with Django's own ``User`` (``AUTH_USER_MODEL`` is not swapped). A request's
user is that, or ``AnonymousUser`` before sign-in; the rules and scopes answer for both (an
anonymous user has no role and sees nothing), and the services refuse whoever lacks the
permission, so the faces pass ``request.user`` as it is. The system (a sweep, a reaction to
another record's transition) acts as ``None``.
"""

from __future__ import annotations

from typing import Generic, TypeAlias, TypeVar

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

AnyUser: TypeAlias = User | AnonymousUser
"""Whoever a request comes from, signed in or not."""

_T = TypeVar("_T")


def recorded_user(actor: AnyUser | None) -> User | None:
    """The user a row records as the one who acted (``decided_by``, ``created_by``, an audit
    event's actor): a signed-in user, or None for the system. Only a signed-in user passes a
    service's permission check, so an anonymous one never reaches a write."""
    return actor if isinstance(actor, User) and actor.pk else None


class OnUser(Generic[_T]):
    """A value kept on the user object for the rest of the request: its roles, unit, centres,
    municipalities. Django's ``User`` declares no such attribute; each is named once, with its
    type, and read and written through this.

    On the object, not in a table keyed by user: two objects of one user (two requests, or a
    test that changes a user's groups and loads them again) must not share what one loaded.
    """

    def __init__(self, attribute: str) -> None:
        self.attribute = attribute

    def loaded(self, user: AnyUser) -> bool:
        return hasattr(user, self.attribute)

    def get(self, user: AnyUser) -> _T | None:
        """The value, or None when it was not loaded for this object yet."""
        value: _T | None = getattr(user, self.attribute, None)
        return value

    def set(self, user: AnyUser, value: _T) -> _T:
        setattr(user, self.attribute, value)
        return value


class StaffRequest(HttpRequest):
    """A request behind the admin's sign-in (``staff_member_required``): a signed-in user.
    For annotations only; Django builds the request."""

    user: User
