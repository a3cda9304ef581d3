"""Expected waiting time (80th percentile) and cases ahead, at answers worked out by hand."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.applications.models import Application
from casework.status import waiting
from casework.status.services import waiting_figures_refresh
from casework.status.waiting import cases_ahead, percentile_cont
from tests.factories import ApplicationFactory, DecisionFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)


def expected_waiting_days(*, kind: str, track: str, now: dt.datetime) -> int | None:
    """The figure as a lookup reads it, after the refresh task has run at ``now``."""
    waiting_figures_refresh(now=now)
    return waiting.expected_waiting_days(kind=kind, track=track)


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


def test_a_lookup_reads_the_refreshed_figure_and_never_computes_it(monkeypatch):
    for days in (10, 20, 30, 40, 50):
        decided_case(days=days)
    assert waiting.expected_waiting_days(kind="protection", track="normal") is None  # not yet
    waiting_figures_refresh(now=NOW)
    decided_case(days=500)

    def computing(**kwargs):
        raise AssertionError("a lookup computed the waiting time")

    monkeypatch.setattr(waiting, "compute_waiting_days", computing)
    monkeypatch.setattr(waiting, "compute_queue_days", computing)
    assert waiting.expected_waiting_days(kind="protection", track="normal") == 42
    monkeypatch.undo()
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
    waiting_figures_refresh()
    assert cases_ahead(application=mine) == 3
    # Same day: registered earlier is ahead.
    assert cases_ahead(application=older[2]) == 2
    assert cases_ahead(application=older[0]) == 0


def test_cases_ahead_is_right_on_a_day_the_shared_queue_figures_do_not_know_yet():
    """The figures per lodging day are the refresh task's; a case lodged on a day they do not
    hold yet is counted from their last day on, and before any refresh from the queue."""
    today = timezone.localdate()
    ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=60))
    first = ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=30))
    assert cases_ahead(application=first) == 1  # no refresh yet
    waiting_figures_refresh()
    assert cases_ahead(application=first) == 1
    later = ApplicationFactory(state="examined", lodged_on=today - dt.timedelta(days=20))
    same_day = ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=20))
    assert cases_ahead(application=later) == 2
    assert cases_ahead(application=same_day) == 3


def test_no_queue_position_for_a_decided_case():
    ApplicationFactory(state="submitted", lodged_on=timezone.localdate() - dt.timedelta(days=90))
    decided = ApplicationFactory(state="rejected")
    waiting_figures_refresh()
    assert cases_ahead(application=decided) == 0


@pytest.mark.services("postgres")
def test_postgres_uses_percentile_cont_with_same_answer():
    from django.db import connection

    assert connection.vendor == "postgresql"
    for days in (3, 7, 8, 15, 16, 23, 42):
        decided_case(days=days)
    # position 0.8 * 6 = 4.8 -> 16 + 0.8 * 7 = 21.6 -> 22 days
    assert expected_waiting_days(kind="protection", track="normal", now=NOW) == 22


def test_beat_refreshes_the_figures_on_its_schedule_and_when_it_starts(settings, monkeypatch):
    from celery.signals import beat_init

    from casework.status.tasks import refresh_waiting_figures
    from config import celery as celery_config

    schedule = {e["task"]: e for e in celery_config._beat_schedule().values()}
    entry = schedule["casework.tasks.refresh_waiting_figures"]
    assert entry["schedule"] == settings.WAITING_REFRESH_SECONDS
    assert refresh_waiting_figures.name in celery_config.app.tasks
    sent = []
    monkeypatch.setattr(celery_config.app, "send_task", lambda name, *a, **k: sent.append(name))
    beat_init.send(sender=None)
    # among what beat sends when it starts (the sweep and the statistics too)
    assert "casework.tasks.refresh_waiting_figures" in sent
    assert "casework.tasks.sweep_deadlines" in sent


def test_the_refresh_task_stores_what_a_lookup_reads():
    from casework.status.tasks import refresh_waiting_figures

    for days in (10, 20, 30, 40, 50):  # decided yesterday: the task runs at the real now
        decided_case(days=days, decided_days_ago=(NOW - timezone.now()).days + 1)
    result = refresh_waiting_figures.apply()
    assert result.successful() and result.result == 9  # 3 kinds x 3 tracks
    assert waiting.expected_waiting_days(kind="protection", track="normal") == 42


def _orm_figures(application) -> tuple[int | None, int]:
    """What ``waiting_figures``' one statement reads, with the ORM: the stored figure, and
    the waiting cases of the kind and track lodged earlier or the same day and registered
    before (exact while nothing was decided since the refresh)."""
    from django.db.models import Q

    from casework.status.models import WaitingFigure

    days = (
        WaitingFigure.objects.filter(kind=application.kind, track=application.track)
        .values_list("p80_days", flat=True)
        .first()
    )
    ahead = (
        Application.objects.filter(
            kind=application.kind, track=application.track, state__in=waiting.WAITING_STATES
        )
        .filter(
            Q(lodged_on__lt=application.lodged_on)
            | Q(lodged_on=application.lodged_on, pk__lt=application.pk)
        )
        .count()
    )
    return days, ahead


def test_the_figures_statement_reads_what_the_orm_reads():
    """Before any refresh, after one, and for cases lodged since it (a later day, or a day it
    counted): the statement's answer is the ORM's, for every waiting case of every track."""
    today = timezone.localdate()
    for days in (10, 20, 30, 40, 50):
        decided_case(days=days, decided_days_ago=(NOW - timezone.now()).days + 1)
    cases = [
        ApplicationFactory(
            state=("submitted", "examined")[n % 2],
            track=("normal", "fast")[n % 3 == 0],
            lodged_on=today - dt.timedelta(days=40 - 5 * (n // 2)),
        )
        for n in range(12)
    ]
    ApplicationFactory(state="accepted", lodged_on=today - dt.timedelta(days=33))

    def compare() -> None:
        for app in Application.objects.filter(state__in=waiting.WAITING_STATES):
            assert waiting.waiting_figures(application=app) == _orm_figures(app), app.lodged_on

    compare()  # no refresh yet: everything counted live
    waiting_figures_refresh()
    compare()
    ApplicationFactory(state="submitted", lodged_on=today)  # days after the last counted
    ApplicationFactory(state="examined", lodged_on=today)
    compare()
    # A case lodged since on a day the refresh counted is seen by the cases after that day
    # at the next refresh (the counts are the refresh's, at most one interval old).
    late = ApplicationFactory(state="submitted", lodged_on=cases[-1].lodged_on)
    newest = Application.objects.filter(lodged_on=today).order_by("pk").first()
    assert waiting.waiting_figures(application=newest)[1] == _orm_figures(newest)[1] - 1
    assert waiting.waiting_figures(application=late) == _orm_figures(late)
    waiting_figures_refresh()
    compare()
    normal = next(c for c in cases if c.track == "normal")
    assert waiting.waiting_figures(application=normal)[0] == 42


@pytest.mark.services("postgres")
def test_on_postgresql_the_figures_statement_reads_what_the_orm_reads():
    from django.db import connection

    assert connection.vendor == "postgresql"
    test_the_figures_statement_reads_what_the_orm_reads()
