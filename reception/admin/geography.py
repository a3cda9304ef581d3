"""Geography in the admin: counties, municipalities and their county over time, quotas.

Counties and municipalities are read-only: they are Statistics Norway's classification
(``reception.geodata``, loaded by a data migration), and every report by county depends on
their dated history being that classification. A reform or a missing municipality is a change
to ``geodata.py`` and a data migration, reviewed like code. Quotas are the councils' yearly
decisions, recorded through ``services.municipality_quota_create``/``_update``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypedDict

from django.contrib import admin
from django.db.models import DateField, QuerySet, Value
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.admin.base import (
    FastListMixin,
    ReadOnlyAdmin,
    ServiceFormAdminMixin,
    changed_fields,
    saved_as,
)

from .. import selectors, services
from ..models import County, Municipality, MunicipalityCounty, MunicipalityQuota

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Listed(TypedDict):
        county_now: str | None


@admin.register(County)
class CountyAdmin(FastListMixin, ReadOnlyAdmin):
    list_display = ("code", "name", "valid_from", "valid_to", "successor_names")
    list_filter = ("valid_to",)
    search_fields = ("name", "code")
    filter_horizontal = ("successors",)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).prefetch_related("successors")

    @admin.display(description=_("successors"))
    def successor_names(self, obj: County) -> str:
        return ", ".join(s.name for s in obj.successors.all())


class MunicipalityCountyInline(admin.TabularInline):
    model = MunicipalityCounty
    extra = 0
    can_delete = False
    fields = ("county", "number", "valid_from", "valid_to")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Municipality)
class MunicipalityAdmin(FastListMixin, ReadOnlyAdmin):
    list_display = ("name", "number", "county_now")
    search_fields = ("name", "number")
    inlines = [MunicipalityCountyInline]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            super()
            .get_queryset(request)
            .annotate(
                county_now=selectors.county_of_municipality_on(
                    "pk", Value(timezone.localdate(), output_field=DateField())
                )
            )
        )

    @admin.display(description=_("county"), ordering="county_now")
    def county_now(self, obj: WithAnnotations[Municipality, _Listed]) -> str:
        return obj.county_now or "-"


@admin.register(MunicipalityQuota)
class MunicipalityQuotaAdmin(ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin):
    """A council's places for a year; the municipality and year of a quota do not change, and
    a quota is never deleted (settlements count against it): set its places instead."""

    list_display = ("municipality", "year", "places", "unaccompanied_minor_places")
    list_filter = ("year",)
    search_fields = ("municipality__name",)
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("municipality", "year")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        if change:
            saved = services.municipality_quota_update(
                actor=request.user, quota=obj, **changed_fields(form)
            )
        else:
            saved = services.municipality_quota_create(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)
