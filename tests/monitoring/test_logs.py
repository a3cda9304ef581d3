"""Structured logs: with ``LOG_FORMAT=json`` one JSON object a line, each with the request id
the response carries in ``X-Request-ID`` (and the tasks the request queued carry it too), and
still nothing personal: a status lookup's reference and birth date appear in no line."""

from __future__ import annotations

import contextvars
import datetime as dt
import io
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.utils.module_loading import import_string

from casework.core import requestid
from casework.people.identity import format_reference
from tests.factories import ApplicationFactory, PersonFactory
from tests.status.conftest import BIRTH_DATE, lookup

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def json_lines():
    """The lines the console handler writes with ``LOG_FORMAT=json``: a handler built from
    ``settings.LOGGING``'s own JSON formatter and the console handler's filters, on the root
    logger for the test."""
    config = settings.LOGGING
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(import_string(config["formatters"]["json"]["()"])())
    for name in config["handlers"]["console"]["filters"]:
        handler.addFilter(import_string(config["filters"][name]["()"])())
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    yield lambda: [json.loads(line) for line in stream.getvalue().splitlines()]
    root.removeHandler(handler)
    root.setLevel(level)


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    settings.STATUS_RATE_LIMIT = "100000/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "100000/h"


def test_the_console_handler_uses_log_format_and_both_filters(settings):
    console = settings.LOGGING["handlers"]["console"]
    assert console["formatter"] == settings.LOG_FORMAT == "plain"  # the default
    assert console["filters"] == ["no_request_data", "request_id"]
    assert settings.LOGGING["loggers"]["django.server"]["handlers"] == ["console"]


@pytest.mark.django_db
def test_a_status_lookup_logs_json_with_its_request_id_and_nothing_personal(client, json_lines):
    person = PersonFactory(date_of_birth=BIRTH_DATE, given_name="Amina", family_name="Haddad")
    application = ApplicationFactory(person=person, state="submitted")
    response = lookup(client, reference=application.reference, HTTP_X_REQUEST_ID="lb-7f3a9c21e0")
    assert response.status_code == 200 and "Where your case is" in response.content.decode()
    assert response["X-Request-ID"] == "lb-7f3a9c21e0"

    lines = json_lines()
    request_line = next(line for line in lines if line["logger"] == "casework.requests")
    assert request_line["request_id"] == "lb-7f3a9c21e0"
    assert request_line["view"] == "status" and request_line["status"] == 200
    assert request_line["method"] == "POST" and request_line["duration_ms"] > 0
    assert {"time", "level", "message"} <= set(request_line)
    # The time in UTC with its offset, so lines from machines in other zones merge in order.
    assert dt.datetime.fromisoformat(request_line["time"]).utcoffset() == dt.timedelta(0)
    assert all(line["request_id"] == "lb-7f3a9c21e0" for line in lines)
    written = "\n".join(json.dumps(line, ensure_ascii=False) for line in lines)
    for personal in (
        application.reference,
        format_reference(application.reference),
        BIRTH_DATE.isoformat(),
        BIRTH_DATE.strftime("%d.%m.%Y"),
        "Amina",
        "Haddad",
    ):
        assert personal not in written


@pytest.mark.django_db
def test_request_data_stays_out_of_json_lines_too(client, json_lines, settings):
    """``DropRequestData`` applies to the JSON format: a crash's record loses the request and
    the query string, and no field a record carries is written unless allowed."""
    settings.ROOT_URLCONF = "tests.security.boom_urls"
    client.raise_request_exception = False
    client.post("/boom/?given_name=Amina", {"family_name": "Rahimi", "date_of_birth": "1990-05-17"})
    lines = json_lines()
    error = next(line for line in lines if line["logger"] == "django.request")
    assert error["message"] == "Internal Server Error: /boom/"
    assert "request" not in error
    written = json.dumps(lines)
    for secret in ("Amina", "Rahimi", "1990-05-17"):
        assert secret not in written
    logging.getLogger("casework.test").info("shown", extra={"person_name": "Amina Rahimi"})
    assert "Amina" not in json.dumps(json_lines())


def test_an_unsafe_incoming_request_id_is_replaced(client):
    for hostile in ("short", "x" * 65, "abc def ghi", 'lb-1"}\n{"level":"CRITICAL', "ünïcode-id-1"):
        response = client.get("/status/", HTTP_X_REQUEST_ID=hostile)
        given = response["X-Request-ID"]
        assert given != hostile and len(given) == 32 and given.isalnum()
    kept = client.get("/status/", HTTP_X_REQUEST_ID="3f2a7c1e-0b9d-4c55-8e2f-6a1d2b3c4d5e")
    assert kept["X-Request-ID"] == "3f2a7c1e-0b9d-4c55-8e2f-6a1d2b3c4d5e"
    assert client.get("/status/")["X-Request-ID"] != client.get("/status/")["X-Request-ID"]


def test_a_task_queued_in_a_request_logs_that_request_id(json_lines):
    """The message header set when the task is published is what the worker binds while the
    task runs (the real worker: tests/casework/test_reminders_services.py)."""
    headers: dict[str, str] = {}
    with requestid.bound("req-5c1d9e7a"):
        requestid.stamp_published_task(headers=headers)
    assert headers == {"request_id": "req-5c1d9e7a"}

    task = SimpleNamespace(
        name="casework.tasks.deliver_reminder", request=SimpleNamespace(**headers)
    )
    requestid.bind_task(task_id="0d7e-task", task=task)
    logging.getLogger("casework.deadlines").info("delivered")
    requestid.unbind_task(task_id="0d7e-task")
    logging.getLogger("casework.deadlines").info("outside")
    inside, outside = json_lines()[-2:]
    assert inside["request_id"] == "req-5c1d9e7a"
    assert inside["task_name"] == "casework.tasks.deliver_reminder"
    assert inside["task_id"] == "0d7e-task"
    assert outside["request_id"] != "req-5c1d9e7a" and "task_id" not in outside

    # a task beat started has no request (a worker's thread, where no request ever ran):
    # its own id stands in
    def run_in_worker() -> None:
        task = SimpleNamespace(name="casework.tasks.sweep_deadlines", request=SimpleNamespace())
        requestid.bind_task(task_id="beat-task-1", task=task)
        logging.getLogger("casework.deadlines").info("sweeping")
        requestid.unbind_task(task_id="beat-task-1")

    contextvars.Context().run(run_in_worker)
    assert json_lines()[-1]["request_id"] == "beat-task-1"


def test_log_format_json_makes_every_line_json_in_a_real_process(tmp_path):
    code = (
        "import django, logging; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/status/', HTTP_X_REQUEST_ID='proxy-given-0042');"
        "logging.getLogger('django.server').info('\"GET /status/ HTTP/1.1\" 200 2965');"
        "print(r.status_code, r['X-Request-ID'])"
    )
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_FORMAT": "json",
        "LOG_LEVEL": "INFO",
        "VAR_DIR": str(tmp_path),
    }
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["200", "proxy-given-0042"]
    lines = [json.loads(line) for line in result.stderr.splitlines()]
    served = next(line for line in lines if line["logger"] == "casework.requests")
    assert served["request_id"] == "proxy-given-0042" and served["view"] == "status"
    # the server's own line for the request, logged after the response left Django, too
    assert lines[-1]["logger"] == "django.server"
    assert lines[-1]["request_id"] == "proxy-given-0042"
