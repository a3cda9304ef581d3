"""Which database a read uses: the replica only where a stale answer is harmless, and never
after a write or inside a transaction. On any database: the ``replica`` here is the primary
under a second name (the real replica: ``test_streaming_replica.py``)."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.db import connections, router, transaction
from django.test.utils import CaptureQueriesContext

from casework.applications.models import Application
from casework.audit.models import AuditEvent
from casework.core.replica import PIN_COOKIE, replica_alias, stale_reads
from casework.privacy.models import AccessLog
from casework.status.models import QueueDay, StatusLookup, WaitingFigure
from tests.factories import ApplicationFactory

from .conftest import REPLICA_DB

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("mirrored_replica", "unpinned")]


def test_stale_reads_go_to_the_replica_only_for_the_models_named():
    assert WaitingFigure.objects.all().db == "default"  # outside: the primary
    with stale_reads(WaitingFigure, QueueDay):
        assert WaitingFigure.objects.all().db == "replica"
        assert QueueDay.objects.all().db == "replica"
        assert Application.objects.all().db == "default"
    with stale_reads():
        assert Application.objects.all().db == "replica"
    assert Application.objects.all().db == "default"


def test_after_a_write_the_same_task_reads_from_the_primary():
    with stale_reads():
        assert router.db_for_write(Application) == "default"
        assert Application.objects.all().db == "default"
        assert replica_alias() == "default"


def test_log_and_session_writes_pin_nothing():
    for model in (StatusLookup, AccessLog, Session):
        assert router.db_for_write(model) == "default"
    with stale_reads():
        assert Application.objects.all().db == "replica"


def test_inside_a_transaction_reads_come_from_the_primary():
    with transaction.atomic(), stale_reads():
        assert Application.objects.all().db == "default"
    with stale_reads():
        assert Application.objects.all().db == "replica"


def _replica_queries(client, path: str) -> int:
    with CaptureQueriesContext(connections["replica"]) as replica_queries:
        assert client.get(path).status_code == 200
    return len(replica_queries)


def test_a_browser_that_wrote_reads_the_primary_for_a_few_seconds(client, caseworker, settings):
    settings.REPLICA_PIN_SECONDS = 7
    client.force_login(caseworker)
    app = ApplicationFactory(assigned_to=caseworker)
    audit_list = "/admin/casework/auditevent/"
    assert _replica_queries(client, audit_list) > 0  # the list comes from the replica
    assert PIN_COOKIE not in client.cookies  # its access-log row pins nothing

    withdrawn = client.post(
        f"/api/v1/applications/{app.pk}/transitions/withdraw/",
        {"reason": "Left the country."},
        content_type="application/json",
    )
    assert withdrawn.status_code == 200, withdrawn.content
    cookie = withdrawn.cookies[PIN_COOKIE]
    assert cookie["max-age"] == 7 and cookie["httponly"]
    assert AuditEvent.objects.filter(application=app).exists()
    assert _replica_queries(client, audit_list) == 0  # the next page reads the primary

    del client.cookies[PIN_COOKIE]  # seven seconds later
    assert _replica_queries(client, audit_list) > 0
