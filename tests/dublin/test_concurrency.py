"""Silence is acceptance exactly once, even when two sweeps run at the same moment
(PostgreSQL, two real connections): one accepts, the other finds it accepted."""

from __future__ import annotations

import threading

import pytest
import time_machine
from django.db import connection

from casework.dublin.choices import RequestState
from casework.dublin.models import DublinRuleSet
from casework.dublin.rulesets import load
from casework.dublin.services import dublin_deadlines_sweep
from casework.models import AuditEvent, DublinRequest
from tests.dublin.helpers import at, dublin_case, prepared, sent

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


def test_two_sweeps_at_once_accept_by_silence_once(caseworker):
    load(DublinRuleSet)  # a transactional test starts from empty tables
    import datetime as dt

    app = dublin_case(caseworker, lodged_on=dt.date(2026, 6, 11))
    requests = []
    for state in ("SE", "DK", "FI"):
        request = prepared(caseworker, app, now=at("2026-06-30"), member_state=state)
        requests.append(sent(caseworker, request, now=at("2026-07-01")))
    barrier = threading.Barrier(2)
    results: list = []

    def sweep() -> None:
        try:
            with time_machine.travel(at("2026-09-02"), tick=False):
                barrier.wait(timeout=10)
                results.append(dublin_deadlines_sweep()["accepted_by_silence"])
        finally:
            connection.close()

    threads = [threading.Thread(target=sweep) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert sum(results) == 3 and len(results) == 2
    assert set(DublinRequest.objects.values_list("state", flat=True)) == {RequestState.ACCEPTED}
    assert AuditEvent.objects.filter(action="dublin.accept_by_silence").count() == 3
