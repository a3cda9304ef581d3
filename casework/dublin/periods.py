"""The periods of a Dublin case, as rules with validity dates, and the dates they give.

The periods are data (``DublinRuleSet`` rows, one per regulation, each valid from one day to
another) like the county reform's counties, not constants: the EU replaced Dublin III
(Regulation (EU) No 604/2013) with the Asylum and Migration Management Regulation (AMMR,
Regulation (EU) 2024/1351) from 12 June 2026, with shorter periods. The rule set in force on
the day the application was lodged governs the whole case (the AMMR's transitional rule, art.
84, keeps Dublin III for applications lodged before it applies; unverified, like the AMMR's
periods, whose row says so).

A period is written ``"<n> months"``, ``"<n> weeks"``, ``"<n> days"`` or ``"<n> hours"``.
Periods of days, weeks and months end at the end of the last day (Regulation (EEC, Euratom)
No 1182/71 art. 3: a period in months ends on the same date of the last month); hours run
from the moment.

Keys (the most specific one present is used, then the general one):

- ``request.take_charge`` (Dublin III art. 21(1): 3 months of the application),
  ``request.take_charge.eurodac`` (2 months of the Eurodac hit), ``request.take_back``
  (art. 23(2): 3 months), ``request.take_back.eurodac`` (2 months of the hit);
- ``reply.take_charge`` (art. 22(1): 2 months), ``reply.take_charge.urgent`` (art. 22(6): 1
  month), ``reply.take_back`` (art. 25(1): 1 month), ``reply.take_back.eurodac`` (2 weeks),
  ``reply.reexamination`` (Regulation (EC) No 1560/2003 art. 5(2): 2 weeks; silence is not
  acceptance here);
- ``transfer`` (art. 29(1): 6 months), ``transfer.imprisoned`` (art. 29(2): 1 year),
  ``transfer.absconded`` (18 months).
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from typing import TYPE_CHECKING

from django.utils import timezone
from django.utils.translation import gettext as _

from casework.core.exceptions import TransitionInvalid

if TYPE_CHECKING:
    from casework.dublin.models import DublinRuleSet

REQUEST = "request"
REPLY = "reply"
TRANSFER = "transfer"

# Every key a rule set must give (``DublinRuleSet.clean`` and the migration's rows check it).
REQUIRED_KEYS = (
    "request.take_charge",
    "request.take_back",
    "reply.take_charge",
    "reply.take_back",
    "reply.reexamination",
    "transfer",
    "transfer.imprisoned",
    "transfer.absconded",
)

_PERIOD = re.compile(r"^\s*(\d+)\s+(month|week|day|hour)s?\s*$")

# The day the AMMR applies in the EU (art. 85); Dublin III's last day is the day before.
AMMR_APPLIES = dt.date(2026, 6, 12)


def parse(text: str) -> tuple[int, str]:
    """``"3 months"`` -> ``(3, "month")``; ``ValueError`` for anything else."""
    match = _PERIOD.match(text or "")
    if match is None:
        raise ValueError(f"not a period: {text!r}")
    return int(match.group(1)), match.group(2)


def add_months(day: dt.date, months: int) -> dt.date:
    """The same date ``months`` later, or the month's last day when it has no such date."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def end_of(start: dt.datetime, period: str) -> dt.datetime:
    """When ``period`` from ``start`` ends: the end of the last day, or ``start`` plus the
    hours."""
    count, unit = parse(period)
    local = timezone.localtime(start) if timezone.is_aware(start) else start
    if unit == "hour":
        return start + dt.timedelta(hours=count)
    if unit == "month":
        last = add_months(local.date(), count)
    else:
        last = local.date() + dt.timedelta(days=count * (7 if unit == "week" else 1))
    return timezone.make_aware(dt.datetime.combine(last, dt.time(23, 59, 59)))


def at_start_of(day: dt.date) -> dt.datetime:
    """A date as the moment its day begins (a period counted from an application's day)."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time(0, 0)))


def rule_set_on(day: dt.date) -> DublinRuleSet:
    """The rule set in force on ``day`` (its ``valid_to`` is its last day, inclusive)."""
    from casework.dublin.models import DublinRuleSet

    found = DublinRuleSet.objects.valid_on(day).order_by("-valid_from").first()
    if found is None:
        raise TransitionInvalid(
            {"rules": _("No Dublin rules are in force on %(day)s.") % {"day": day.isoformat()}}
        )
    return found


def period_of(rules: DublinRuleSet, key: str, *qualifiers: str) -> str:
    """The period under ``key`` with the first qualifier the rule set knows (``urgent``,
    ``eurodac``), or the general one."""
    periods = rules.periods or {}
    for qualifier in qualifiers:
        specific = periods.get(f"{key}.{qualifier}")
        if specific:
            return str(specific)
    return str(periods[key])
