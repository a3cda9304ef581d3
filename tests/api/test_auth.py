"""Tokens: issued for a username and password, revocable, expiring for staff; rate limits."""

from __future__ import annotations

import datetime as dt
import time

import pytest
import time_machine
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.factories import UserFactory

PASSWORD = "Correct-Horse-42"  # tests/factories.py


def _token(client: APIClient, username: str, password: str = PASSWORD):
    return client.post(
        "/api/v1/auth/token/", {"username": username, "password": password}, format="json"
    )


@pytest.mark.django_db
def test_token_for_username_and_password_then_revoked(registrar):
    client = APIClient()
    response = _token(client, "registrar")
    assert response.status_code == 200
    key = response.json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert client.get("/api/v1/applications/").status_code == 200

    assert client.delete("/api/v1/auth/token/").status_code == 204
    assert not Token.objects.filter(key=key).exists()
    assert client.get("/api/v1/applications/").status_code == 401


@pytest.mark.django_db
def test_wrong_password_is_400_and_gives_no_token(registrar):
    response = _token(APIClient(), "registrar", "wrong")
    assert response.status_code == 400
    assert "token" not in response.json()
    assert _token(APIClient(), "", "").status_code == 400


@pytest.mark.django_db
def test_a_staff_token_expires_and_a_new_one_is_issued(registrar, settings):
    settings.API_STAFF_TOKEN_TTL = 3600
    client = APIClient()
    old = _token(client, "registrar").json()["token"]
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        client.credentials(HTTP_AUTHORIZATION=f"Token {old}")
        expired = client.get("/api/v1/applications/")
        assert expired.status_code == 401
        assert "expired" in expired.json()["detail"].lower()
        new = _token(APIClient(), "registrar").json()["token"]
        assert new != old
        client.credentials(HTTP_AUTHORIZATION=f"Token {new}")
        assert client.get("/api/v1/applications/").status_code == 200


@pytest.mark.django_db
def test_a_machine_clients_token_does_not_expire(settings):
    settings.API_STAFF_TOKEN_TTL = 3600
    user = UserFactory(username="police-system", is_staff=False)
    token = Token.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    with time_machine.travel(timezone.now() + dt.timedelta(days=30)):
        assert client.get("/api/v1/reminders/").status_code == 200


@pytest.fixture
def rates(monkeypatch):
    """Set throttle rates for one test (DRF reads them into a class attribute at import)."""
    from rest_framework.throttling import SimpleRateThrottle

    def set_rates(**rates: str) -> None:
        monkeypatch.setattr(
            SimpleRateThrottle, "THROTTLE_RATES", {**SimpleRateThrottle.THROTTLE_RATES, **rates}
        )

    return set_rates


@pytest.mark.django_db
def test_token_requests_are_rate_limited(registrar, rates):
    rates(auth="3/min")
    codes = [_token(APIClient(), "registrar").status_code for _ in range(4)]
    assert codes == [200, 200, 200, 429]


@pytest.mark.django_db
def test_anonymous_clients_are_rate_limited_even_when_refused(rates):
    rates(anon="2/min")
    codes = [APIClient().get("/api/v1/people/").status_code for _ in range(3)]
    assert codes == [401, 401, 429]


@pytest.mark.django_db
def test_token_clients_are_rate_limited(api, registrar, rates):
    rates(user="2/min")
    client = api(registrar)
    codes = [client.get("/api/v1/reminders/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]


@pytest.fixture
def redis_counters(settings):
    """The production cache (Redis) under a key prefix of this test's own, so no counter of an
    earlier run or of another test sharing the Redis database counts."""
    import secrets

    from django.conf import settings as django_settings
    from django.core.cache import caches

    settings.CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
            "KEY_PREFIX": f"test-{secrets.token_hex(8)}",
        }
    }
    caches["default"].delete("nothing")  # connects: fails here, not later, if Redis is gone
    return caches["default"]


