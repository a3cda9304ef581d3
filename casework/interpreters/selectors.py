"""Reads of the register and the bookings, scoped to the user, with flat query counts.

- ``bookings_visible_to``: the coordinator, auditors and police registration (who see every
  case) see every booking; others the bookings of the cases they may see
  (``applications_visible_to``, given by the caller's layer: ``casework.privacy.scopes``).
- ``interpreters_for``: active interpreters of a language, best fit first (the dialect the
  applicant speaks, the gender they asked for, the register's category), each said free or
  not for a session.
- ``calendar_week``: a week's interviews with room, interpreter and lawyer, for the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.utils import timezone

from casework.applications.models import Interview
from casework.interpreters.choices import HOLDING_STATES, BookingState
from casework.interpreters.models import Interpreter, InterpreterBooking, InterpreterLanguage
from casework.lawyers.models import Appointment
from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import AnyUser

# Roles that see every booking: they arrange interpreters for every unit, or read everything.
ALL_BOOKINGS_ROLES = (Role.INTERPRETER_COORDINATOR, Role.AUDITOR, Role.REGISTRAR)

# A week of one unit holds at most a few hundred interviews; the calendar shows this many and
# says when there are more (never a COUNT of the whole table).
CALENDAR_CAP = 400


def sees_all_bookings(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False) or has_role(user, *ALL_BOOKINGS_ROLES))


def bookings_visible_to(
    user: AnyUser,
    queryset: QuerySet[InterpreterBooking],
    cases: Callable[[AnyUser], QuerySet[Any]],
) -> QuerySet[InterpreterBooking]:
    """The bookings ``user`` may see; ``cases(user)`` are the applications they may see."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if sees_all_bookings(user):
        return queryset
    return queryset.filter(application__in=cases(user).values("pk"))


def register_visible_to(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The register is the authority's list of professionals: any signed-in staff user whose
    role may read it (the model permission) sees all of it."""
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    return queryset


@dataclass
class Candidate:
    """An interpreter offered for a session, and how well they fit."""

    interpreter: Interpreter
    qualification: str
    dialects: list[str]
    dialect_match: bool
    gender_match: bool
    free: bool

    @property
    def rank(self) -> tuple[bool, bool, bool, str, str]:
        return (
            not self.free,
            not self.dialect_match,
            not self.gender_match,
            self.qualification,
            self.interpreter.name,
        )


def interpreters_for(
    *,
    language: str,
    dialect: str = "",
    gender: str = "",
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    limit: int = 50,
) -> list[Candidate]:
    """Active interpreters of ``language``, best first: free for the session, speaking the
    dialect, of the gender the applicant asked for, of the highest category. One query."""
    busy: Any = Q(pk__in=[])
    if starts_at is not None and ends_at is not None:
        busy = Exists(
            InterpreterBooking.objects.filter(
                interpreter=OuterRef("interpreter_id"),
                state__in=HOLDING_STATES,
                starts_at__lt=ends_at,
                ends_at__gt=starts_at,
            )
        )
    rows = (
        InterpreterLanguage.objects.filter(language=language, interpreter__active=True)
        .select_related("interpreter")
        .annotate(busy=busy)
        .order_by("qualification", "interpreter__name")[: limit * 4]
    )
    wanted = dialect.strip().casefold()
    found = [
        Candidate(
            interpreter=row.interpreter,
            qualification=row.qualification,
            dialects=row.dialect_list,
            dialect_match=bool(wanted) and wanted in {d.casefold() for d in row.dialect_list},
            gender_match=bool(gender) and row.interpreter.gender == gender,
            free=not row.busy,
        )
        for row in rows
    ]
    return sorted(found, key=lambda c: c.rank)[:limit]


@dataclass
class CalendarEntry:
    """One interview on the calendar: when, where, who interprets, whether a lawyer comes."""

    interview: Interview
    bookings: list[InterpreterBooking] = field(default_factory=list)

    @property
    def holding(self) -> list[InterpreterBooking]:
        return [b for b in self.bookings if b.state in HOLDING_STATES]

    @property
    def unconfirmed(self) -> bool:
        return any(b.state == BookingState.REQUESTED for b in self.bookings)


@dataclass
class CalendarWeek:
    monday: dt.date
    days: list[tuple[dt.date, list[CalendarEntry]]]
    more: bool  # more interviews than the cap: narrow the filter


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def calendar_week(
    *,
    interviews: QuerySet[Interview],
    monday: dt.date,
    unit_id: int | None = None,
    caseworker_id: int | None = None,
    cap: int = CALENDAR_CAP,
) -> CalendarWeek:
    """The interviews of the week from ``monday`` among ``interviews`` (already scoped to the
    user), by day, with their bookings and interpreters: two queries whatever the week holds,
    at most ``cap`` interviews (``more`` says there were more)."""
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(monday, dt.time.min, tzinfo=tz)
    end = start + dt.timedelta(days=7)
    qs = interviews.filter(scheduled_at__gte=start, scheduled_at__lt=end, cancelled=False)
    if unit_id is not None:
        qs = qs.filter(application__unit_id=unit_id)
    if caseworker_id is not None:
        qs = qs.filter(application__assigned_to_id=caseworker_id)
    bookings = InterpreterBooking.objects.select_related("interpreter").order_by("starts_at", "id")
    # The lawyer column: the lawyer of the case's current appointment (the register), in the
    # same query; ``lawyer_present`` only says whether they came.
    appointed = Appointment.objects.filter(application=OuterRef("application_id"), ends_on=None)
    rows = list(
        qs.annotate(appointed_lawyer=Subquery(appointed.values("lawyer__name")[:1]))
        .select_related("application__unit", "application__assigned_to", "application__person")
        .prefetch_related(Prefetch("interpreter_bookings", queryset=bookings))
        .order_by("scheduled_at", "id")[: cap + 1]
    )
    more = len(rows) > cap
    by_day: dict[dt.date, list[CalendarEntry]] = {
        monday + dt.timedelta(days=i): [] for i in range(7)
    }
    for interview in rows[:cap]:
        day = timezone.localtime(interview.scheduled_at, tz).date()
        by_day.setdefault(day, []).append(
            CalendarEntry(interview=interview, bookings=list(interview.interpreter_bookings.all()))
        )
    return CalendarWeek(monday=monday, days=sorted(by_day.items()), more=more)
