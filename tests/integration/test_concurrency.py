"""Races on PostgreSQL with two real connections: exactly one wins, the other a clear conflict.

A transactional test's flush empties the migrated municipalities, so the fixtures here create
what they need (``tests.integration.factories.municipality``).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable

import pytest
from django.db import connection

from casework.core.exceptions import TransitionConflict
from casework.models import AuditEvent
from integration import services
from integration.models import IntroductionProgramme, WorkPermitPeriod
from tests.integration.factories import WorkPermitFactory, eligible_case, settled

pytestmark = [pytest.mark.services("postgres"), pytest.mark.django_db(transaction=True)]


def race(*calls: Callable[[], object]) -> list[str]:
    barrier = threading.Barrier(len(calls))
    results: list[str] = []

    def run(call: Callable[[], object]) -> None:
        try:
            barrier.wait(timeout=10)
            call()
            results.append("won")
        except TransitionConflict as exc:
            results.append(f"conflict: {exc.message}")
        finally:
            connection.close()  # each thread had its own real connection

    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_grant_and_refuse_at_once(unit, caseworker, decider, registrar):
    app = eligible_case(unit=unit, assigned_to=caseworker)
    permit = WorkPermitFactory(application=app, person=app.person)
    results = race(
        lambda: services.work_permit_transition(actor=decider, permit=permit, name="grant"),
        lambda: services.work_permit_transition(
            actor=registrar, permit=permit, name="refuse", grounds="Doubt."
        ),
    )
    assert sorted(r.split(":")[0] for r in results) == ["conflict", "won"]
    assert "not possible while" in next(r for r in results if r != "won")
    decisions = AuditEvent.objects.filter(
        changes__subject=permit.audit_subject,
        action__in=["work_permit.grant", "work_permit.refuse"],
    )
    assert decisions.count() == 1
    assert WorkPermitPeriod.objects.count() == (
        1 if decisions.get().action.endswith("grant") else 0
    )


def test_two_officers_enrolling_the_same_person(bergen_officer):
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)

    def enrol() -> object:
        return services.programme_enrol(
            actor=bergen_officer,
            settlement=settlement,
            start_on=start,
            planned_end_on=start + dt.timedelta(days=365),
        )

    results = race(enrol, enrol)
    assert sorted(r.split(":")[0] for r in results) == ["conflict", "won"]
    assert IntroductionProgramme.objects.count() == 1
    assert AuditEvent.objects.filter(action="programme.enrolled").count() == 1
