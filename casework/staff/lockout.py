"""Sign-in lockout (django-axes), per address and per account, with notice and unlock.

Two limits, both within ``AXES_COOLOFF_TIME`` (an hour):

- ``AXES_FAILURE_LIMIT`` (5) failures for one account from one address lock that account
  *from that address*: a colleague who mistypes, or one machine guessing, stops there and
  nobody else is affected.
- ``AXES_ACCOUNT_FAILURE_LIMIT`` (20) failures for one account from *any* addresses lock the
  account everywhere: an attacker who rotates addresses (a botnet, a cloud provider's pool)
  gets 20 guesses an hour at a password of 12+ characters (~175,000 a year), instead of 5 per
  address without end.

django-axes counts both (``AXES_LOCKOUT_PARAMETERS = [["ip_address", "username"],
["username"]]``) but compares every count with one limit; ``AccountAndAddressHandler`` gives
the account-wide count its own. The price of a per-account limit is that someone who knows a
username can keep that colleague out for an hour; so the colleague is told by e-mail at once
(``notify_locked_out``, which says neither whether a password was right nor where the tries
came from), and an administrator can unlock the account (``sign_in_unlock``, audited).
A username that belongs to nobody is counted the same way, so a lockout says nothing about
whether an account exists.

The client's address comes from ``RATELIMIT_IP_META_KEY`` (``client_address``), the same
setting the status page's limits read, so the two never disagree about who a client is.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math
from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Max, Sum
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.services import audit_log, audit_subject
from casework.staff.users import AnyUser

log = logging.getLogger(__name__)


def client_address(request: HttpRequest) -> str | None:
    """The client's address from ``RATELIMIT_IP_META_KEY`` (``REMOTE_ADDR`` by default).

    Behind a proxy that appends to ``X-Forwarded-For``, the right-most valid address is the
    one the proxy itself saw (the ones left of it are whatever the client sent); a value
    that is not an address is None (axes then counts the account alone).
    """
    meta_key = getattr(settings, "RATELIMIT_IP_META_KEY", None) or "REMOTE_ADDR"
    raw = str(request.META.get(meta_key, "") or "")
    for part in reversed(raw.split(",")):
        try:
            return str(ipaddress.ip_address(part.strip()))
        except ValueError:
            continue
    return None


def account_failure_limit() -> int:
    return int(getattr(settings, "AXES_ACCOUNT_FAILURE_LIMIT", 20))


class AccountAndAddressHandler(AxesDatabaseHandler):
    """django-axes' database handler with a second limit for the account across addresses,
    and a notice to the account's owner when a lockout begins."""

    def get_failures(self, request: Any, credentials: dict[str, Any] | None = None) -> int:
        """The failures axes compares with ``AXES_FAILURE_LIMIT``: those of this address and
        account, or the limit itself once the account's failures from anywhere reach
        ``AXES_ACCOUNT_FAILURE_LIMIT``."""
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        by_address, by_account = counts[0], counts[-1]
        if by_account >= account_failure_limit():
            return max(by_address, get_failure_limit(request, credentials))
        return int(by_address)

    def user_login_failed(
        self, sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
    ) -> None:
        was_locked = request is not None and self.is_locked(request, credentials)
        super().user_login_failed(sender, credentials, request, **kwargs)
        if request is not None and not was_locked and getattr(request, "axes_locked_out", False):
            username = get_client_username(request, credentials)
            if username:
                notify_locked_out(str(username))


def locked_out_for(request: Any, username: str) -> int | None:
    """Seconds until ``username`` may try again from this request's address, or None when
    not locked. Every failed try during a lockout starts the hour again (axes'
    ``AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT``), so this is counted from the latest."""
    from axes.handlers.proxy import AxesProxyHandler

    credentials = {"username": username}
    if not AxesProxyHandler.is_locked(request, credentials):
        return None
    cool_off = get_cool_off(request) or dt.timedelta(hours=1)
    latest = AccessAttempt.objects.filter(username=username).aggregate(t=Max("attempt_time"))["t"]
    ends = (latest or timezone.now()) + cool_off
    return max(1, math.ceil((ends - timezone.now()).total_seconds()))


def notify_locked_out(username: str) -> None:
    """Tell the account's owner that sign-in was paused, by e-mail, once per lockout.

    The message names no address, no time of a try and no password: only that sign-in was
    paused after repeated unsuccessful attempts, for how long, and what to do. An unknown
    username or an account without an e-mail address gets nothing (and the log says so
    without the name).
    """
    user = User.objects.filter(username=username, is_active=True).exclude(email="").first()
    if user is None:
        log.info("sign-in locked for an account without an e-mail address")
        return
    cool_off = get_cool_off() or dt.timedelta(hours=1)
    minutes = int(cool_off.total_seconds() // 60)
    body = _(
        "Sign-in to your account in the asylum casework system has been paused for "
        "%(minutes)d minutes after several unsuccessful sign-in attempts.\n\n"
        "If these attempts were yours, wait and try again, or ask an administrator to "
        "unlock your account.\n"
        "If they were not yours, tell your security contact: someone may be trying to guess "
        "your password. You do not need to change it because of this message alone.\n"
    ) % {"minutes": minutes}
    try:
        send_mail(
            _("Sign-in to your account was paused"),
            body,
            settings.DEFAULT_FROM_EMAIL,
            [user.email],
        )
    except Exception:  # a mail server down must not turn a failed sign-in into a 500
        log.warning("could not send the lockout notice to user %s", user.pk, exc_info=True)


def sign_in_unlock(*, actor: AnyUser, user: User) -> int:
    """Lift a lockout of ``user`` (from every address) before the hour is over; audited.

    Only someone who may change users (an administrator) may; returns how many lockout
    records were cleared.
    """
    if not actor.has_perm("auth.change_user"):
        raise PermissionDenied(_("You may not unlock staff accounts."))
    with transaction.atomic():
        cleared, _by_model = AccessAttempt.objects.filter(username=user.username).delete()
        audit_log(
            actor=actor,
            action="sign_in_unlocked",
            changes={"subject": audit_subject(user), "cleared": cleared},
        )
    return cleared
