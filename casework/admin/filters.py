"""List filters of the caseworker's lists: whose case, which nationality, which deadline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import ApplicationKind, State
from casework.applications.models import Interview
from casework.staff.choices import Role
from casework.staff.roles import has_role

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

# Nationalities offered as list filters: the largest groups in the authority's statistics.
# Any other country still filters by URL (?nationality=XX); the list stays short and fast.
FILTER_NATIONALITIES = ("UA", "SY", "AF", "ER", "RU", "TR", "SO", "IQ", "IR", "GE", "SD", "YE")


class AssignedFilter(admin.SimpleListFilter):
    """Opens on "my cases" for caseworkers and decision-makers; on everything for others."""

    title = _("assigned to")
    parameter_name = "assigned"

    def __init__(self, request: HttpRequest, params: dict, model: Any, model_admin: Any) -> None:
        self.request = request
        super().__init__(request, params, model, model_admin)

    def _default(self) -> str:
        if has_role(self.request.user, Role.CASEWORKER, Role.DECISION_MAKER):
            return "mine"
        return "all"

    def value(self) -> str:
        return super().value() or self._default()

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("mine", _("My cases")), ("none", _("Unassigned")), ("all", _("All cases"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "mine":
            return queryset.filter(assigned_to=request.user)
        if value == "none":
            return queryset.filter(assigned_to__isnull=True)
        if value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset

    def choices(self, changelist: Any):  # Django's generator protocol
        for lookup, title in self.lookup_choices:
            yield {
                "selected": self.value() == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class CaseworkerFilter(admin.SimpleListFilter):
    """One caseworker's cases (for team leads distributing work)."""

    title = _("caseworker")
    parameter_name = "caseworker"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from django.contrib.auth import get_user_model

        users = (
            get_user_model()
            .objects.filter(groups__name=Role.CASEWORKER.value, is_active=True)
            .order_by("last_name", "username")
            .values_list("id", "first_name", "last_name", "username")[:100]
        )
        return [(str(pk), f"{f} {la}".strip() or u) for pk, f, la, u in users]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(assigned_to_id=int(value))
        return queryset


class NationalityFilter(admin.SimpleListFilter):
    title = _("nationality")
    parameter_name = "nationality"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from django_countries import countries

        return [(code, countries.name(code)) for code in FILTER_NATIONALITIES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = (self.value() or "").upper()
        if len(value) == 2 and value.isalpha():
            return queryset.filter(person__nationality=value)
        return queryset


class DeadlineFilter(admin.SimpleListFilter):
    """The next open deadline of the case: overdue, or due within a week or a month."""

    title = _("next deadline")
    parameter_name = "deadline"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [
            ("overdue", _("Overdue")),
            ("7", _("Due within 7 days")),
            ("30", _("Due within 30 days")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        if self.value() == "overdue":
            return queryset.filter(next_deadline__lt=now)
        value = self.value()
        if value in ("7", "30"):
            days = int(value)
            return queryset.filter(
                next_deadline__gte=now, next_deadline__lte=now + dt.timedelta(days=days)
            )
        return queryset


# --- people ---------------------------------------------------------------------------------


# --- what the start page counts ------------------------------------------------------------


def interviews_within(days: int, now: dt.datetime | None = None) -> Q:
    """Cases with an interview booked in the next ``days`` days, not yet held or cancelled
    (the case list's ``interview`` filter and the start page's count)."""
    now = now or timezone.now()
    booked = Interview.objects.filter(
        application=OuterRef("pk"),
        held_at=None,
        cancelled=False,
        scheduled_at__gte=now - dt.timedelta(hours=12),
        scheduled_at__lte=now + dt.timedelta(days=days),
    )
    return Q(Exists(booked))


def ready_for_decision() -> Q:
    """Examined cases a decision-maker may decide now (the guard ``interview_requirement_met``:
    the interview held, waived with a reason, or not required for collective protection)."""
    return Q(state=State.EXAMINED) & (
        Q(kind=ApplicationKind.COLLECTIVE)
        | Q(interview_held_at__isnull=False)
        | ~Q(interview_waived_reason="")
    )


class InterviewFilter(admin.SimpleListFilter):
    """Cases with an interview booked this week (not yet held, not cancelled)."""

    title = _("interview")
    parameter_name = "interview"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("week", _("Booked within 7 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(interviews_within(7)) if self.value() == "week" else queryset


class ReadyFilter(admin.SimpleListFilter):
    """Examined cases whose interview requirement is met: a decision-maker's queue."""

    title = _("ready")
    parameter_name = "ready"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("decision", _("Ready for a decision"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        return queryset.filter(ready_for_decision()) if self.value() == "decision" else queryset


class LodgedFilter(admin.SimpleListFilter):
    """Cases lodged in the last 7 days (police registration's recent work)."""

    title = _("lodged")
    parameter_name = "lodged"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, StrOrPromise]]:
        return [("week", _("In the last 7 days"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "week":
            return queryset.filter(lodged_on__gte=timezone.localdate() - dt.timedelta(days=7))
        return queryset
