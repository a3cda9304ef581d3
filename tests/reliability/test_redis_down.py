"""Redis down: the broker (and the cache, which shares it in production) dies and comes back.

Our own redis-server is both Celery broker and Django cache of a real gunicorn, as in
production (``CELERY_BROKER_URL=redis://…`` also sets ``REDIS_URL``). We kill it; caseworkers
keep working in the admin (list, a transition through the case page's form), API clients keep
making transitions, applicants keep looking up their case: no error, and fast (the broker and
cache timeouts in ``config/settings.py``). Then Redis comes back and nothing needs a restart.
"""

from __future__ import annotations

import datetime as dt
import time

import pytest
import requests
from django.test import Client
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError
from rest_framework.authtoken.models import Token

from casework.applications.choices import State
from casework.core.heartbeats import SWEEP, WAITING_FIGURES, heartbeat_record
from casework.models import Application, AuditEvent
from tests.factories import ApplicationFactory, PersonFactory

from .conftest import free_port, gunicorn, status_form

pytestmark = [pytest.mark.fault]

FAST = 3.0  # seconds: a user must not wait on a dead Redis longer than this


class Face:
    """The three faces of the system, driven over real HTTP as their users would."""

    def __init__(self, base: str, *, token: str, sessionid: str) -> None:
        self.base = base
        self.token = token
        self.staff = requests.Session()
        self.staff.cookies.set("sessionid", sessionid)
        self.applicant = requests.Session()
        self.timings: list[float] = []

    def _timed(self, fn, *args, **kwargs) -> requests.Response:
        began = time.monotonic()
        resp = fn(*args, timeout=15, **kwargs)
        self.timings.append(time.monotonic() - began)
        return resp

    def api_transition(self, app: Application, name: str) -> requests.Response:
        return self._timed(
            requests.post,
            f"{self.base}/api/v1/applications/{app.pk}/transitions/{name}/",
            json={},
            headers={"Authorization": f"Token {self.token}"},
        )

    def admin_list(self) -> requests.Response:
        return self._timed(self.staff.get, f"{self.base}/admin/casework/application/")

    def admin_transition(self, app: Application, name: str) -> requests.Response:
        url = f"{self.base}/admin/casework/application/{app.pk}/transition/{name}/"
        form = self._timed(self.staff.get, url)
        assert form.status_code == 200, form.status_code
        return self._timed(
            self.staff.post,
            url,
            data={
                "version": str(Application.objects.get(pk=app.pk).version),
                "csrfmiddlewaretoken": self.staff.cookies["csrftoken"],
            },
            headers={"Referer": url},
            allow_redirects=False,
        )

    def status_lookup(self, app: Application) -> requests.Response:
        page = self._timed(self.applicant.get, f"{self.base}/status/")
        assert page.status_code == 200, page.status_code
        return self._timed(
            self.applicant.post,
            f"{self.base}/status/",
            data={
                **status_form(app),
                "csrfmiddlewaretoken": self.applicant.cookies["csrftoken"],
            },
            headers={"Referer": f"{self.base}/status/"},
        )


