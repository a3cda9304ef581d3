"""The start page: "what do I do now", for each role.

Every signed-in member of staff opens the admin on a summary of their own work: counts of
their cases by state, their overdue deadlines and this week's, the interviews of the week,
the cases of their unit nobody has taken, and whatever their role's work is elsewhere
(reception's residents, integration's programmes). Each figure is a link to the list it
counts, filtered the same way, so a click shows exactly those rows.

Panels are functions of the request that return ``Section``s (or nothing when the role has
no such work); casework's are below, and reception and integration add theirs with
``register`` from their admin modules, as they add their statistics tables. Each figure is a
capped count (``CAP``): the page costs the same at a million cases.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.admin.filters import interviews_within, ready_for_decision
from casework.applications.choices import OPEN_STATES as APPLICATION_OPEN_STATES
from casework.applications.choices import State
from casework.applications.models import Application
from casework.deadlines.models import Deadline
from casework.deadlines.registry import hidden_sources
from casework.privacy.scopes import applications_visible_to
from casework.staff.choices import Role
from casework.staff.roles import has_role

CAP = 1000  # a figure above this reads "1000+": no count ever scans a whole table
WEEK = dt.timedelta(days=7)


@dataclass
class Item:
    """One line of a section: a figure and the filtered list it counts (or an action)."""

    label: Any
    url: str
    count: int | None = None  # None: a link to an action (register a person), not a figure
    capped: bool = False
    urgent: bool = False  # shown in red when not zero (overdue)


@dataclass
class Section:
    title: Any
    items: list[Item] = field(default_factory=list)


Panel = Callable[[HttpRequest], list[Section]]
PANELS: list[Panel] = []


def register(panel: Panel) -> Panel:
    """Add a panel to every start page (its sections come after the ones before it)."""
    if panel not in PANELS:
        PANELS.append(panel)
    return panel


def start_sections(request: HttpRequest) -> list[Section]:
    """The sections of this user's start page, in the order the panels were registered."""
    return [section for panel in PANELS for section in panel(request) if section.items]


def counted(label: Any, url: str, queryset: QuerySet, *, urgent: bool = False) -> Item:
    """An item counting ``queryset`` (at most ``CAP`` + 1 rows are read)."""
    n = queryset[: CAP + 1].count()
    return Item(label=label, url=url, count=min(n, CAP), capped=n > CAP, urgent=urgent)


def list_url(name: str, **params: Any) -> str:
    """An admin list (``app_model``) with its filters in the query string."""
    url = reverse(f"admin:{name}_changelist")
    return f"{url}?{urlencode(params)}" if params else url


# --- casework's panels ---------------------------------------------------------------------

# A caseworker's open cases: to examine, and under appeal (a rejection whose appeal period
# runs shows among the deadlines; a final one is no work).
OPEN_STATES = APPLICATION_OPEN_STATES  # on hold too: work the unit has to look at again


def _cases(request: HttpRequest) -> list[Section]:
    user = request.user
    if not user.has_perm("casework.view_application"):
        return []
    visible = applications_visible_to(user, Application.objects.all())
    now = timezone.now()
    cases = "casework_application"
    sections: list[Section] = []
    works_cases = has_role(user, Role.CASEWORKER, Role.DECISION_MAKER)
    if has_role(user, Role.CASEWORKER):
        mine = visible.filter(assigned_to=user)
        sections.append(
            Section(
                _("My cases"),
                [
                    counted(
                        State(state).label,
                        list_url(cases, assigned="mine", state__exact=state),
                        mine.filter(state=state),
                    )
                    for state in OPEN_STATES
                ],
            )
        )
        sections.append(
            Section(
                _("My deadlines and interviews"),
                [
                    counted(
                        _("Cases with an overdue deadline"),
                        list_url(cases, assigned="mine", deadline="overdue"),
                        mine.filter(next_deadline__lt=now),
                        urgent=True,
                    ),
                    counted(
                        _("Cases with a deadline this week"),
                        list_url(cases, assigned="mine", deadline="7"),
                        mine.filter(next_deadline__gte=now, next_deadline__lte=now + WEEK),
                    ),
                    counted(
                        _("Interviews this week"),
                        list_url(cases, assigned="mine", interview="week"),
                        mine.filter(interviews_within(7, now)),
                    ),
                ],
            )
        )
    team: list[Item] = []
    if works_cases or user.is_superuser:
        team.append(
            counted(
                _("Unassigned cases") if user.is_superuser else _("Unassigned cases in my unit"),
                list_url(cases, assigned="none", state__exact=State.SUBMITTED),
                visible.filter(assigned_to=None, state=State.SUBMITTED),
                urgent=True,
            )
        )
    if has_role(user, Role.DECISION_MAKER) or user.is_superuser:
        team.append(
            counted(
                _("Ready for a decision"),
                list_url(cases, assigned="all", ready="decision"),
                visible.filter(ready_for_decision()),
            )
        )
    if has_role(user, Role.DECISION_MAKER) or user.is_superuser:
        # Appeals lodged with the Directorate, to reverse or forward (Public Administration
        # Act § 33 [U]).
        team.append(
            counted(
                _("Appeals to review"),
                list_url(cases, assigned="all", state__exact=State.UNDER_REVIEW),
                visible.filter(state=State.UNDER_REVIEW),
            )
        )
    if has_role(user, Role.APPEALS) or user.is_superuser:
        team.append(
            counted(
                _("Appeals to decide"),
                list_url(cases, assigned="all", state__exact=State.APPEALED),
                visible.filter(state=State.APPEALED),
            )
        )
    if has_role(user, Role.REGISTRAR):
        team.append(
            counted(
                _("Submitted, not yet assigned"),
                list_url(cases, assigned="none", state__exact=State.SUBMITTED),
                visible.filter(assigned_to=None, state=State.SUBMITTED),
            )
        )
        team.append(
            counted(
                _("Lodged in the last 7 days"),
                list_url(cases, assigned="all", lodged="week"),
                visible.filter(lodged_on__gte=timezone.localdate() - WEEK),
            )
        )
        team.append(Item(_("Register a person"), reverse("admin:casework_person_add")))
        team.append(Item(_("Lodge an application"), reverse("admin:casework_application_add")))
    if team:
        sections.append(Section(_("Cases waiting"), team))
    if has_role(user, Role.AUDITOR) and not works_cases:
        sections.append(
            Section(
                _("Cases by state"),
                [
                    counted(
                        State(state).label,
                        list_url(cases, assigned="all", state__exact=state),
                        visible.filter(state=state),
                    )
                    for state in State.values
                ],
            )
        )
    return sections


def _deadlines(request: HttpRequest) -> list[Section]:
    """Deadlines addressed to this user, whatever app set them (a case, a placement, a
    programme): the ones overdue and the ones due within a week."""
    user = request.user
    if not user.has_perm("casework.view_deadline"):
        return []
    now = timezone.now()
    mine = Deadline.objects.filter(recipient_user_id=user.pk, closed_at=None).exclude(
        source__in=hidden_sources()
    )
    name = "casework_deadline"
    return [
        Section(
            _("Deadlines addressed to me"),
            [
                counted(
                    _("Overdue"),
                    list_url(name, recipient="mine", due="overdue"),
                    mine.filter(due_at__lte=now),
                    urgent=True,
                ),
                counted(
                    _("Due within 7 days"),
                    list_url(name, recipient="mine", due="week"),
                    mine.filter(due_at__gt=now, due_at__lte=now + WEEK),
                ),
            ],
        )
    ]


register(_cases)
register(_deadlines)
