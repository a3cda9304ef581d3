"""Staff sign-in: lockout after failures, strong passwords, idle expiry, TOTP per group."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import struct
import time

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/?next=/admin/"
PASSWORD = "Correct-Horse-42"  # tests/factories.py


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(LOGIN, {"username": username, "password": password})


def test_admin_login_locks_after_the_failure_limit(client, settings, caseworker):
    settings.AXES_FAILURE_LIMIT = 3
    for _ in range(2):
        response = sign_in(client, "caseworker", "wrong-password")
        assert response.status_code == 200
        assert "Please enter the correct username and password" in response.content.decode()
    locked = sign_in(client, "caseworker", "wrong-password")
    assert locked.status_code == 429
    assert "Sign-in locked" in locked.content.decode()
    # Now even the right password is refused, and no session is created.
    again = sign_in(client, "caseworker")
    assert again.status_code == 429
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_success_before_the_limit_resets_the_count(client, settings, caseworker):
    settings.AXES_FAILURE_LIMIT = 3
    sign_in(client, "caseworker", "wrong-password")
    sign_in(client, "caseworker", "wrong-password")
    assert sign_in(client, "caseworker").status_code == 302
    client.logout()
    sign_in(client, "caseworker", "wrong-password")
    assert sign_in(client, "caseworker").status_code == 302


@pytest.mark.parametrize(
    "password", ["short1A!", "password12345", "123456789012345", "caseworker2026!"]
)
def test_weak_passwords_are_refused(password, caseworker):
    with pytest.raises(ValidationError):
        validate_password(password, user=caseworker)


def test_a_long_unusual_password_is_accepted(caseworker):
    validate_password("violet-Harbour-tractor-91", user=caseworker)


def test_a_session_expires_after_thirty_idle_minutes(client, settings, caseworker):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert sign_in(client, "caseworker").status_code == 302
        clock.shift(dt.timedelta(minutes=25))
        assert client.get("/admin/").status_code == 200  # activity renews the session
        clock.shift(dt.timedelta(minutes=25))
        assert client.get("/admin/").status_code == 200
        clock.shift(dt.timedelta(minutes=31))
        response = client.get("/admin/")
        assert response.status_code == 302
        assert response["Location"].startswith("/admin/login/")


def test_the_idle_expiry_is_renewed_once_a_minute_not_on_every_page(client, caseworker):
    """The session row is written when its expiry is a minute old or more, not by
    every admin page (the 30-minute idle limit above still holds)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def session_writes() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get("/admin/").status_code == 200
        return sum('UPDATE "django_session"' in q["sql"] for q in ctx.captured_queries)

    start = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(start, tick=False) as clock:
        assert sign_in(client, "caseworker").status_code == 302
        assert session_writes() == 0  # renewed at sign-in
        clock.shift(dt.timedelta(seconds=30))
        assert session_writes() == 0
        clock.shift(dt.timedelta(seconds=31))
        assert session_writes() == 1
        assert session_writes() == 0


# --- TOTP -----------------------------------------------------------------------------------


def totp(key: bytes, at: float, step: int = 30, digits: int = 6) -> str:
    """RFC 6238, written out here so the test does not trust the library it checks."""
    counter = struct.pack(">Q", int(at // step))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    code = (struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 10**digits
    return f"{code:0{digits}d}"


def test_staff_of_a_required_group_set_up_and_use_totp(client, settings, decider):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    assert sign_in(client, "decider").status_code == 302
    response = client.get("/admin/casework/application/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("otp-setup"))
    page = client.get(response["Location"])
    assert "<svg" in page.content.decode()  # the QR code, inline
    device = TOTPDevice.objects.get(user=decider, confirmed=False)
    now = time.time()
    with time_machine.travel(now, tick=False) as clock:
        wrong = client.post(reverse("otp-setup"), {"otp_token": "000000", "next": "/admin/"})
        assert "That code is not valid" in wrong.content.decode()
        clock.shift(5)  # a failure throttles the device for a second or more
        code = totp(device.bin_key, now + 5)
        done = client.post(reverse("otp-setup"), {"otp_token": code, "next": "/admin/"})
        assert done.status_code == 302 and done["Location"] == "/admin/"
        assert client.get("/admin/casework/application/").status_code == 200

    # Next sign-in: the code is asked again, and only a right one lets them in.
    client.logout()
    later = now + 60
    with time_machine.travel(later, tick=False) as clock:
        sign_in(client, "decider")
        response = client.get("/admin/")
        assert response["Location"].startswith(reverse("otp-verify"))
        assert client.get("/api/v1/auth/token/").status_code == 403
        bad = client.post(reverse("otp-verify"), {"otp_token": "123456", "next": "/admin/"})
        assert "That code is not valid" in bad.content.decode()
        assert client.get("/admin/").status_code == 302
        clock.shift(5)
        later += 5
        good = client.post(
            reverse("otp-verify"), {"otp_token": totp(device.bin_key, later), "next": "/admin/"}
        )
        assert good.status_code == 302
        assert client.get("/admin/").status_code == 200


def test_staff_outside_the_required_groups_are_not_asked(client, settings, caseworker):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    sign_in(client, "caseworker")
    assert client.get("/admin/").status_code == 200


def test_anyone_who_set_up_a_device_is_asked_for_it(client, settings, caseworker):
    settings.OTP_REQUIRED_GROUPS = []
    TOTPDevice.objects.create(user=caseworker, name="phone", confirmed=True)
    sign_in(client, "caseworker")
    assert client.get("/admin/")["Location"].startswith(reverse("otp-verify"))


def test_the_verify_page_refuses_an_outside_next_url(client, settings, decider):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    device = TOTPDevice.objects.create(user=decider, name="phone", confirmed=True)
    sign_in(client, "decider")
    response = client.post(
        reverse("otp-verify"),
        {"otp_token": totp(device.bin_key, time.time()), "next": "https://evil.example/"},
    )
    assert response["Location"] == reverse("admin:index")
