"""Rate limits on the status lookup: per client address, and per case reference for devices
that have not opened the case (``tests/status/test_guessing.py`` holds the guessing attack)."""

from __future__ import annotations

import datetime as dt
import secrets

import pytest
from django.conf import settings as django_settings

from casework.models import StatusLookup
from casework.people.identity import format_reference, new_reference
from tests.status.conftest import BIRTH_DATE, lookup, text_of

WRONG = BIRTH_DATE + dt.timedelta(days=1)

pytestmark = pytest.mark.django_db


def test_one_client_is_limited_politely_in_its_language(client, settings, application):
    settings.STATUS_RATE_LIMIT = "3/h"
    for _ in range(3):
        assert lookup(client, reference=new_reference(), language="uk").status_code == 200
    response = lookup(client, reference=application.reference, language="uk")
    assert response.status_code == 429
    assert 0 < int(response["Retry-After"]) <= 3600  # the end of the hour's window
    page = text_of(response)
    assert "Забагато спроб" in page  # "Too many attempts" in Ukrainian
    assert "Зачекайте годину" in page  # "wait an hour"
    assert "Ви спробували" not in page  # not "you have tried too many times"
    assert "Where your case is" not in page  # even the right answer is held back
    assert '<html lang="uk"' in response.content.decode()
    # Another client is not affected.
    other = lookup(client, reference=application.reference, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 200


def test_one_reference_is_limited_across_clients(client, settings, application):
    """Guessing birth dates for one case from many addresses and new devices still hits the
    case's limit, however the reference is typed; the answer blames no one."""
    from django.test import Client

    settings.STATUS_REFERENCE_RATE_LIMIT = "2/365d"
    typed = [application.reference.lower(), format_reference(application.reference)]
    for i, reference in enumerate(typed):
        response = lookup(
            Client(), reference=reference, born=WRONG, REMOTE_ADDR=f"203.0.113.{i + 1}"
        )
        assert response.status_code == 200
    response = lookup(
        Client(), reference=application.reference, REMOTE_ADDR="192.0.2.99", language="ar"
    )
    assert response.status_code == 429
    assert "تم إيقاف الاستعلام عن هذه القضية مؤقتًا" in text_of(response)  # "paused"
    assert 'dir="rtl"' in response.content.decode()
    # Other references from the same address go on working.
    assert lookup(client, reference=new_reference(), REMOTE_ADDR="192.0.2.99").status_code == 200


def test_limited_tries_are_logged(client, settings, application):
    settings.STATUS_RATE_LIMIT = "1/h"
    lookup(client, reference=application.reference)
    lookup(client, reference=application.reference)
    outcomes = list(StatusLookup.objects.order_by("at", "id").values_list("outcome", flat=True))
    assert outcomes == ["found", "limited"]


def test_get_requests_do_not_count(client, settings):
    settings.STATUS_RATE_LIMIT = "1/h"
    for _ in range(5):
        assert client.get("/status/").status_code == 200


@pytest.mark.services("redis")
def test_limits_are_shared_through_redis(settings, application):
    """Two web processes share one Redis: the limit holds across both (two cache clients).

    The case reference is new (random) for every run, so no key of an earlier run counts;
    nothing is flushed (CI shares the Redis database with other tests)."""
    from django.core.cache import caches
    from django.test import Client

    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
        }
    }
    caches["default"].delete("nothing")  # connects: fails here, not later, if Redis is gone
    settings.STATUS_REFERENCE_RATE_LIMIT = "2/365d"
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.1"
    first, second = Client(), Client()
    reference = application.reference
    assert lookup(first, reference=reference, born=WRONG, REMOTE_ADDR=address).status_code == 200
    assert lookup(second, reference=reference, born=WRONG).status_code == 200
    assert lookup(first, reference=reference).status_code == 429


@pytest.mark.parametrize("fail_open", [False, True])
def test_a_dead_cache_never_gives_a_500(client, settings, application, fail_open):
    """Redis down: the page keeps working; by default tries are then counted in the process
    (still limited), or not at all if so configured."""
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": "redis://127.0.0.1:1/0",  # nothing listens on port 1
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    settings.RATELIMIT_FAIL_OPEN = fail_open
    settings.STATUS_REFERENCE_RATE_LIMIT = "3/h"
    response = lookup(client, reference=application.reference)
    assert response.status_code == 200
    assert "Where your case is" in text_of(response)
    from django.test import Client

    for _ in range(3):  # new devices, wrong birth dates
        response = lookup(Client(), reference=application.reference, born=WRONG)
    response = lookup(Client(), reference=application.reference)
    if fail_open:
        assert response.status_code == 200
    else:  # the fourth try at one reference within the hour, counted in this process
        assert response.status_code == 429
        assert "Lookups of this case are paused" in text_of(response)


@pytest.mark.services("redis")
def test_both_counters_in_one_round_trip_are_the_caches_own(settings, application):
    """On Redis the address and reference counters are counted in one pipeline, on keys
    Django's cache reads: ``usage`` (the cache's ``get``) sees the same counts."""
    from django.core.cache import caches
    from django.test import Client

    from casework.status.views import reference_key, usage

    settings.CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
        }
    }
    caches["default"].delete("nothing")  # connects: fails here, not later, if Redis is gone
    settings.STATUS_RATE_LIMIT = "50/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "3/h"
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.2"
    for _ in range(3):
        response = lookup(
            Client(), reference=application.reference, born=WRONG, REMOTE_ADDR=address
        )
        assert response.status_code == 200
    reference = reference_key(application.reference)
    for group, rate, value, count in (
        ("casework.status.ip", "50/h", address, 3),
        ("casework.status.reference", "3/h", reference, 3),
    ):
        assert usage(group, rate, value) == count, group
    assert lookup(Client(), reference=application.reference).status_code == 429


@pytest.mark.services("redis")
def test_on_redis_a_right_answer_gives_its_try_back_and_never_revives_a_window(
    settings, application
):
    """A new device that finds the case takes its try back from the reference's counter
    (one script on Redis, ``decr_counter``); a counter whose window has ended is not written
    again (no key without a timeout is left behind)."""
    from django.core.cache import caches
    from django.test import Client

    from casework.core.cache import counter_cache, decr_counter
    from casework.status.views import REFERENCE, counter_key, parse_rate, reference_key, usage

    settings.CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",
            "LOCATION": django_settings.CELERY_BROKER_URL,
        }
    }
    cache = caches["default"]
    cache.delete("nothing")  # connects: fails here, not later, if Redis is gone
    settings.STATUS_RATE_LIMIT = "50/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "3/h"
    address = f"10.{secrets.randbelow(250)}.{secrets.randbelow(250)}.3"
    reference = reference_key(application.reference)
    for _ in range(2):
        lookup(Client(), reference=application.reference, born=WRONG, REMOTE_ADDR=address)
    assert usage(REFERENCE, "3/h", reference) == 2
    response = lookup(Client(), reference=application.reference, REMOTE_ADDR=address)
    assert response.status_code == 200 and application.display_reference in text_of(response)
    assert usage(REFERENCE, "3/h", reference) == 2  # counted, then given back
    _limit, period = parse_rate("3/h")
    ended = counter_key(REFERENCE, reference, period, now=0.0)  # a window long gone
    decr_counter(counter_cache(cache), ended)
    assert cache.get(ended) is None
