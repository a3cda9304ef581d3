"""Expected waiting time and queue position, for applicants and their reminders.

Applicants ask two things: "how long will it take?" and "how many are before me?". We answer
as the US (USCIS "processing times") and Canadian (IRCC) authorities do: the time within
which 8 out of 10 similar cases were decided, measured over cases decided in the last six
months. "Similar" means the same kind of application and the same procedure track; the time
runs from lodging (``Application.lodged_on``) to the *first* first-instance decision (a case
remitted by the appeals body and decided again is not counted twice). Withdrawals are not
decisions of the authority and stay out of the sample.

Both figures are computed by Celery beat (``casework.status.services.waiting_figures_refresh``,
every ``WAITING_REFRESH_SECONDS`` and when beat starts) and kept in two small tables; a status
lookup only reads them. The percentile took 14.5 to 18 s on SQLite at the demo scale inside
the first applicant's request after a cache entry expired; no applicant waits for it now.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from django.db import connection, connections, router
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    Min,
    OuterRef,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from casework.applications.choices import Instance, Outcome, State
from casework.applications.models import Application, Decision
from casework.core.statements import concrete_field
from casework.status.models import QueueDay, WaitingFigure

log = logging.getLogger(__name__)

PERCENTILE = 0.8
WINDOW = dt.timedelta(days=183)  # six months of decisions
MIN_SAMPLE = 5  # below this, a "typical" time would be one or two people's stories
WAITING_STATES = (State.SUBMITTED, State.EXAMINED)


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``PERCENTILE_CONT(f) WITHIN GROUP (ORDER BY x)``."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, *, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=float(fraction), **extra)


class DaysBetween(Func):
    """Whole days from ``start`` to ``end`` (two dates), as a number on every backend."""

    output_field = FloatField()
    arity = 2

    def as_sql(self, compiler, connection, **extra_context):
        start, end = self.source_expressions
        start_sql, start_params = compiler.compile(start)
        end_sql, end_params = compiler.compile(end)
        if connection.vendor == "postgresql":
            return f"(({end_sql})::date - ({start_sql})::date)", [*end_params, *start_params]
        return (
            f"(julianday({end_sql}) - julianday({start_sql}))",
            [*end_params, *start_params],
        )


def percentile_cont(values: list[float], fraction: float) -> float:
    """The same linear interpolation as SQL's PERCENTILE_CONT, for backends without it."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (position - low) * (ordered[high] - ordered[low])


def _decided_cases(*, kind: str, track: str, since: dt.datetime) -> Any:
    """First-instance decisions of this kind and track since ``since``, one per application."""
    earlier = Decision.objects.filter(
        application=OuterRef("application"),
        instance=Instance.FIRST,
        decided_at__lt=OuterRef("decided_at"),
    ).exclude(outcome=Outcome.WITHDRAWN)
    return (
        Decision.objects.filter(
            instance=Instance.FIRST,
            decided_at__gte=since,
            application__kind=kind,
            application__track=track,
        )
        .exclude(outcome=Outcome.WITHDRAWN)
        .exclude(Exists(earlier))
        .annotate(
            days=DaysBetween(
                F("application__lodged_on"), TruncDate("decided_at", output_field=DateField())
            )
        )
    )


def _first_decision_days_sqlite(*, kind: str, track: str, since: dt.datetime) -> list[float]:
    """The same sample as ``_decided_cases``, as one ``GROUP BY`` per application.

    Why not the ``NOT EXISTS`` of ``_decided_cases``: SQLite's planner answers its correlated
    subquery through the (instance, decided_at) index, reading every earlier decision for each
    decision (37 s per kind and track at the demo scale); the earliest first-instance decision
    per application is one pass over the decisions.
    """
    firsts = (
        Decision.objects.filter(
            instance=Instance.FIRST, application__kind=kind, application__track=track
        )
        .exclude(outcome=Outcome.WITHDRAWN)
        .values_list("application_id", "application__lodged_on")
        .annotate(first_at=Min("decided_at"))
        .filter(first_at__gte=since)
        .order_by()
    )
    return [
        float((timezone.localtime(first_at).date() - lodged_on).days)
        for _id, lodged_on, first_at in firsts
    ]


