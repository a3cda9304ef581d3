"""Reads of deadlines for the admin's panels: a user's own (due soon, overdue), a case's open."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.utils import timezone

from casework.deadlines.registry import hidden_sources, sources

if TYPE_CHECKING:
    from django.contrib.auth.models import User

    from casework.applications.models import Application
    from casework.deadlines.models import Deadline, Reminder


@dataclass
class DeadlineRow:
    """A deadline as a panel shows it: what, when, and whether it is overdue or due soon."""

    deadline: Deadline
    label: str
    due_at: dt.datetime
    overdue: bool
    due_soon: bool
    reminders: list[Reminder] = field(default_factory=list)
    case_url: str = ""


def _row(deadline: Deadline, now: dt.datetime) -> DeadlineRow:
    spec = sources().get(deadline.source)
    return DeadlineRow(
        deadline=deadline,
        label=str(spec.label) if spec else deadline.source,
        due_at=deadline.due_at,
        overdue=deadline.due_at <= now,
        due_soon=deadline.due_at > now and deadline.remind_from <= now,
    )


def deadlines_for_user(
    *, user: User, now: dt.datetime | None = None, limit: int = 25
) -> dict[str, Any]:
    """The logged-in user's own open deadlines that are overdue or within their reminder
    window, soonest first (the admin start page's "due soon / overdue" panel)."""
    from casework.deadlines.models import Deadline

    now = now or timezone.now()
    qs = (
        Deadline.objects.filter(recipient_user=user, closed_at=None, remind_from__lte=now)
        .exclude(source__in=hidden_sources())
        .select_related("application")
        .order_by("due_at")
    )
    rows = [_row(d, now) for d in qs[:limit]]
    return {
        "overdue": [r for r in rows if r.overdue],
        "due_soon": [r for r in rows if r.due_soon],
        "more": max(0, qs.count() - limit) if len(rows) == limit else 0,
    }


def deadlines_for_application(
    application: Application, *, now: dt.datetime | None = None
) -> list[DeadlineRow]:
    """Every open deadline of one case with its reminders (the panel on the case's page)."""
    from django.db.models import Prefetch

    from casework.deadlines.models import Deadline, Reminder

    now = now or timezone.now()
    qs = (
        Deadline.objects.filter(application=application, closed_at=None)
        .exclude(source__in=hidden_sources())
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("created_at")))
        .order_by("due_at")
    )
    rows: list[DeadlineRow] = []
    for d in qs:
        row = _row(d, now)
        row.reminders = list(d.reminders.all())
        rows.append(row)
    return rows
