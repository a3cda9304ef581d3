"""Query counts found by the benchmarks (issue 11): counts belong in tests, times in bench/."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework import services
from casework.channels import channels_for
from casework.choices import State
from casework.deadlines import get_source, sources
from casework.models import Deadline
from tests.factories import ApplicationFactory


def _reminder_inserts(captured: list[dict]) -> int:
    return sum(q["sql"].startswith('INSERT INTO "casework_reminder"') for q in captured)


def _statements(source_keys: set[str]) -> int:
    """INSERT … SELECT statements the reminder machinery runs for these sources."""
    return sum(
        len(channels_for(audience, kind.channels))
        for key in source_keys
        for kind in get_source(key).reminders
        for audience in kind.audiences
    )


def test_a_decision_runs_the_reminder_statements_of_its_own_deadlines_only(
    unit, caseworker, decider
):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_waived_reason="Ill."
    )
    with CaptureQueriesContext(connection) as ctx:
        services.application_decide(
            actor=decider, application=app, outcome="rejected", grounds="No risk on return."
        )
    set_now = set(Deadline.objects.filter(application=app).values_list("source", flat=True))
    assert set_now, "the rejection sets the appeal deadline"
    assert len(sources()) > len(set_now)
    # Before issue 11 every registered source's statements ran for one deadline (86 queries).
    assert _reminder_inserts(ctx.captured_queries) <= _statements(set_now)
    assert _reminder_inserts(ctx.captured_queries) < _statements(set(sources()))