def compute_waiting_days(*, kind: str, track: str, now: dt.datetime) -> tuple[int | None, int]:
    """The 80th percentile in whole days (None below ``MIN_SAMPLE``) and the sample size.

    Only the refresh task (``casework.status.services``) calls it: it reads six months of
    decisions (0.1 to 0.4 s per kind and track at a million cases on PostgreSQL).
    """
    if connection.vendor == "postgresql":
        cases = _decided_cases(kind=kind, track=track, since=now - WINDOW)
        row = cases.aggregate(p=PercentileCont("days", fraction=PERCENTILE), n=Count("id"))
        if row["n"] < MIN_SAMPLE or row["p"] is None:
            return None, row["n"]
        return math.ceil(row["p"] - 1e-9), row["n"]
    days = _first_decision_days_sqlite(kind=kind, track=track, since=now - WINDOW)
    if len(days) < MIN_SAMPLE:
        return None, len(days)
    return math.ceil(percentile_cont(days, PERCENTILE) - 1e-9), len(days)


def compute_queue_days(*, kind: str, track: str) -> list[tuple[dt.date, int, int]]:
    """For each day on which a waiting case of this kind and track was lodged: the day, how
    many waiting cases were lodged before it, and how many that day. One ``GROUP BY`` over
    the queue, run by the refresh task, never by a lookup."""
    days = (
        Application.objects.filter(kind=kind, track=track, state__in=WAITING_STATES)
        .order_by("lodged_on")
        .values_list("lodged_on")
        .annotate(n=Count("id"))
    )
    out, total = [], 0
    for day, n in days:
        out.append((day, total, n))
        total += n
    return out


def expected_waiting_days(*, kind: str, track: str) -> int | None:
    """Days within which 80 % of similar cases decided in the last six months were decided,
    as the refresh task last computed it (one indexed row).

    Rounded up to whole days; ``None`` when fewer than ``MIN_SAMPLE`` such cases exist (an
    estimate from one or two cases would mislead more than it helps) and before the first
    refresh: the page then says it has no estimate rather than making the applicant wait.
    """
    return (
        WaitingFigure.objects.filter(kind=kind, track=track)
        .values_list("p80_days", flat=True)
        .first()
    )


def cases_ahead(*, application: Application) -> int:
    """How many older cases of the same kind and track are still waiting for a first decision.

    "Older" means lodged earlier, or the same day and registered before. Zero for a case that
    is not itself waiting (decided, withdrawn, or with the appeals body).
    """
    if application.state not in WAITING_STATES:
        return 0
    return waiting_figures(application=application)[1]


_figures_sql: dict[str, str] = {}


def _waiting_figures_sql(connection: Any) -> str:
    """The statement reading one case's two figures, built once per database.

    The expected time is the refresh task's row of the kind and track. The cases ahead are
    the ``before`` of the refresh task's latest ``QueueDay`` up to the applicant's lodging day
    (with that day's own count when it is an earlier day), plus a live count of what that row
    cannot know: cases lodged after it and before the applicant's day, and the same day's
    cases registered earlier. That count is a range of days on the ``(kind, track, state,
    lodged_on)`` index, never the whole queue (before beat's very first refresh there is no
    row and it counts the earlier days too). One round trip for both figures.

    The count's range is also written as plain bounds on ``lodged_on`` (from the row's day, or
    the first day there is, to the applicant's): the ``OR`` that says exactly which cases count
    gives the planner no range, and it read every case of the table (12-17 ms a lookup at
    78,000 cases) where the bounds read the few index entries of a day or two.
    """
    if connection.alias not in _figures_sql:
        _figures_sql[connection.alias] = figures_select(
            connection, at="%s", kind="%s", track="%s", case="%s"
        )
    return _figures_sql[connection.alias]


