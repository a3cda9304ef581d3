"""Token authentication whose staff tokens expire, so a leaked staff token does not live forever.

Machine clients (a police registration system's service account, not ``is_staff``) keep
their token until it is revoked with ``DELETE /api/v1/auth/token/``; a staff member's token
lapses ``API_STAFF_TOKEN_TTL`` seconds after it was issued (0 turns expiry off), and the next
``POST /api/v1/auth/token/`` issues a fresh one.

On PostgreSQL the token's statement also reads the user's roles, unit, language and model
permissions (``casework.staff.roles.with_roles_and_permissions``), which every API view asks
next: one round trip where there were two.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.db import connections, router
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication

from casework.staff.roles import set_roles_and_permissions, with_roles_and_permissions


def token_expired(token: Any) -> bool:
    ttl = int(getattr(settings, "API_STAFF_TOKEN_TTL", 0) or 0)
    if not ttl or not token.user.is_staff:
        return False
    return token.created < timezone.now() - dt.timedelta(seconds=ttl)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; refuses a staff token older than ``API_STAFF_TOKEN_TTL``."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        token: Any = None
        if connections[router.db_for_read(model)].vendor == "postgresql":
            token = (
                with_roles_and_permissions(model._default_manager.select_related("user"), "user")
                .filter(key=key)
                .first()
            )
        if token is not None and token.user.is_active:
            user = token.user
            set_roles_and_permissions(user, token)
        else:  # elsewhere, or refused: DRF's own statement, checks and words
            user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token expired. Request a new one."))
        return user, token
