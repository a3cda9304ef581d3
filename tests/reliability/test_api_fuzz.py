"""schemathesis against the whole API: random, boundary and schema-violating requests.

Every operation of ``/api/schema/`` is called in-process (WSGI) with a superuser's token (so
no request stops at "forbidden" before reaching the code) over a small data set. Checks: no
5xx ever, and every response matches its documented status codes, content type and schema.
CI runs the boundary cases of schemathesis's coverage phase and 15 generated examples per
operation (``API_FUZZ_EXAMPLES``), capped at ``API_FUZZ_SECONDS`` (0.4 s) of calls per
operation so a slow machine (or a slow database) is not dragged. The longer hunt reported
in docs/reliability.md: ``API_FUZZ_EXAMPLES=200 API_FUZZ_SECONDS=30``.
"""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from casework.applications.choices import State
from tests.api import lazy_schema
from tests.factories import ApplicationFactory, PersonFactory, UserFactory

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
BUDGET_SECONDS = float(os.environ.get("API_FUZZ_SECONDS", "0.4"))
CALLS: list[str] = []


@pytest.fixture(scope="session")
def fuzzed_schema(django_db_setup, django_db_blocker):
    """Loaded by the first test that runs with it (tests.api.lazy_schema), once per process."""
    return lazy_schema.load(django_db_blocker)


@pytest.fixture
def fuzz_token(db, unit, caseworker):
    root = UserFactory(username="fuzz-root", is_superuser=True)
    person = PersonFactory(date_of_birth=dt.date(1990, 1, 1))
    for state in (State.SUBMITTED, State.EXAMINED, State.REJECTED):
        ApplicationFactory(
            person=person,
            state=state,
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=timezone.now(),
        )
    return Token.objects.create(user=root).key


_started: dict[str, float] = {}


@pytest.fixture(autouse=True)
def _keep_the_test_connection():
    """Calls go through Django's real WSGI handler, which closes "old" connections at the end
    of each request; inside the test's transaction that would close it (Django's own test
    client disconnects the same two signals)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture(scope="module", autouse=True)
def _report_calls():
    yield
    print(f"\nschemathesis: {len(CALLS)} requests over {len(_started)} operations")


@pytest.mark.fault
@pytest.mark.django_db  # fixtures come in when the test runs: pytest-django must know now
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def _never_500_and_always_as_documented(case, fuzz_token):
    key = case.operation.label
    began = _started.setdefault(key, time.monotonic())
    if time.monotonic() - began > BUDGET_SECONDS:
        return  # this operation had its time; the rest of its examples pass through
    CALLS.append(key)
    case.headers = {**(case.headers or {}), "Authorization": f"Token {fuzz_token}"}
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


# Every operation, dealt into four test items so that parallel workers share them.
test_api_never_500_and_always_as_documented_part_0 = lazy_schema.part(
    "fuzzed_schema", 0, 4
).parametrize()(_never_500_and_always_as_documented)
test_api_never_500_and_always_as_documented_part_1 = lazy_schema.part(
    "fuzzed_schema", 1, 4
).parametrize()(_never_500_and_always_as_documented)
test_api_never_500_and_always_as_documented_part_2 = lazy_schema.part(
    "fuzzed_schema", 2, 4
).parametrize()(_never_500_and_always_as_documented)
test_api_never_500_and_always_as_documented_part_3 = lazy_schema.part(
    "fuzzed_schema", 3, 4
).parametrize()(_never_500_and_always_as_documented)


@pytest.mark.fault
@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    ["centre=4.8290430333437325e%2B30", "centre=-1e400", "centre=9223372036854775808"],
)
def test_out_of_range_numbers_in_filters_are_a_400(fuzz_token, query):
    """Found by the long schemathesis run: a huge number in a filter was a 500 (OverflowError)."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {fuzz_token}")
    response = client.get(f"/api/v1/placements/?{query}")
    assert response.status_code in (200, 400), response.content[:300]
    assert response["Content-Type"].startswith("application/json")
