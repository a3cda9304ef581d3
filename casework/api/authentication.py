"""Token authentication whose staff tokens expire, so a leaked staff token does not live forever.

Machine clients (a police registration system's service account, not ``is_staff``) keep
their token until it is revoked with ``DELETE /api/v1/auth/token/``; a staff member's token
lapses ``API_STAFF_TOKEN_TTL`` seconds after it was issued (0 turns expiry off), and the next
``POST /api/v1/auth/token/`` issues a fresh one.

On PostgreSQL the token's statement also reads the user's roles, unit, language and model
permissions (``casework.staff.roles.with_roles_and_permissions``), which every API view asks
next: one round trip where there were two. Django builds that statement once per process and
database (``_token_statement``): building it, with its three array subqueries, took longer than
the round trip it saves (about 6 ms a request on the shared machine); only the key varies.
"""

from __future__ import annotations

import datetime as dt
import functools
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
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


_KEY = "casework-token-key-placeholder"  # stands for the key while the statement is built
_EXTRA = ("_roles", "_unit", "_language", "_group_perms", "_user_perms")


@functools.cache
def _token_statement(
    model: Any, alias: str
) -> tuple[str, tuple[Any, ...], int, list[str], list[str]]:
    """The token-with-roles statement for ``alias``, built by Django once: its SQL, its
    parameters, where the key goes among them, and the token's and the user's columns in the
    order the statement reads them."""
    token_fields = [f.attname for f in model._meta.concrete_fields]
    user_fields = [f.attname for f in get_user_model()._meta.concrete_fields]
    queryset = with_roles_and_permissions(model._default_manager.using(alias), "user")
    sql, params = (
        queryset.filter(key=_KEY)
        .order_by()
        .values_list(*token_fields, *(f"user__{f}" for f in user_fields), *_EXTRA)
        .query.sql_with_params()
    )
    return sql, params, params.index(_KEY), token_fields, user_fields


class ExpiringTokenAuthentication(TokenAuthentication):
    """``Authorization: Token …``; refuses a staff token older than ``API_STAFF_TOKEN_TTL``."""

    def authenticate_credentials(self, key: str) -> tuple[Any, Any]:
        model = self.get_model()
        alias = router.db_for_read(model)
        token: Any = None
        if connections[alias].vendor == "postgresql":
            token = self._token_with_roles(model, alias, key)
        if token is not None and token.user.is_active:
            user = token.user
            set_roles_and_permissions(user, token)
        else:  # elsewhere, or refused: DRF's own statement, checks and words
            user, token = super().authenticate_credentials(key)
        if token_expired(token):
            raise exceptions.AuthenticationFailed(_("Token expired. Request a new one."))
        return user, token

    @staticmethod
    def _token_with_roles(model: Any, alias: str, key: str) -> Any:
        """The token for ``key`` with its user, and the roles and permissions as the
        annotations ``set_roles_and_permissions`` reads; None when no token has that key."""
        sql, params, at, token_fields, user_fields = _token_statement(model, alias)
        with connections[alias].cursor() as cursor:
            cursor.execute(sql, (*params[:at], key, *params[at + 1 :]))
            row = cursor.fetchone()
        if row is None:
            return None
        n, m = len(token_fields), len(token_fields) + len(user_fields)
        token = model.from_db(alias, token_fields, row[:n])
        token.user = get_user_model().from_db(alias, user_fields, row[n:m])
        for name, value in zip(_EXTRA, row[m:], strict=True):
            setattr(token, name, value)
        return token
