"""Sign-in lockout per address and account, and per account across addresses.

An attacker who rotates addresses must not get unlimited guesses at one account: 20 wrong
passwords from 5 addresses lock it everywhere. The token endpoint answers a lockout with 429
and ``Retry-After`` (not 400), the account's owner is told by e-mail (without learning whether
any password was right, or where the tries came from), and an administrator can lift the
lockout, which the audit trail records.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail
from django.core.exceptions import PermissionDenied
from rest_framework.test import APIClient

from casework.audit.models import AuditEvent
from casework.staff.lockout import sign_in_unlock
from tests.security.test_staff_auth import PASSWORD

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"
ADDRESSES = [f"203.0.113.{n}" for n in range(1, 6)]


def _token(username: str, password: str, address: str, **meta: str):
    return APIClient().post(
        TOKEN,
        {"username": username, "password": password},
        format="json",
        REMOTE_ADDR=address,
        **meta,
    )


def _spray(username: str, tries: int = 20) -> list[int]:
    """``tries`` wrong passwords, spread evenly over five addresses (4 each for 20)."""
    return [
        _token(username, f"wrong-{n}", ADDRESSES[n % len(ADDRESSES)]).status_code
        for n in range(tries)
    ]


def test_twenty_wrong_passwords_from_five_addresses_lock_the_account(caseworker):
    statuses = _spray("caseworker", 19)
    assert set(statuses) == {400}  # 4 or fewer per address: no address is locked alone
    assert _token("caseworker", "wrong-20", ADDRESSES[4]).status_code == 429

    # Locked everywhere, the right password included, from an address never seen.
    locked = _token("caseworker", PASSWORD, "198.51.100.7")
    assert locked.status_code == 429
    assert 3000 < int(locked["Retry-After"]) <= 3600
    assert "paused" in locked.json()["detail"]
    assert "token" not in locked.json()
    # The admin's sign-in too.
    admin = APIClient().post(
        "/admin/login/",
        {"username": "caseworker", "password": PASSWORD},
        REMOTE_ADDR="198.51.100.8",
    )
    assert admin.status_code == 429


def test_the_client_address_comes_from_the_configured_header(settings, caseworker):
    settings.RATELIMIT_IP_META_KEY = "HTTP_X_FORWARDED_FOR"
    for n in range(20):
        forwarded = f"192.0.2.99, {ADDRESSES[n % 5]}"  # the proxy's entry is the last
        response = _token("caseworker", "wrong", "10.0.0.1", HTTP_X_FORWARDED_FOR=forwarded)
        assert response.status_code == (429 if n == 19 else 400)
    from axes.models import AccessAttempt

    assert set(AccessAttempt.objects.values_list("ip_address", flat=True)) == set(ADDRESSES)


def test_five_failures_from_one_address_lock_only_that_address(caseworker):
    for _ in range(4):
        assert _token("caseworker", "wrong", ADDRESSES[0]).status_code == 400
    assert _token("caseworker", "wrong", ADDRESSES[0]).status_code == 429
    assert _token("caseworker", PASSWORD, ADDRESSES[0]).status_code == 429
    assert _token("caseworker", PASSWORD, ADDRESSES[1]).status_code == 200


def test_an_unknown_username_is_locked_the_same_way(db):
    statuses = _spray("nobody-by-this-name", 20)
    assert statuses[-1] == 429 and set(statuses[:-1]) == {400}
    assert mail.outbox == []


def test_the_locked_user_is_told_once_by_email_and_nothing_more(caseworker):
    _spray("caseworker", 20)
    _token("caseworker", PASSWORD, ADDRESSES[0])  # more tries during the lockout
    _token("caseworker", "wrong", "198.51.100.7")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [caseworker.email]
    text = f"{message.subject}\n{message.body}"
    assert "paused" in text and "60 minutes" in text and "administrator" in text
    # Nothing that says a password was right or wrong, nothing about who tried from where.
    for leak in ["wrong password", "correct", "incorrect", "203.0.113", "198.51.100", "caseworker"]:
        assert leak not in text.lower()


def test_an_administrator_unlocks_and_the_audit_trail_says_so(admin_client, caseworker):
    _spray("caseworker", 20)
    assert _token("caseworker", PASSWORD, ADDRESSES[0]).status_code == 429

    admin = User.objects.get(username="admin")
    response = admin_client.post(
        "/admin/auth/user/",
        {"action": "unlock_sign_in", "_selected_action": [caseworker.pk]},
        follow=True,
    )
    assert "Sign-in unlocked for 1 of 1" in response.content.decode()
    event = AuditEvent.objects.get(action="sign_in_unlocked")
    assert event.actor == admin
    assert event.changes["subject"] == f"auth.user:{caseworker.pk}"
    assert _token("caseworker", PASSWORD, ADDRESSES[0]).status_code == 200


def test_only_an_administrator_may_unlock(caseworker, decider):
    _spray("caseworker", 20)
    with pytest.raises(PermissionDenied):
        sign_in_unlock(actor=decider, user=caseworker)
    assert _token("caseworker", PASSWORD, ADDRESSES[0]).status_code == 429
    assert not AuditEvent.objects.filter(action="sign_in_unlocked").exists()
