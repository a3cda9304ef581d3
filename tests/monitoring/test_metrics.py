"""``/metrics``: Prometheus figures for the scraper holding ``METRICS_TOKEN``, refused to
anyone else (the public, a signed-in caseworker), with bounded labels (view names, never
paths or references)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client
from django.utils import timezone

from casework.applications.services import application_start_examination
from casework.core.heartbeats import SWEEP, heartbeat_record
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.reminders import sweep
from tests.factories import ApplicationFactory, ReminderFactory
from tests.status.conftest import BIRTH_DATE, lookup

pytestmark = pytest.mark.django_db

TOKEN = "scraper-" + "s3cret" * 6


@pytest.fixture(autouse=True)
def _token(settings):
    settings.METRICS_TOKEN = TOKEN
    settings.STATUS_RATE_LIMIT = "100000/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "100000/h"


def scrape(token: str = TOKEN) -> str:
    response = Client().get("/metrics", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200, response.content[:300]
    assert response["Content-Type"].startswith("text/plain; version=")
    return response.content.decode()


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one series in the exposition text (0 when absent)."""
    for line in text.splitlines():
        if line.startswith("#") or not line.startswith(name):
            continue
        series, _sep, value = line.rpartition(" ")
        found = dict(re.findall(r'(\w+)="([^"]*)"', series))
        if series.split("{")[0] == name and all(found.get(k) == v for k, v in labels.items()):
            return float(value)
    return 0.0


def test_the_public_is_refused(client):
    response = client.get("/metrics")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"casework_" not in response.content


def test_a_signed_in_caseworker_is_refused(client, caseworker):
    client.force_login(caseworker)
    response = client.get("/metrics")
    assert response.status_code == 401 and b"casework_" not in response.content


def test_a_wrong_token_is_refused(client):
    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer " + TOKEN[:-1] + "x")
    assert response.status_code == 401
    response = client.get("/metrics", HTTP_AUTHORIZATION="Basic " + TOKEN)
    assert response.status_code == 401


def test_without_a_token_configured_there_is_no_endpoint(client, settings):
    settings.METRICS_TOKEN = ""
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 404


def test_the_scraper_gets_every_named_series(client, caseworker, application_with_birth_date):
    heartbeat_record(
        job=SWEEP, duration_seconds=2.5, rows={"created": 7, "queued": 7, "reclaimed": 0}
    )
    ReminderFactory(status=ReminderStatus.PENDING)
    ReminderFactory(status=ReminderStatus.SENT)
    ReminderFactory(status=ReminderStatus.SENT)
    ReminderFactory(status=ReminderStatus.SENT, created_at=timezone.now() - dt.timedelta(days=2))
    lookup(client, reference=application_with_birth_date.reference)
    text = scrape()
    for name in (
        "casework_http_request_duration_seconds",
        "casework_http_responses_total",
        "casework_broker_queue_messages",
        "casework_reminders_waiting",
        "casework_reminders_last_day",
        "casework_reminder_oldest_pending_age_seconds",
        "casework_job_last_duration_seconds",
        "casework_job_last_rows",
        "casework_job_last_completed_timestamp_seconds",
        "casework_status_lookups_total",
        "casework_transitions_refused_total",
        "casework_login_failures_total",
        "casework_database_up",
    ):
        assert re.search(rf"^# TYPE {name} ", text, re.M), name
    assert sample(text, "casework_reminders_waiting", status="pending") == 1
    assert sample(text, "casework_reminders_waiting", status="sending") == 0
    assert sample(text, "casework_reminders_last_day", status="pending") == 1
    assert sample(text, "casework_reminders_last_day", status="sent") == 2  # not the older one
    assert sample(text, "casework_reminders_last_day", status="failed") == 0
    assert sample(text, "casework_job_last_duration_seconds", job="sweep") == 2.5
    assert sample(text, "casework_job_last_rows", job="sweep", kind="created") == 7
    assert sample(text, "casework_database_up") == 1
    assert sample(text, "casework_broker_queue_messages", queue="celery") >= 0
    assert sample(text, "casework_http_request_duration_seconds_count", view="status") >= 1


def test_a_sweep_shows_its_rows_and_duration(client):
    sweep(enqueue=False)
    text = scrape()
    assert sample(text, "casework_job_last_completed_timestamp_seconds", job="sweep") > 0
    assert 'casework_job_last_rows{job="sweep",kind="queued"} 0.0' in text


def test_latency_is_labelled_by_view_name_never_by_path(client, caseworker):
    case = ApplicationFactory()
    client.force_login(caseworker)
    client.get(f"/admin/casework/application/{case.pk}/change/")
    client.get("/no/such/page/4711/")
    text = scrape()
    assert (
        sample(
            text,
            "casework_http_request_duration_seconds_count",
            view="admin:casework_application_change",
            method="GET",
        )
        >= 1
    )
    assert sample(text, "casework_http_responses_total", view="unresolved", status="4xx") >= 1
    label_values = re.findall(r'\w+="([^"]*)"', text)
    assert not [v for v in label_values if "/" in v or "4711" in v]


def test_status_lookups_are_counted_by_outcome(client, application_with_birth_date):
    before = scrape()
    lookup(client, reference=application_with_birth_date.reference)
    lookup(client, reference="7K3M9QXD2F")
    client.post("/status/", {"reference": "", "day": "40", "month": "1", "year": "1990"})
    after = scrape()
    for outcome in ("found", "not_found", "invalid"):
        assert (
            sample(after, "casework_status_lookups_total", outcome=outcome)
            == sample(before, "casework_status_lookups_total", outcome=outcome) + 1
        ), outcome


def test_refused_transitions_and_failed_sign_ins_are_counted(client, outsider):
    case = ApplicationFactory(state="submitted")
    labels = {"record": "casework.application", "transition": "start_examination"}
    before = scrape()
    with pytest.raises(PermissionDenied):
        application_start_examination(actor=outsider, application=case)
    client.post("/admin/login/?next=/admin/", {"username": "caseworker", "password": "wrong"})
    after = scrape()
    assert sample(after, "casework_transitions_refused_total", reason="permission", **labels) == (
        sample(before, "casework_transitions_refused_total", reason="permission", **labels) + 1
    )
    assert sample(after, "casework_login_failures_total") == (
        sample(before, "casework_login_failures_total") + 1
    )
    # the counters say how many, never who
    assert "caseworker" not in after and "outsider" not in after and case.reference not in after


@pytest.fixture
def application_with_birth_date(db):
    from tests.factories import PersonFactory

    return ApplicationFactory(person=PersonFactory(date_of_birth=BIRTH_DATE), state="submitted")
