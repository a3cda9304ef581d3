"""List filters of the caseworker's lists: whose case, which nationality, which deadline."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

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
