"""Two decisions on one case at once: exactly one wins, the other gets a clear conflict."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.core.exceptions import TransitionConflict
from casework.models import AuditEvent, Decision
from tests.factories import ApplicationFactory


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_decision_makers_deciding_at_once(unit, caseworker, decider):
    from django.utils import timezone

    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    barrier = threading.Barrier(2)
    results: list[str] = []

    def decide(outcome: str) -> None:
        try:
            barrier.wait(timeout=10)
            application_decide(actor=decider, application=app, outcome=outcome, grounds="Assessed.")
            results.append("won")
        except TransitionConflict as exc:
            results.append(f"conflict: {exc.message}")
        finally:
            connection.close()  # each thread had its own real connection

    threads = [
        threading.Thread(target=decide, args=(o,)) for o in ("refugee_convention", "rejected")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(r.split(":")[0] for r in results) == ["conflict", "won"]
    assert "not possible while the case is" in next(r for r in results if r != "won")
    assert Decision.objects.filter(application=app).count() == 1
    assert AuditEvent.objects.filter(application=app, action__in=["accept", "reject"]).count() == 1
