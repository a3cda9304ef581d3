"""Who acts and who asks: the user types the services, selectors, rules and views take.

Staff sign in with Django's own ``User`` (``AUTH_USER_MODEL`` is not swapped). A request's
user is that, or ``AnonymousUser`` before sign-in; the rules and scopes answer for both (an
anonymous user has no role and sees nothing), and the services refuse whoever lacks the
permission, so the faces pass ``request.user`` as it is.
"""

from __future__ import annotations

from typing import TypeAlias

from django.contrib.auth.models import AnonymousUser, User
from django.http import HttpRequest

AnyUser: TypeAlias = User | AnonymousUser
"""Whoever a request comes from, signed in or not."""


class StaffRequest(HttpRequest):
    """A request behind the admin's sign-in (``staff_member_required``): a signed-in user.
    For annotations only; Django builds the request."""

    user: User
