"""The OpenAPI schema: valid without warnings, offline docs, and the API keeps its word.

schemathesis generates requests from /api/schema/ (valid and invalid ones) and sends them
through the Django WSGI application: no answer may be a server error, and every documented
answer must match its schema. A bounded number of examples keeps it to seconds.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, Phase
from hypothesis import settings as hypothesis_settings
from rest_framework.authtoken.models import Token
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from casework.applications.choices import State
from tests.api import lazy_schema
from tests.factories import (
    ApplicationFactory,
    AuditEventFactory,
    DecisionFactory,
    InterviewFactory,
    UserFactory,
)


def test_schema_validates_without_warnings(tmp_path):
    call_command(
        "spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml")
    )
    text = (tmp_path / "schema.yml").read_text()
    for name in (
        "start_examination",
        "accept",
        "reject",
        "appeal",
        "grant_appeal",
        "dismiss_appeal",
        "remit",
        "withdraw",
    ):
        assert f"/api/v1/applications/{{id}}/transitions/{name}/:" in text


@pytest.mark.django_db
def test_docs_are_served_from_local_files(client):
    page = client.get("/api/docs/").content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert client.get("/api/schema/").status_code == 200


@pytest.fixture
def _keep_test_connection():
    """Calls go through the real WSGI handler, which closes "old" connections on each request;
    inside the test's transaction that would close it. Django's test client does the same."""
    from django.core.signals import request_finished, request_started
    from django.db import close_old_connections

    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


@pytest.fixture
def superuser_token(db, unit, _keep_test_connection):
    """A superuser's token and a few records, so generated ids sometimes hit something."""
    user = UserFactory(username="schemathesis", is_superuser=True)
    for state in (State.SUBMITTED, State.EXAMINED, State.APPEALED):
        app = ApplicationFactory(state=state, unit=unit)
        InterviewFactory(application=app)
        DecisionFactory(application=app)
        AuditEventFactory(application=app)
    return Token.objects.create(user=user).key


@pytest.fixture(scope="session")
def api_schema(django_db_setup, django_db_blocker):
    """Loaded by the first test that runs with it (tests.api.lazy_schema), once per process."""
    loaded = lazy_schema.load(django_db_blocker)
    # The coverage phase enumerates every boundary of every field (a thousand requests for
    # one operation with a country list); the fuzzing phase with a fixed budget is enough.
    loaded.config.phases.coverage.enabled = False
    return loaded


@hypothesis_settings(
    max_examples=5,
    deadline=None,
    derandomize=True,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
@pytest.mark.django_db
def _conforms_to_its_schema(case, superuser_token):
    headers = {"Authorization": f"Token {superuser_token}"}
    case.call_and_validate(
        headers=headers,
        checks=[not_a_server_error, response_schema_conformance, content_type_conformance],
    )


# Every operation, dealt into two test items so that parallel workers share them.
test_api_conforms_to_its_schema_part_0 = lazy_schema.part("api_schema", 0, 2).parametrize()(
    _conforms_to_its_schema
)
test_api_conforms_to_its_schema_part_1 = lazy_schema.part("api_schema", 1, 2).parametrize()(
    _conforms_to_its_schema
)
