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
import re
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
from tests.factories import (
    ApplicationFactory,
    AuditEventFactory,
    DeadlineFactory,
    DecisionFactory,
    InterviewFactory,
    PersonFactory,
    ReminderFactory,
    UserFactory,
)
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    eligible_case,
)
from tests.reception.factories import (
    PlacementFactory,
    ReceptionCentreFactory,
    SettlementFactory,
)

EXAMPLES = int(os.environ.get("API_FUZZ_EXAMPLES", "15"))
BUDGET_SECONDS = float(os.environ.get("API_FUZZ_SECONDS", "0.4"))
CALLS: list[str] = []


@pytest.fixture(scope="session")
def fuzzed_schema(django_db_setup, django_db_blocker):
    """Loaded by the first test that runs with it (tests.api.lazy_schema), once per process."""
    return lazy_schema.load(django_db_blocker)


@pytest.fixture
def fuzz_token(db, unit, caseworker):
    """A superuser's token over one record of every kind the API lists, so that every list and
    detail response has something in it to check against the schema: an open and a closed
    placement (``ended_by`` blank and set), a settlement, a work permit, a family
    reunification, an interview, a decision, an audit event and a reminder."""
    root = UserFactory(username="fuzz-root", is_superuser=True)
    person = PersonFactory(date_of_birth=dt.date(1990, 1, 1))
    cases = [
        ApplicationFactory(
            person=person,
            state=state,
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=timezone.now(),
        )
        for state in (State.SUBMITTED, State.EXAMINED, State.REJECTED)
    ]
    InterviewFactory(application=cases[1])
    DecisionFactory(application=cases[2])
    AuditEventFactory(application=cases[0])
    ReminderFactory(deadline=DeadlineFactory(application=cases[0], recipient_user=caseworker))
    centre, other = ReceptionCentreFactory(), ReceptionCentreFactory()
    today = timezone.localdate()
    PlacementFactory(
        person=person,
        centre=other,
        start=today - dt.timedelta(days=30),
        end=today - dt.timedelta(days=10),
        ended_by="transfer",
    )
    PlacementFactory(person=person, centre=centre, start=today - dt.timedelta(days=10))
    SettlementFactory()
    WorkPermitFactory(application=eligible_case(unit=unit, assigned_to=caseworker))
    FamilyReunificationFactory()
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


@pytest.mark.fault
@pytest.mark.django_db
def test_every_read_operation_answers_as_its_schema_says(fuzzed_schema, fuzz_token):
    """Every GET the schema documents, over one record of each kind, without random input:
    each list page and each record (the first of its list) must match its schema. Generated
    requests mostly miss the records (a random id, a filter that matches nothing); this walks
    them all. An open placement's ``"ended_by": ""`` was outside its enum here."""
    from schemathesis.core.result import Ok

    auth = {"Authorization": f"Token {fuzz_token}"}

    def first_ids(path: str, **path_parameters: int) -> list[int]:
        page = fuzzed_schema[path]["GET"].Case(path_parameters=path_parameters, headers=auth)
        response = page.call()
        body = response.json() if response.status_code == 200 else []
        rows = body if isinstance(body, list) else body.get("results", [])
        return [r["id"] for r in rows if isinstance(r, dict) and "id" in r]

    cases = first_ids("/api/v1/applications/")
    checked, refused = [], []
    operations = [r.ok() for r in fuzzed_schema.get_all_operations() if isinstance(r, Ok)]
    for operation in operations:
        if operation.method.upper() != "GET" or operation.path.endswith("/transitions/"):
            continue
        names = set(re.findall(r"{(\w+)}", operation.path))
        if names - {"id", "application_pk"}:
            continue
        # A case with records under it, and the first record of the list a detail belongs to.
        for case_id in cases if "application_pk" in names else [None]:
            path_parameters = {"application_pk": case_id} if case_id else {}
            if "id" in names:
                # the list the record belongs to: the path up to its id
                ids = first_ids(operation.path.split("{id}/")[0], **path_parameters)
                if not ids:
                    continue
                path_parameters["id"] = ids[0]
            break
        else:
            continue
        case = operation.Case(path_parameters=path_parameters, headers=auth)
        response = case.call()
        # An operation with required parameters answers 400: checked against its schema too.
        assert response.status_code in (200, 400), (operation.label, response.text[:300])
        try:
            case.validate_response(response, checks=[response_schema_conformance])
        except Exception as exc:  # collect them all, then fail naming each
            refused.append(f"{operation.label}: {str(exc)[:400]}")
        checked.append(operation.label)
    print(f"\n{len(checked)} read operations checked against the schema")
    assert not refused, "\n".join(refused)
    assert len(checked) >= 20