def figures_select(connection: Any, *, at: str, kind: str, track: str, case: str) -> str:
    """``_waiting_figures_sql``'s statement for the case whose lodging day, kind, track and id
    are the SQL expressions given (``%s`` each, or the columns of a row the statement has
    already read, as in the status lookup's own statement); its other parameters are the two
    waiting states and the first day there is (``figures_params``). Columns: ``waiting_days``,
    ``waiting_known``, ``waiting_live`` (the figures are the first and the sum of the others).
    """
    q = connection.ops.quote_name
    app, fig, day = Application._meta.db_table, WaitingFigure._meta.db_table, QueueDay._meta
    a = {n: q(concrete_field(Application, n).column) for n in ("kind", "track", "state")}
    lodged, pk = q(concrete_field(Application, "lodged_on").column), q("id")
    # Identifiers from the models, the case's values are expressions given by the caller
    # (placeholders or columns), every other value a parameter.
    return f"""SELECT w.{q("p80_days")} AS waiting_days,
            COALESCE(d.{q("before")}, 0)
                + CASE WHEN d.{q("lodged_on")} < {at} THEN d.{q("count")} ELSE 0 END
                AS waiting_known,
            (SELECT COUNT(*) FROM {q(app)} c
             WHERE c.{a["kind"]} = {kind} AND c.{a["track"]} = {track}
               AND c.{a["state"]} IN (%s, %s)
               AND c.{lodged} <= {at} AND c.{lodged} >= COALESCE(d.{q("lodged_on")}, %s)
               AND ((c.{lodged} = {at} AND c.{pk} < {case})
                    OR (c.{lodged} < {at} AND (d.{q("lodged_on")} IS NULL
                                             OR c.{lodged} > d.{q("lodged_on")}))))
                AS waiting_live
            FROM (SELECT 1 AS one) o
            LEFT JOIN {q(fig)} w ON w.{q("kind")} = {kind} AND w.{q("track")} = {track}
            LEFT JOIN {q(day.db_table)} d ON d.{pk} = (
                SELECT n.{pk} FROM {q(day.db_table)} n
                WHERE n.{q("kind")} = {kind} AND n.{q("track")} = {track}
                    AND n.{q("lodged_on")} <= {at}
                ORDER BY n.{q("lodged_on")} DESC LIMIT 1)"""  # noqa: S608  # nosec B608


def figures_params(connection: Any) -> list[Any]:
    """The parameters of ``figures_select`` besides the case's own: the waiting states and the
    first day there is (the lower bound of the live count before beat's first refresh)."""
    return [
        *(str(s.value) for s in WAITING_STATES),
        connection.ops.adapt_datefield_value(dt.date.min),
    ]


def waiting_figures(*, application: Application) -> tuple[int | None, int]:
    """``expected_waiting_days`` and ``cases_ahead`` of one waiting case (the status page shows
    both), read in one statement from the refresh task's rows (``_waiting_figures_sql``).

    Where ``QueueDay`` is read (the status page lets it come from a replica,
    ``casework.core.replica.stale_reads``), the statement's live count of cases runs too: one
    statement, one snapshot, so the row's ``before`` and the count never overlap or miss.
    """
    if application.state not in WAITING_STATES:
        return expected_waiting_days(kind=application.kind, track=application.track), 0
    read = getattr(application, "status_waiting_figures", None)
    if read is not None:  # read with the case by the status lookup's own statement
        return read
    db = connections[router.db_for_read(QueueDay)]
    day = db.ops.adapt_datefield_value(application.lodged_on)
    kind, track = application.kind, application.track
    first_day = db.ops.adapt_datefield_value(dt.date.min)
    params: list[Any] = [day, kind, track, *(str(s.value) for s in WAITING_STATES)]
    params += [day, first_day, day, application.pk, day]
    params += [kind, track, kind, track, day]
    with db.cursor() as cursor:
        cursor.execute(_waiting_figures_sql(db), params)
        days, known, live = cursor.fetchone()
    return days, int(known) + int(live)
