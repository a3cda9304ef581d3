"""Reception centres in the admin: live occupancy and free beds, residents, the occupancy
page by county on a date, and which officers work where.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.db.models import DateField, F, QuerySet, Value
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin, ServiceFormAdminMixin, changed_fields, saved_as
from casework.admin.forms import AccommodationField
from casework.models import AccessLog
from casework.privacy.access import access_log

from .. import selectors, services
from ..choices import ResidentStatus
from ..models import CentreStaff, County, Placement, ReceptionCentre
from .base import may_move_residents, placement_links

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    class _Listed(selectors.Occupancy):
        county_now: str | None


class CountyFilter(admin.SimpleListFilter):
    """Centres by the county they are in today."""

    title = _("county")
    parameter_name = "county"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(c.name, c.name) for c in County.objects.valid_on(timezone.localdate())]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value():
            return queryset.filter(county_now=self.value())
        return queryset


class OccupancyFilter(admin.SimpleListFilter):
    title = _("occupancy")
    parameter_name = "occupancy"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [
            ("full", _("full")),
            # xgettext:no-python-format
            ("high", _("85% or more (UDI's target)")),
            ("free", _("has free beds")),
            ("empty", _("empty")),
        ]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == "full":
            return queryset.filter(free_beds__lte=0)
        if value == "high":
            return queryset.filter(occupied__gte=F("capacity") * 0.85)
        if value == "free":
            return queryset.filter(free_beds__gt=0)
        if value == "empty":
            return queryset.filter(occupied=0)
        return queryset


class ResidentInline(admin.TabularInline):
    """The centre's current residents, with the actions an officer may take."""

    model = Placement
    fk_name = "centre"
    extra = 0
    can_delete = False
    verbose_name = _("resident")
    verbose_name_plural = _("current residents")
    fields = ("resident", "start", "actions")
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).filter(end__isnull=True).select_related("person")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fields = super().get_fields(request, obj)
        return fields if may_move_residents(request) else [f for f in fields if f != "actions"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("resident"))
    def resident(self, obj: Placement) -> str:
        return f"{obj.person.full_name} ({obj.person.registration_number})"

    @admin.display(description=_("actions"))
    def actions(self, obj: Placement) -> str:
        return placement_links(obj)


class OccupancyForm(forms.Form):
    on = forms.DateField(label=_("on"), required=False)
    county = forms.CharField(label=_("county"), required=False, max_length=60)
    year = forms.IntegerField(
        label=_("placements in year"), required=False, min_value=2020, max_value=2100
    )


@admin.register(ReceptionCentre)
class ReceptionCentreAdmin(ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin):
    """Centres, opened and changed through ``services.centre_create``/``centre_update`` (which
    keep the beds above the residents); a centre is closed by its closing day, never deleted."""

    list_display = (
        "name",
        "kind",
        "operator_kind",
        "municipality",
        "county_now",
        "capacity",
        "occupied",
        "free_beds",
        "place_link",
    )
    list_filter = (CountyFilter, "kind", "operator_kind", OccupancyFilter)
    search_fields = ("name", "operator_name", "municipality__name")
    list_select_related = ("municipality",)
    autocomplete_fields = ("municipality",)
    inlines = [ResidentInline]

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if may_move_residents(request) else [f for f in shown if f != "place_link"]

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = selectors.centres_visible_to(request.user, super().get_queryset(request))
        today = timezone.localdate()
        return selectors.centres_with_occupancy(qs, on=today).annotate(
            county_now=selectors.county_of_municipality_on(
                "municipality_id", Value(today, output_field=DateField())
            )
        )

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def formfield_for_dbfield(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        if db_field.name == "accommodation":
            return AccommodationField(
                label=db_field.verbose_name, help_text=db_field.help_text, required=False
            )
        return super().formfield_for_dbfield(db_field, request, **kwargs)

    def save_model(
        self, request: HttpRequest, obj: ReceptionCentre, form: Any, change: bool
    ) -> None:
        if change:
            saved = services.centre_update(actor=request.user, centre=obj, **changed_fields(form))
        else:
            saved = services.centre_create(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)

    @admin.display(description=_("county"), ordering="county_now")
    def county_now(self, obj: WithAnnotations[ReceptionCentre, _Listed]) -> str:
        return obj.county_now or "-"

    @admin.display(description=_("occupied"), ordering="occupied")
    def occupied(self, obj: WithAnnotations[ReceptionCentre, _Listed]) -> int:
        return obj.occupied

    @admin.display(description=_("free beds"), ordering="free_beds")
    def free_beds(self, obj: WithAnnotations[ReceptionCentre, _Listed]) -> int:
        return obj.free_beds

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        """The centre's page lists its residents (``ResidentInline``): a read of their
        placements, logged as a list of them."""
        response = super().change_view(request, object_id, form_url, extra_context)
        formsets = (getattr(response, "context_data", None) or {}).get("inline_admin_formsets")
        if request.method == "GET" and response.status_code == 200 and formsets:
            shown = [f.original.pk for fs in formsets for f in fs if f.original is not None]
            access_log(
                user=request.user,
                action=AccessLog.Action.LIST,
                objects=shown,
                model=Placement,
                query="residents of a centre",
            )
        return response

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("occupancy/", wrap(self.occupancy_view), name="reception_occupancy"),
            *super().get_urls(),
        ]

    def changelist_view(self, request: HttpRequest, extra_context: Any = None):
        extra_context = {**(extra_context or {}), "occupancy_url": "occupancy/"}
        return super().changelist_view(request, extra_context)

    def occupancy_view(self, request: HttpRequest) -> HttpResponse:
        """Occupancy on a day by centre, county and status; placements by county for a year."""
        if not self.has_view_permission(request):
            raise PermissionDenied
        form = OccupancyForm(request.GET or None)
        on, county, year = timezone.localdate(), None, timezone.localdate().year
        if form.is_valid():
            on = form.cleaned_data["on"] or on
            county = form.cleaned_data["county"] or None
            year = form.cleaned_data["year"] or year
        report = selectors.occupancy_report(on=on, user=request.user, county=county)
        by_year = selectors.placements_by_county(year=year, user=request.user, county=county)
        status_labels = dict(ResidentStatus.choices)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Occupancy"),
            "form": form,
            "report": report,
            "statuses": [(status_labels[k], v) for k, v in report.by_status.items()],
            "by_year": by_year,
        }
        return TemplateResponse(request, "admin/reception/occupancy.html", context)

    @admin.display(description="")
    def place_link(self, obj: ReceptionCentre) -> str:
        url = reverse("admin:reception_placement_place")
        return format_html('<a href="{}?centre={}">{}</a>', url, obj.pk, _("place a person"))


@admin.register(CentreStaff)
class CentreStaffAdmin(FastListMixin, admin.ModelAdmin):
    """Who works where: added and removed through ``services.centre_staff_add``/``_remove``
    (an officer's centres decide whose residents they see); a post is not edited, it is
    removed and another added."""

    list_display = ("user", "centre")
    list_select_related = ("user", "centre")
    list_filter = ("centre",)
    autocomplete_fields = ("centre", "user")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: CentreStaff, form: Any, change: bool) -> None:
        saved = services.centre_staff_add(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)

    def delete_model(self, request: HttpRequest, obj: CentreStaff) -> None:
        services.centre_staff_remove(actor=request.user, centre_staff=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for post in queryset.select_related("centre"):
            services.centre_staff_remove(actor=request.user, centre_staff=post)