def _exercise(face: Face, api_case: Application, admin_case: Application) -> None:
    """Everything a user does in a working day, each answered correctly and quickly."""
    face.timings.clear()
    resp = face.api_transition(api_case, "start_examination")
    assert resp.status_code == 200, (resp.status_code, resp.text[:300])
    assert resp.json()["state"] == State.EXAMINED
    resp = face.admin_list()
    assert resp.status_code == 200 and admin_case.reference[:4] in resp.text
    resp = face.admin_transition(admin_case, "start_examination")
    assert resp.status_code == 302, (resp.status_code, resp.text[:300])
    assert Application.objects.get(pk=admin_case.pk).state == State.EXAMINED
    resp = face.status_lookup(api_case)
    assert resp.status_code == 200 and api_case.display_reference in resp.text, resp.text[:300]
    assert max(face.timings) < FAST, face.timings


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_redis_down_users_notice_nothing_and_it_comes_back(
    tmp_path, redis_server, unit, caseworker
):
    cases = [
        ApplicationFactory(
            person=PersonFactory(date_of_birth=dt.date(1988, 3, 9)),
            unit=unit,
            assigned_to=caseworker,
            lodged_on=timezone.localdate() - dt.timedelta(days=3),
        )
        for _ in range(6)
    ]
    token = Token.objects.create(user=caseworker).key
    client = Client()
    client.force_login(caseworker)
    sessionid = client.cookies["sessionid"].value
    # Beat is running (its jobs have just completed): the health check's answer then depends
    # on the database and the broker alone.
    for job in (SWEEP, WAITING_FIGURES):
        heartbeat_record(job=job, duration_seconds=0.1, rows={})

    # The status page's own choice for an unreachable rate-limit counter is to refuse
    # (tested below); here the operator chose availability, so the status page keeps working.
    with gunicorn(
        tmp_path,
        CELERY_BROKER_URL=redis_server.url,
        REDIS_URL=redis_server.url,
        RATELIMIT_FAIL_OPEN="1",
    ) as web:
        face = Face(web.base, token=token, sessionid=sessionid)
        _exercise(face, cases[0], cases[1])

        redis_server.stop()
        _exercise(face, cases[2], cases[3])
        slowest_down = max(face.timings)
        health = requests.get(f"{web.base}/healthz", timeout=10).json()
        assert health["status"] == "ok" and health["broker"]["status"] == "unreachable"

        redis_server.start()
        _exercise(face, cases[4], cases[5])
        health = requests.get(f"{web.base}/healthz", timeout=10).json()
        assert health["broker"]["status"] == "ok"

    ids = [c.pk for c in cases]
    events = AuditEvent.objects.filter(application_id__in=ids, action="start_examination")
    assert events.count() == 6
    print(f"\nRedis down: slowest request {slowest_down:.2f}s")


def test_cache_on_a_closed_port_answers_as_a_miss_quickly():
    from casework.core.cache import ResilientRedisCache

    cache = ResilientRedisCache(
        f"redis://127.0.0.1:{free_port()}/0",
        {"OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1}},
    )
    began = time.monotonic()
    assert cache.get("k", "fallback") == "fallback"
    cache.set("k", 1)
    assert cache.get_many(["k"]) == {}
    assert time.monotonic() - began < 2
    # Atomic counters (django-ratelimit) still raise: their caller owns the policy.
    with pytest.raises(RedisConnectionError):
        cache.add("k", 1)


@pytest.mark.django_db
def test_status_page_with_redis_down_keeps_answering_and_limiting(settings):
    """The default policy: with Redis down, lookups are answered and counted in the process;
    over the limit a clean 429."""
    from django.test import Client as DjangoClient

    url = f"redis://127.0.0.1:{free_port()}/0"
    settings.CACHES = {
        "default": {
            "BACKEND": "casework.core.cache.ResilientRedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    settings.RATELIMIT_FAIL_OPEN = False
    settings.STATUS_REFERENCE_RATE_LIMIT = "2/h"
    app = ApplicationFactory(person=PersonFactory(date_of_birth=dt.date(1988, 3, 9)))
    began = time.monotonic()
    response = DjangoClient().post("/status/", status_form(app))
    assert response.status_code == 200 and app.display_reference in response.content.decode()
    DjangoClient().post("/status/", status_form(app))
    response = DjangoClient().post("/status/", status_form(app))
    assert response.status_code == 429 and response["Retry-After"]
    assert app.display_reference not in response.content.decode()
    settings.RATELIMIT_FAIL_OPEN = True
    response = DjangoClient().post("/status/", status_form(app))
    assert response.status_code == 200 and app.display_reference in response.content.decode()
    assert time.monotonic() - began < 3