@pytest.mark.services("redis")
@pytest.mark.django_db
def test_rate_limits_hold_on_redis_with_one_counter_per_window(
    api, registrar, rates, redis_counters
):
    """On Redis each throttle is one INCR-counted window: tokens, anonymous
    clients and the token endpoint each get their budget, then 429 with Retry-After."""
    rates(user="2/hour", anon="2/hour", auth="2/hour")
    client = api(registrar)
    codes = [client.get("/api/v1/reminders/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    refused = client.get("/api/v1/reminders/")
    assert 0 < int(refused["Retry-After"]) <= 3600
    # Anonymous clients, by address, even when refused (401s count).
    codes = [APIClient().get("/api/v1/people/").status_code for _ in range(3)]
    assert codes == [401, 401, 429]
    codes = [_token(APIClient(), "registrar").status_code for _ in range(3)]
    assert codes[2] == 429
    # One small integer per client, scope and window: the token's 4 requests.
    window = int(time.time() // 3600)
    assert redis_counters.get(f"throttle_user_{registrar.pk}:w{window}") == 4


@pytest.mark.django_db
def test_an_unreachable_counter_store_lets_token_clients_through(api, registrar, rates, settings):
    """Redis down: the API answers (uncounted) rather than fail every request."""
    settings.CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    rates(user="1/hour")
    client = api(registrar)
    assert [client.get("/api/v1/reminders/").status_code for _ in range(3)] == [200, 200, 200]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "who", ["two roles, own permission, unit, language", "no profile", "superuser"]
)
def test_the_token_statement_puts_on_the_user_what_the_roles_query_would(who, unit):
    """On PostgreSQL the token is read with the user's roles, unit, language and permissions:
    what ``_load`` and ``load_roles_and_permissions`` would have read, value for value."""
    from django.contrib.auth.models import Group, Permission
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.api.authentication import ExpiringTokenAuthentication
    from casework.staff import roles
    from casework.staff.models import StaffProfile

    user = UserFactory(username="several", is_superuser=who == "superuser")
    if who != "no profile":
        user.groups.add(*Group.objects.filter(name__in=["Caseworker", "Auditor"]))
        user.user_permissions.add(Permission.objects.get(codename="view_statistics"))
        StaffProfile.objects.create(user=user, unit=unit, language="nb")
    key = Token.objects.create(user=user).key
    with CaptureQueriesContext(connection) as ctx:
        authenticated, _token = ExpiringTokenAuthentication().authenticate_credentials(key)
    if connection.vendor != "postgresql":
        roles.role_names(authenticated)  # elsewhere read when first asked, as before
    expected = type(user).objects.get(pk=user.pk)
    roles.role_names(expected)  # _load: roles, unit, language (and permissions if not superuser)
    attributes = (roles.ROLES, roles.UNIT, roles.LANGUAGE)
    if not user.is_superuser:
        attributes += (roles.USER_PERMS, roles.GROUP_PERMS, roles.PERMS)
    for attribute in attributes:
        assert attribute.get(authenticated) == attribute.get(expected), attribute.attribute
    fields = [f.attname for f in type(user)._meta.concrete_fields]
    assert [getattr(authenticated, f) for f in fields] == [getattr(expected, f) for f in fields]
    assert _token.key == key and _token.user_id == user.pk and _token.created is not None
    if connection.vendor == "postgresql":
        assert len(ctx.captured_queries) == 1
        with CaptureQueriesContext(connection) as after:
            roles.role_names(authenticated), authenticated.has_perm("casework.view_statistics")
        assert after.captured_queries == []


@pytest.mark.django_db
def test_each_token_brings_its_own_user(registrar, caseworker):
    """The token statement is built once a process; only the key changes between requests."""
    for user in (registrar, caseworker, registrar):
        client = APIClient()
        client.credentials(
            HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}"
        )
        response = client.get("/api/v1/me/")
        assert response.status_code == 200
        assert response.json()["username"] == user.username


@pytest.mark.django_db
def test_an_inactive_users_token_is_refused(registrar):
    key = Token.objects.create(user=registrar).key
    registrar.is_active = False
    registrar.save()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    response = client.get("/api/v1/applications/")
    assert response.status_code == 401
    assert client.credentials(HTTP_AUTHORIZATION="Token nonsense") is None
    assert client.get("/api/v1/applications/").status_code == 401
