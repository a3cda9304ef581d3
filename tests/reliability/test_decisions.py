"""No lost and no double decisions: eight decision-makers press "decide" on one case at once.

Each of 100 rounds creates a fresh case under examination; eight threads, each with its own
PostgreSQL connection, wait at a barrier and then call ``application_decide`` with different
outcomes. The row lock in the service lets exactly one through; the seven others find the
case decided and get ``TransitionConflict`` (the admin shows it as "reload", the API as 409).
"""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
from django.db import connection
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.core.exceptions import TransitionConflict
from casework.models import Application, AuditEvent, Decision
from tests.factories import ApplicationFactory

ROUNDS = 100
THREADS = 8
OUTCOMES = [
    "refugee_convention",
    "rejected",
    "humanitarian",
    "refugee_other",
    "rejected",
    # (not the minor's limited permit: its terms refuse an adult applicant before any lock)
    "humanitarian",
    "refugee_convention",
    "rejected",
]

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]


@pytest.mark.django_db(transaction=True)
def test_eight_concurrent_decisions_one_wins_every_round(unit, caseworker, decider):
    apps = [
        ApplicationFactory(
            state=State.EXAMINED,
            unit=unit,
            assigned_to=caseworker,
            interview_held_at=timezone.now(),
        )
        for _ in range(ROUNDS)
    ]
    start = threading.Barrier(THREADS + 1)
    done = threading.Barrier(THREADS + 1)
    current: dict[str, Application] = {}
    results: list[list[str]] = [[] for _ in range(ROUNDS)]
    errors: list[BaseException] = []
    lock = threading.Lock()

    def decision_maker(i: int) -> None:
        try:
            for rnd in range(ROUNDS):
                start.wait(timeout=30)
                # Each thread loads the case itself, as a request would.
                app = Application.objects.get(pk=current["app"].pk)
                try:
                    application_decide(
                        actor=decider,
                        application=app,
                        outcome=OUTCOMES[i],
                        grounds=f"Assessed by thread {i}.",
                    )
                    outcome = "won"
                except TransitionConflict:
                    outcome = "conflict"
                with lock:
                    results[rnd].append(outcome)
                done.wait(timeout=30)
        except BaseException as exc:  # reported by the main thread
            errors.append(exc)
            start.abort()
            done.abort()
        finally:
            connection.close()

    threads = [threading.Thread(target=decision_maker, args=(i,)) for i in range(THREADS)]
    for t in threads:
        t.start()
    began = time.monotonic()
    for rnd in range(ROUNDS):
        current["app"] = apps[rnd]
        start.wait(timeout=30)
        done.wait(timeout=30)
    for t in threads:
        t.join(timeout=30)
    elapsed = time.monotonic() - began
    assert not errors, errors

    for rnd, outcomes in enumerate(results):
        assert Counter(outcomes) == {"won": 1, "conflict": THREADS - 1}, (rnd, outcomes)

    ids = [a.pk for a in apps]
    per_case = Counter(
        Decision.objects.filter(application_id__in=ids).values_list("application_id", flat=True)
    )
    assert per_case == dict.fromkeys(ids, 1)
    audit = Counter(
        AuditEvent.objects.filter(
            application_id__in=ids, action__in=["accept", "reject"]
        ).values_list("application_id", flat=True)
    )
    assert audit == dict.fromkeys(ids, 1)
    states = Counter(Application.objects.filter(pk__in=ids).values_list("state", flat=True))
    assert set(states) <= {State.ACCEPTED, State.REJECTED}
    assert sum(states.values()) == ROUNDS
    # Every case's version moved exactly once: no write of a losing thread leaked through.
    assert set(Application.objects.filter(pk__in=ids).values_list("version", flat=True)) == {2}
    print(
        f"\n{ROUNDS} rounds x {THREADS} threads: {ROUNDS} won, "
        f"{ROUNDS * (THREADS - 1)} conflicts, {elapsed:.1f}s"
    )
