"""Reception's deadline sources, registered with casework's registry from ``ReceptionConfig.ready``.

- Arrival-centre stay: the expected stay at the National Arrival Centre is up to 21 days
  (udi.no "National arrival centre"); the deadline is the end of the 21st day after arrival.
- Settlement target: settlement within 6 months of the permit, 3 months for unaccompanied
  minors (IMDi's targets, as cited by KS).
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.deadlines.registry import DeadlineSource

ARRIVAL_STAY_DAYS = 21
SETTLEMENT_TARGET_MONTHS = 6
SETTLEMENT_TARGET_MONTHS_MINOR = 3

ARRIVAL_STAY = DeadlineSource(
    key="reception.arrival_stay",
    label=_("arrival-centre stay limit (21 days)"),
    lead=dt.timedelta(days=3),
)
SETTLEMENT_TARGET = DeadlineSource(
    key="reception.settlement_target",
    label=_("settlement target (6 months; 3 for unaccompanied minors)"),
    lead=dt.timedelta(days=30),
)
SOURCES = (ARRIVAL_STAY, SETTLEMENT_TARGET)


def arrival_stay_due(start: dt.date) -> dt.datetime:
    """End of the 21st day: arrived 1 January, the person should have moved on by 22 January.

    Expressed as local midnight at the start of the 22nd day after arrival (exclusive bound).
    """
    last_day = start + dt.timedelta(days=ARRIVAL_STAY_DAYS)
    return dt.datetime.combine(
        last_day + dt.timedelta(days=1), dt.time(0), tzinfo=timezone.get_current_timezone()
    )


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` months, clamped to the month's end (31 Aug + 6: 28 Feb)."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    for dday in (day.day, 30, 29, 28):
        try:
            return day.replace(year=year, month=month, day=dday)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - 28 always exists


def settlement_target_due(permit_day: dt.date, *, unaccompanied_minor: bool) -> dt.datetime:
    months = SETTLEMENT_TARGET_MONTHS_MINOR if unaccompanied_minor else SETTLEMENT_TARGET_MONTHS
    due_day = add_months(permit_day, months)
    return dt.datetime.combine(
        due_day + dt.timedelta(days=1), dt.time(0), tzinfo=timezone.get_current_timezone()
    )
