"""Two-factor sign-in everywhere it is required: API tokens, every staff page, backup codes.

A decision-maker whose group must use TOTP, with a confirmed authenticator app, must not get
an API token (which can decide cases) with the password alone, nor reach any staff page with a
session that has not given its code. Backup codes stand in for the app, once each.
"""

from __future__ import annotations

import time

import pytest
import time_machine
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice
from rest_framework.test import APIClient

from tests.security.test_staff_auth import PASSWORD, sign_in, totp

pytestmark = pytest.mark.django_db

TOKEN = "/api/v1/auth/token/"


@pytest.fixture
def decider_with_app(settings, decider):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    device = TOTPDevice.objects.create(user=decider, name="phone", confirmed=True)
    return decider, device


def _token(client: APIClient, username: str, **extra: str):
    return client.post(TOKEN, {"username": username, "password": PASSWORD, **extra}, format="json")


def test_a_token_needs_the_current_code_from_the_app(decider_with_app):
    decider, device = decider_with_app
    client = APIClient()
    now = time.time()
    with time_machine.travel(now, tick=False) as clock:
        missing = _token(client, "decider")
        assert missing.status_code == 400
        assert "token" not in missing.json()
        assert "two-factor" in missing.json()["otp"][0]

        wrong = _token(client, "decider", otp="000000")
        assert wrong.status_code == 400
        assert "not valid" in wrong.json()["otp"][0]

        clock.shift(5)  # a wrong code throttles the device for a second or more
        good = _token(client, "decider", otp=totp(device.bin_key, now + 5))
        assert good.status_code == 200
    # The token decides cases: the decision-maker's transitions are open to it.
    client.credentials(HTTP_AUTHORIZATION=f"Token {good.json()['token']}")
    assert client.get("/api/v1/applications/").status_code == 200


def test_a_required_user_without_an_app_gets_no_token(settings, decider):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    response = _token(APIClient(), "decider", otp="123456")
    assert response.status_code == 400
    assert "set up an authenticator app" in response.json()["otp"][0]


def test_staff_outside_the_required_groups_still_get_a_token_with_the_password(settings, registrar):
    settings.OTP_REQUIRED_GROUPS = ["Decision-maker"]
    assert _token(APIClient(), "registrar").status_code == 200


def test_a_wrong_code_counts_towards_the_lockout(settings, decider_with_app):
    settings.AXES_FAILURE_LIMIT = 3
    client = APIClient()
    now = time.time()
    for second in range(3):
        with time_machine.travel(now + 5 * second, tick=False):
            response = _token(client, "decider", otp="000000")
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/casework/application/",
        "/api/docs/",
        "/api/schema/",
        "/api/v1/applications/",
        "/admin/otp/backup-codes/",
    ],
)
def test_an_unverified_session_reaches_no_staff_page(client, decider_with_app, path):
    sign_in(client, "decider")
    response = client.get(path)
    if path.startswith("/api/"):
        assert response.status_code == 403
        assert "Two-factor" in response.json()["detail"]
    else:
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("otp-verify"))


def test_an_unverified_session_still_sees_the_public_pages(client, decider_with_app):
    sign_in(client, "decider")
    assert client.get("/status/").status_code == 200
    assert client.get("/healthz").status_code in (200, 503)


def test_backup_codes_are_shown_once_and_each_works_once(client, decider_with_app):
    decider, device = decider_with_app
    now = time.time()
    with time_machine.travel(now, tick=False):
        sign_in(client, "decider")
        client.post(
            reverse("otp-verify"), {"otp_token": totp(device.bin_key, now), "next": "/admin/"}
        )
        page = client.post(reverse("otp-backup-codes"))
    assert page.status_code == 200
    codes = list(StaticToken.objects.filter(device__user=decider).values_list("token", flat=True))
    assert len(codes) == 10
    assert all(code in page.content.decode() for code in codes)
    # Shown once: the page does not show them again.
    again = client.get(reverse("otp-backup-codes")).content.decode()
    assert "10 unused backup codes" in again
    assert not any(code in again for code in codes)

    # A backup code signs in once on the verify page ...
    client.logout()
    sign_in(client, "decider")
    used = client.post(reverse("otp-verify"), {"otp_token": codes[0], "next": "/admin/"})
    assert used.status_code == 302 and used["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    client.logout()
    sign_in(client, "decider")
    reused = client.post(reverse("otp-verify"), {"otp_token": codes[0], "next": "/admin/"})
    assert "That code is not valid" in reused.content.decode()

    # ... and in a token request, once (after the failure's throttle of the devices).
    with time_machine.travel(now + 30, tick=False):
        assert _token(APIClient(), "decider", otp=codes[1]).status_code == 200
    with time_machine.travel(now + 40, tick=False):
        assert _token(APIClient(), "decider", otp=codes[1]).status_code == 400

    # A new set replaces the old one.
    with time_machine.travel(now + 60, tick=False):
        client.logout()
        sign_in(client, "decider")
        client.post(
            reverse("otp-verify"),
            {"otp_token": totp(device.bin_key, now + 60), "next": "/admin/"},
        )
        client.post(reverse("otp-backup-codes"))
    assert not StaticToken.objects.filter(token=codes[2]).exists()
    assert StaticToken.objects.filter(device__user=decider).count() == 10
