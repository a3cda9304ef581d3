"""Query counts found by the benchmarks (issue 11): counts belong in tests, times in bench/."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework import services
from casework.channels import channels_for
from casework.choices import State
from casework.deadlines import get_source, sources
from casework.models import Deadline
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory


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


def _status_form(app, born) -> dict:  # noqa: ANN001
    return {
        "reference": app.reference,
        "day": str(born.day),
        "month": str(born.month),
        "year": str(born.year),
    }


@pytest.mark.django_db
def test_a_status_lookup_reads_the_case_once(client, settings):
    """One statement reads the case, the applicant's birth date and the next interview; then
    the lookup log row and the residence provider's placement (reception): 3 in all, where
    issue 11's profile found 5 (the case loaded twice, the interview asked separately), once
    the waiting-time figures are in the cache."""
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "1000/h"
    born = dt.date(1990, 3, 15)
    app = ApplicationFactory(person=PersonFactory(date_of_birth=born), state=State.SUBMITTED)
    InterviewFactory(application=app, location="UDI, Oslo")
    # The first lookup also computes the cached waiting-time figures (10 and 1 minutes).
    client.post("/status/", _status_form(app, born))
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born))
    assert "Your asylum interview is on" in response.content.decode()
    assert "UDI, Oslo" in response.content.decode()
    sql = [q["sql"] for q in ctx.captured_queries]
    assert sum('FROM "casework_application"' in s for s in sql) == 1, sql
    assert not any('FROM "casework_interview"' in s.split(" LEFT JOIN ")[0] for s in sql), sql
    assert len(sql) <= 3, sql
    # A wrong birth date runs the same one statement and writes the same log row.
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born + dt.timedelta(days=1)))
    assert "We could not find a case" in response.content.decode()
    assert len(ctx.captured_queries) == 2
