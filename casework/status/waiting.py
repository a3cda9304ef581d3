"""Expected waiting time and queue position, for applicants and their reminders.

Applicants ask two things: "how long will it take?" and "how many are before me?". We answer
as the US (USCIS "processing times") and Canadian (IRCC) authorities do: the time within
which 8 out of 10 similar cases were decided, measured over cases decided in the last six
months. "Similar" means the same kind of application and the same procedure track; the time
runs from lodging (``Application.lodged_on``) to the *first* first-instance decision (a case
remitted by the appeals body and decided again is not counted twice). Withdrawals are not
decisions of the authority and stay out of the sample.

Both figures are cached briefly in the Django cache (Redis in production), so a burst of
status-page lookups costs one aggregate query per kind and track, not one per visitor. A cache
that is down never breaks the page: we then compute directly.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.db.models import (
    Aggregate,
    Count,
    DateField,
    Exists,
    F,
    FloatField,
    Func,
    OuterRef,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from casework.applications.choices import Instance, Outcome, State
from casework.applications.models import Application, Decision

log = logging.getLogger(__name__)

PERCENTILE = 0.8
WINDOW = dt.timedelta(days=183)  # six months of decisions
MIN_SAMPLE = 5  # below this, a "typical" time would be one or two people's stories
CACHE_SECONDS = 600
QUEUE_CACHE_SECONDS = 60
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


def _cached_many(entries: list[tuple[str, int, Any]]) -> list[Any]:
    """Each entry's (key, seconds, compute) value, from the cache where it is there: all keys
    in one ``get_many`` (one Redis round trip) and the computed misses in one ``set_many``."""
    keys = [key for key, _seconds, _compute in entries]
    try:
        hits = cache.get_many(keys)
    except Exception:  # a cache outage must not break a status page
        log.warning("waiting-time cache unavailable (get %s)", keys[0].split(":")[1])
        hits = {}
    values: list[Any] = []
    misses: dict[int, dict[str, Any]] = {}
    for key, seconds, compute in entries:
        hit = hits.get(key)
        if hit is not None:
            values.append(hit["value"])
            continue
        value = compute()
        misses.setdefault(seconds, {})[key] = {"value": value}
        values.append(value)
    for seconds, data in misses.items():
        try:
            cache.set_many(data, seconds)
        except Exception:
            log.warning("waiting-time cache unavailable (set %s)", next(iter(data)).split(":")[1])
    return values


def _waiting_days_entry(*, kind: str, track: str, now: dt.datetime) -> tuple[str, int, Any]:
    since = now - WINDOW

    def compute() -> int | None:
        cases = _decided_cases(kind=kind, track=track, since=since)
        if connection.vendor == "postgresql":
            row = cases.aggregate(p=PercentileCont("days", fraction=PERCENTILE), n=Count("id"))
            if row["n"] < MIN_SAMPLE or row["p"] is None:
                return None
            return math.ceil(row["p"] - 1e-9)
        days = [float(d) for d in cases.values_list("days", flat=True)]
        if len(days) < MIN_SAMPLE:
            return None
        return math.ceil(percentile_cont(days, PERCENTILE) - 1e-9)

    key = f"waiting:p80:{kind}:{track}:{timezone.localdate(now).isoformat()}"
    return key, CACHE_SECONDS, compute


def _queue_entry(*, kind: str, track: str) -> tuple[str, int, Any]:
    """For each day on which a waiting case of this kind and track was lodged, how many
    waiting cases were lodged before that day: one ``GROUP BY`` over the queue, shared by all
    applicants of the kind and track for ``QUEUE_CACHE_SECONDS``.

    Why: counting the cases ahead of one applicant reads every older waiting case (a count is
    not logarithmic in a btree); at a million cases that was 110 ms (protection) to over half
    a second (collective), paid by nearly every lookup since each case's figure is cached for
    a minute only."""

    def compute() -> dict[str, int]:
        days = (
            Application.objects.filter(kind=kind, track=track, state__in=WAITING_STATES)
            .order_by("lodged_on")
            .values_list("lodged_on")
            .annotate(n=Count("id"))
        )
        before, total = {}, 0
        for day, n in days:
            before[day.isoformat()] = total
            total += n
        return before

    return f"waiting:queue:{kind}:{track}", QUEUE_CACHE_SECONDS, compute


def _cases_ahead_entry(application: Application) -> tuple[str, int, Any]:
    def compute() -> int:
        waiting = Application.objects.filter(
            kind=application.kind, track=application.track, state__in=WAITING_STATES
        )
        queue = _cached_many([_queue_entry(kind=application.kind, track=application.track)])
        earlier_days = queue[0].get(application.lodged_on.isoformat())
        if earlier_days is None:  # a day the (at most a minute old) figures do not know yet
            earlier_days = waiting.filter(lodged_on__lt=application.lodged_on).count()
        same_day = waiting.filter(lodged_on=application.lodged_on, pk__lt=application.pk)
        return earlier_days + same_day.count()

    return f"waiting:ahead:{application.pk}", QUEUE_CACHE_SECONDS, compute


def expected_waiting_days(*, kind: str, track: str, now: dt.datetime | None = None) -> int | None:
    """Days within which 80 % of similar cases decided in the last six months were decided.

    Rounded up to whole days; ``None`` when fewer than ``MIN_SAMPLE`` such cases exist, since
    an estimate from one or two cases would mislead more than it helps.
    """
    entry = _waiting_days_entry(kind=kind, track=track, now=now or timezone.now())
    return _cached_many([entry])[0]


def cases_ahead(*, application: Application) -> int:
    """How many older cases of the same kind and track are still waiting for a first decision.

    "Older" means lodged earlier, or the same day and registered before. Zero for a case that
    is not itself waiting (decided, withdrawn, or with the appeals body).
    """
    if application.state not in WAITING_STATES:
        return 0
    return _cached_many([_cases_ahead_entry(application)])[0]


def waiting_figures(
    *, application: Application, now: dt.datetime | None = None
) -> tuple[int | None, int]:
    """``expected_waiting_days`` and ``cases_ahead`` of one case, the two cached figures read
    in one cache round trip (the status page shows both on every lookup)."""
    if application.state not in WAITING_STATES:
        days = expected_waiting_days(kind=application.kind, track=application.track, now=now)
        return days, 0
    days, ahead = _cached_many(
        [
            _waiting_days_entry(
                kind=application.kind, track=application.track, now=now or timezone.now()
            ),
            _cases_ahead_entry(application),
        ]
    )
    return days, ahead
