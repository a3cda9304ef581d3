"""Expected waiting time (80th percentile) and cases ahead, at answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.utils import timezone

from casework.status import waiting
from casework.status.waiting import cases_ahead, expected_waiting_days, percentile_cont
from tests.factories import ApplicationFactory, DecisionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def decided_case(*, days: int, decided_days_ago: int = 10, kind="protection", track="normal"):
    """A case lodged ``days`` before its first decision, decided ``decided_days_ago`` ago."""
    decided_at = NOW - dt.timedelta(days=decided_days_ago)
    decided_on = timezone.localtime(decided_at).date()
    app = ApplicationFactory(
        kind=kind, track=track, state="accepted", lodged_on=decided_on - dt.timedelta(days=days)
    )
    DecisionFactory(application=app, instance="first", decided_at=decided_at)
    return app


def test_percentile_cont_matches_sql_interpolation():
    assert percentile_cont([10, 20, 30, 40, 50, 60, 70, 80, 90, 100], 0.8) == pytest.approx(82)
    assert percentile_cont([5], 0.8) == 5
    assert percentile_cont([1, 2], 0.5) == pytest.approx(1.5)


def test_80th_percentile_of_similar_cases_decided_in_last_six_months():
    for days in (10, 20, 30, 40, 50, 60, 70, 80, 90, 100):
        decided_case(days=days)
    # Not similar, or too old: none of these may move the answer.
    decided_case(days=900, kind="collective")
    decided_case(days=900, track="fast")
    decided_case(days=900, decided_days_ago=200)
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 82


def test_only_the_first_decision_counts_and_withdrawals_do_not():
    apps = [decided_case(days=d) for d in (10, 20, 30, 40, 50)]
    # A remitted case decided again later: still counted once, from its first decision.
    DecisionFactory(application=apps[0], instance="first", decided_at=NOW - dt.timedelta(days=1))
    DecisionFactory(application=apps[1], instance="appeal", decided_at=NOW - dt.timedelta(days=1))
    withdrawn = ApplicationFactory(state="withdrawn", lodged_on=NOW.date() - dt.timedelta(days=5))
    DecisionFactory(application=withdrawn, instance="first", outcome="withdrawn", decided_at=NOW)
    # [10, 20, 30, 40, 50]: position 0.8 * 4 = 3.2 -> 40 + 0.2 * 10 = 42
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 42


def test_too_few_cases_give_no_estimate():
    for days in range(waiting.MIN_SAMPLE - 1):
        decided_case(days=30 + days)
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) is None


def test_estimate_is_cached_briefly():
    for days in (10, 20, 30, 40, 50):
        decided_case(days=days)
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 42
    decided_case(days=500)
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 42
    cache.clear()
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) > 42


def test_cases_ahead_counts_older_waiting_cases_of_same_kind_and_track():
    today = timezone.localdate()
    older = [
        ApplicationFactory(state=s, lodged_on=today - dt.timedelta(days=60))
        for s in ("submitted", "examined", "submitted")
    ]
    # Not waiting, other kind or track, or newer: not ahead.
    ApplicationFactory(state="accepted", lodged_on=today - dt.timedelta(days=90))
    ApplicationFactory(state="appealed", lodged_on=today - dt.timedelta(days=90))
    ApplicationFactory(kind="collective", lodged_on=today - dt.timedelta(days=90))
    ApplicationFactory(track="fast", lodged_on=today - dt.timedelta(days=90))
    mine = ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=30))
    ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=10))
    assert cases_ahead(application=mine) == 3
    # Same day: registered earlier is ahead.
    assert cases_ahead(application=older[2]) == 2
    assert cases_ahead(application=older[0]) == 0


def test_cases_ahead_is_right_on_a_day_the_shared_queue_figures_do_not_know_yet():
    """The figures per lodging day are shared and a minute old at most; a case lodged on a
    day they do not hold yet is counted directly."""
    today = timezone.localdate()
    ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=60))
    first = ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=30))
    assert cases_ahead(application=first) == 1  # the queue figures are now cached
    later = ApplicationFactory(state="examined", lodged_on=today - dt.timedelta(days=20))
    same_day = ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=20))
    assert cases_ahead(application=later) == 2
    assert cases_ahead(application=same_day) == 3


def test_no_queue_position_for_a_decided_case():
    ApplicationFactory(state="submitted", lodged_on=timezone.localdate() - dt.timedelta(days=90))
    decided = ApplicationFactory(state="rejected")
    assert cases_ahead(application=decided) == 0


@pytest.mark.services("postgres")
def test_postgres_uses_percentile_cont_with_same_answer():
    from django.db import connection

    assert connection.vendor == "postgresql"
    for days in (3, 7, 8, 15, 16, 23, 42):
        decided_case(days=days)
    # position 0.8 * 6 = 4.8 -> 16 + 0.8 * 7 = 21.6 -> 22 days
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 22
