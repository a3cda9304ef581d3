"""A replica that cannot be reached takes nothing down: its reads go to the primary."""

from __future__ import annotations

import logging

import pytest

from casework.applications.models import Application
from casework.core import replica
from casework.core.replica import stale_reads
from casework.statistics.services import statistics_refresh
from tests.factories import ApplicationFactory, PersonFactory
from tests.status.conftest import BIRTH_DATE, lookup, text_of

from .conftest import REPLICA_DB

pytestmark = [REPLICA_DB, pytest.mark.usefixtures("unreachable_replica", "unpinned")]


@pytest.fixture(autouse=True)
def _reachable_at_first(monkeypatch):
    monkeypatch.setattr(replica, "_unreachable_until", 0.0)


def test_reads_go_to_the_primary_and_the_replica_is_not_retried_at_once(caplog, monkeypatch):
    with caplog.at_level(logging.WARNING, logger="casework.core.replica"), stale_reads():
        assert Application.objects.all().db == "default"
    assert caplog.messages == ["replica unreachable (OperationalError): reading from the primary"]

    def tried(*args, **kwargs):
        raise AssertionError("the replica was tried again before REPLICA_RETRY_SECONDS")

    monkeypatch.setattr(replica.connections[replica.REPLICA], "ensure_connection", tried)
    with stale_reads():
        assert Application.objects.all().db == "default"


def test_the_status_page_and_the_statistics_still_answer(client, auditor, settings):
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "1000/h"
    mine = ApplicationFactory(person=PersonFactory(date_of_birth=BIRTH_DATE), state="submitted")
    page = lookup(client, reference=mine.reference)
    assert page.status_code == 200
    assert "0 older cases are still waiting before yours." in text_of(page)
    statistics_refresh(languages=("en",))
    client.force_login(auditor)
    table = client.get("/api/v1/statistics/applications-by-kind/").json()
    assert {row["code"]: row["applications"] for row in table["rows"]} == {"protection": 1}
