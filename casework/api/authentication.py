"""Token authentication whose staff tokens expire, so a leaked staff token does not live forever.

Machine clients (a police registration system's service account, not ``is_staff``) keep
their token until it is revoked with ``DELETE /api/v1/auth/token/``; a staff member's token
lapses ``API_STAFF_TOKEN_TTL`` seconds after it was issued (0 turns expiry off), and the next
``POST /api/v1/auth/token/`` issues a fresh one.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions
from rest_framework.authentication import TokenAuthentication


def token_expired(token: Any) -> bool:
    ttl = int(getattr(settings, "API_STAFF_TOKEN_TTL", 0) or 0)
    if not ttl or not token.user.is_staff:
        return False
    return token.created < timezone.now() - dt.timedelta(seconds=ttl)


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; refuses a staff token older than ``API_STAFF_TOKEN_TTL``."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token expired. Request a new one."))
        return user, token
