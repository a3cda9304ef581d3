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
    case: Application | None = None


def _row(deadline: Deadline, now: dt.datetime) -> DeadlineRow:
    spec = sources().get(deadline.source)
    return DeadlineRow(
        deadline=deadline,
        label=str(spec.label) if spec else deadline.source,
        due_at=deadline.due_at,
        overdue=deadline.due_at <= now,
        due_soon=deadline.due_at > now and deadline.remind_from <= now,
    )


def case_sources() -> dict[str, Any]:
    """The sources whose deadline is on a record of a case rather than on the case itself
    (a residence permit's expiry: ``casework.ResidencePermit``, whose decision was made on the
    case), by key: the record's model, which has an ``application``. Such a deadline is not
    tied to the case (it must never become the decided case's "next deadline"), but a list
    of deadlines still names the case it belongs to."""
    from django.apps import apps
    from django.core.exceptions import FieldDoesNotExist

    found = {}
    for key, spec in sources().items():
        if not spec.model or spec.model == "casework.Application":
            continue
        model = apps.get_model(spec.model)
        try:
            fk = model._meta.get_field("application")
        except FieldDoesNotExist:
            continue
        if getattr(fk, "related_model", None) is apps.get_model("casework.Application"):
            found[key] = model
    return found


def case_reference(prefix: str = "") -> Any:
    """An expression for the case reference of a deadline (``prefix``: the path to the
    deadline, e.g. ``"deadline__"`` from a reminder): its own case, or the case of the record
    it is on (``case_sources``), one sub-select on that record's primary key."""
    from django.db.models import Case, CharField, F, OuterRef, Subquery, When
    from django.db.models.functions import Coalesce

    via_record = [
        When(
            **{f"{prefix}source": key},
            then=Subquery(
                model.objects.filter(pk=OuterRef(f"{prefix}object_id")).values(
                    "application__reference"
                )[:1]
            ),
        )
        for key, model in case_sources().items()
    ]
    own = F(f"{prefix}application__reference")
    if not via_record:
        return own
    return Coalesce(own, Case(*via_record, output_field=CharField()), output_field=CharField())


def of_case(reference: str, prefix: str = "") -> Any:
    """A filter for the deadlines of the case ``reference`` (canonical form; ``prefix``: the
    path to the deadline, as in ``case_reference``): its own, and those on its records (a
    permit's expiry), each by an index: what searching a deadline or reminder list by the
    case reference the list shows must find."""
    from django.db.models import Q

    found = Q(**{f"{prefix}application__reference": reference})
    for key, model in case_sources().items():
        records = model.objects.filter(application__reference=reference).values("pk")
        found |= Q(**{f"{prefix}source": key, f"{prefix}object_id__in": records})
    return found


def cases_of(deadlines: list[Deadline]) -> dict[int, Application]:
    """The case of each deadline, by the deadline's id: its own, or the case of the record
    it is on (``case_sources``), read in one query per such source."""
    found: dict[int, Application] = {}
    on_records: dict[str, list[Deadline]] = {}
    by_source = case_sources()
    for d in deadlines:
        if d.application_id is not None and d.application is not None:
            found[d.pk] = d.application
        elif d.source in by_source:
            on_records.setdefault(d.source, []).append(d)
    for key, rows in on_records.items():
        records = (
            by_source[key]
            .objects.filter(pk__in={d.object_id for d in rows}, application__isnull=False)
            .select_related("application")
        )
        case_by_record = {r.pk: r.application for r in records}
        for d in rows:
            if d.object_id in case_by_record:
                found[d.pk] = case_by_record[d.object_id]
    return found


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
    found = list(qs[:limit])
    cases = cases_of(found)
    rows = [_row(d, now) for d in found]
    for row in rows:
        row.case = cases.get(row.deadline.pk)
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
