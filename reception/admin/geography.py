"""Geography in the admin: counties, municipalities and their county over time, quotas."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import DateField, QuerySet, Value
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .. import selectors
from ..models import County, Municipality, MunicipalityCounty, MunicipalityQuota


@admin.register(County)
class CountyAdmin(admin.ModelAdmin):
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
    fields = ("county", "number", "valid_from", "valid_to")


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
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
    def county_now(self, obj: Municipality) -> str:
        return obj.county_now or "-"


@admin.register(MunicipalityQuota)
class MunicipalityQuotaAdmin(admin.ModelAdmin):
    list_display = ("municipality", "year", "places", "unaccompanied_minor_places")
    list_filter = ("year",)
    search_fields = ("municipality__name",)
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
