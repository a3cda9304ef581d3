"""Admin for reception officers: centres with live occupancy, residents, placing and moving people.

Thin: lists are scoped by ``selectors`` (an officer sees the centres they work for and those
centres' residents, never asylum grounds), and every change goes through ``services``, which
re-check the officer's permission for the centre. The ``Placement`` model is never edited by
form: placing, transferring and discharging are views of their own.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import DateField, F, QuerySet, Value
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework.admin.base import ScopedAdminMixin
from casework.core.exceptions import TransitionConflict
from casework.models import Person
from casework.privacy.access import AccessLoggedAdminMixin

from . import selectors, services
from .choices import DischargeReason, ResidentStatus
from .models import (
    CentreStaff,
    County,
    Municipality,
    MunicipalityCounty,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
    Settlement,
)

# --- Geography ------------------------------------------------------------------------------


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


# --- Centres --------------------------------------------------------------------------------


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

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    @admin.display(description=_("resident"))
    def resident(self, obj: Placement) -> str:
        return f"{obj.person.full_name} ({obj.person.registration_number})"

    @admin.display(description=_("actions"))
    def actions(self, obj: Placement) -> str:
        return _placement_links(obj)


def _placement_links(obj: Placement) -> str:
    if obj.end is not None:
        return "-"
    return format_html(
        '<a href="{}">{}</a> · <a href="{}">{}</a>',
        reverse("admin:reception_placement_transfer", args=[obj.pk]),
        _("transfer"),
        reverse("admin:reception_placement_discharge", args=[obj.pk]),
        _("discharge"),
    )


class OccupancyForm(forms.Form):
    on = forms.DateField(label=_("on"), required=False)
    county = forms.CharField(label=_("county"), required=False, max_length=60)
    year = forms.IntegerField(
        label=_("placements in year"), required=False, min_value=2020, max_value=2100
    )


@admin.register(ReceptionCentre)
class ReceptionCentreAdmin(admin.ModelAdmin):
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

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = selectors.centres_visible_to(request.user, super().get_queryset(request))
        today = timezone.localdate()
        return selectors.centres_with_occupancy(qs, on=today).annotate(
            county_now=selectors.county_of_municipality_on(
                "municipality_id", Value(today, output_field=DateField())
            )
        )

    @admin.display(description=_("county"), ordering="county_now")
    def county_now(self, obj: ReceptionCentre) -> str:
        return obj.county_now or "-"

    @admin.display(description=_("occupied"), ordering="occupied")
    def occupied(self, obj: ReceptionCentre) -> int:
        return obj.occupied

    @admin.display(description=_("free beds"), ordering="free_beds")
    def free_beds(self, obj: ReceptionCentre) -> int:
        return obj.free_beds

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
class CentreStaffAdmin(admin.ModelAdmin):
    list_display = ("user", "centre")
    list_select_related = ("user", "centre")
    list_filter = ("centre",)
    autocomplete_fields = ("centre",)


def person_placement_summary(person: Person) -> str:
    """For the person's admin page (casework's PersonAdmin may show it as a read-only field):
    where the person lives now, with the transfer/discharge links, or a link to place them."""
    placement = selectors.current_placement(person)
    if placement is None:
        return format_html(
            '{} <a href="{}?person={}">{}</a>',
            _("Not in reception."),
            reverse("admin:reception_placement_place"),
            person.pk,
            _("Place in a centre"),
        )
    return format_html(
        "{} {} {} · {}",
        placement.centre.name,
        _("since"),
        f"{placement.start:%d.%m.%Y}",
        _placement_links(placement),
    )


# --- Placements -----------------------------------------------------------------------------


class PlaceForm(forms.Form):
    registration_number = forms.CharField(
        label=_("registration number"), max_length=14, help_text=_("12 digits, spaces allowed")
    )
    centre = forms.ModelChoiceField(queryset=ReceptionCentre.objects.none(), label=_("centre"))
    start = forms.DateField(label=_("from"), initial=timezone.localdate)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["centre"].queryset = selectors.centres_visible_to(
            user, ReceptionCentre.objects.open_on(today)
        )

    def clean_registration_number(self) -> Person:
        number = "".join(self.cleaned_data["registration_number"].split())
        person = Person.objects.filter(registration_number=number).first()
        if person is None:
            raise ValidationError(_("No person has this registration number."))
        return person


class TransferForm(forms.Form):
    to_centre = forms.ModelChoiceField(queryset=ReceptionCentre.objects.none(), label=_("to"))
    reason = forms.CharField(label=_("reason"), widget=forms.Textarea(attrs={"rows": 3}))
    on = forms.DateField(label=_("on"), initial=timezone.localdate)

    def __init__(self, *args: Any, exclude: ReceptionCentre, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_centre"].queryset = ReceptionCentre.objects.open_on(
            timezone.localdate()
        ).exclude(pk=exclude.pk)


class DischargeForm(forms.Form):
    reason = forms.ChoiceField(choices=DischargeReason.choices, label=_("reason"))
    on = forms.DateField(label=_("on"), initial=timezone.localdate)


class OpenFilter(admin.SimpleListFilter):
    title = _("resident now")
    parameter_name = "open"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("yes", _("yes")), ("no", _("no, ended"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() == "yes":
            return queryset.filter(end__isnull=True)
        if self.value() == "no":
            return queryset.filter(end__isnull=False)
        return queryset


@admin.register(Placement)
class PlacementAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Residents' placements: scoped to the officer's centres (the model scope registered in
    ``apps.py``), and every list and opened placement written to the access log."""

    list_display = ("resident", "centre", "start", "end", "ended_by", "links")
    list_filter = (
        OpenFilter,
        "centre__kind",
        ("centre", admin.RelatedOnlyFieldListFilter),
        "ended_by",
    )
    list_select_related = ("person", "centre")
    search_fields = ("=person__registration_number",)
    date_hierarchy = "start"
    readonly_fields = (
        "person",
        "centre",
        "start",
        "end",
        "transferred_from",
        "transfer_reason",
        "ended_by",
        "discharge_reason",
        "created_by",
        "created_at",
    )
    fields = readonly_fields

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        return HttpResponseRedirect(reverse("admin:reception_placement_place"))

    @admin.display(description=_("resident"), ordering="person__family_name")
    def resident(self, obj: Placement) -> str:
        return f"{obj.person.full_name} ({obj.person.registration_number})"

    @admin.display(description=_("actions"))
    def links(self, obj: Placement) -> str:
        return _placement_links(obj)

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path("place/", wrap(self.place_view), name="reception_placement_place"),
            path(
                "<int:pk>/transfer/", wrap(self.transfer_view), name="reception_placement_transfer"
            ),
            path(
                "<int:pk>/discharge/",
                wrap(self.discharge_view),
                name="reception_placement_discharge",
            ),
            *super().get_urls(),
        ]

    # The three views below call the services, which check the officer's right to act for the
    # centre; the model-permission check here only keeps other roles off the pages.

    def _render(self, request: HttpRequest, form: forms.Form, title: str, obj: Any = None):
        summary = ""
        if obj is not None:
            person = obj.person
            summary = (
                f"{person.full_name} ({person.registration_number}) — {obj.centre.name}, "
                f"{_('since')} {obj.start:%d.%m.%Y}"
            )
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "original": obj,
            "summary": summary,
        }
        return TemplateResponse(request, "admin/casework/action_form.html", context)

    def _finish(self, request: HttpRequest, form: forms.Form, call: Any) -> Any:
        """Run a service; map its refusals onto the form (400-like) or a message (409-like)."""
        try:
            return call()
        except PermissionDenied as exc:
            form.add_error(None, str(exc))
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        except TransitionConflict as exc:
            form.add_error(None, exc.message)
        return None

    def place_view(self, request: HttpRequest) -> HttpResponse:
        """Place a person (reached from the centre list or the person's page with ?person=)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        initial: dict[str, Any] = {}
        if request.GET.get("centre", "").isdigit():
            initial["centre"] = request.GET["centre"]
        if request.GET.get("person", "").isdigit():
            person = Person.objects.filter(pk=request.GET["person"]).first()
            if person is not None:
                initial["registration_number"] = person.registration_number
        form = PlaceForm(request.POST or None, user=request.user, initial=initial)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            placement = self._finish(
                request,
                form,
                lambda: services.placement_create(
                    actor=request.user,
                    person=data["registration_number"],
                    centre=data["centre"],
                    start=data["start"],
                ),
            )
            if placement is not None:
                messages.success(request, _("Placed in %(c)s.") % {"c": placement.centre.name})
                return HttpResponseRedirect(
                    reverse("admin:reception_receptioncentre_change", args=[placement.centre_id])
                )
        return self._render(request, form, _("Place a person in a centre"))

    def _open_placement(self, request: HttpRequest, pk: int) -> Placement:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(
            self.get_queryset(request).select_related("person", "centre"), pk=pk
        )

    def transfer_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        placement = self._open_placement(request, pk)
        form = TransferForm(request.POST or None, exclude=placement.centre)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            new = self._finish(
                request,
                form,
                lambda: services.placement_transfer(
                    actor=request.user,
                    placement=placement,
                    to_centre=data["to_centre"],
                    reason=data["reason"],
                    on=data["on"],
                ),
            )
            if new is not None:
                messages.success(request, _("Transferred to %(c)s.") % {"c": new.centre.name})
                return HttpResponseRedirect(reverse("admin:reception_placement_changelist"))
        return self._render(request, form, _("Transfer to another centre"), placement)

    def discharge_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        placement = self._open_placement(request, pk)
        form = DischargeForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            done = self._finish(
                request,
                form,
                lambda: services.placement_discharge(
                    actor=request.user, placement=placement, reason=data["reason"], on=data["on"]
                ),
            )
            if done is not None:
                messages.success(request, _("Discharged."))
                return HttpResponseRedirect(reverse("admin:reception_placement_changelist"))
        return self._render(request, form, _("Discharge from reception"), placement)


class SettlementForm(forms.Form):
    registration_number = forms.CharField(label=_("registration number"), max_length=14)
    municipality = forms.ModelChoiceField(queryset=Municipality.objects.all())
    settled_on = forms.DateField(label=_("settled on"), initial=timezone.localdate)

    def clean_registration_number(self) -> Any:
        """The person's accepted application: the permit that gives the right to settlement."""
        from casework.applications.choices import State
        from casework.models import Application

        number = "".join(self.cleaned_data["registration_number"].split())
        application = (
            Application.objects.filter(person__registration_number=number, state=State.ACCEPTED)
            .select_related("person")
            .order_by("-decided_at", "-id")
            .first()
        )
        if application is None:
            raise ValidationError(_("No accepted application for this registration number."))
        return application


@admin.register(Settlement)
class SettlementAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, admin.ModelAdmin):
    """Settlements are recorded through ``services.settlement_record`` (quota, deadlines).

    Scoped by the model scope registered in ``apps.py``; lists and pages are access-logged.
    """

    list_display = ("person", "municipality", "settled_on", "application")
    list_filter = (("settled_on", admin.DateFieldListFilter),)
    list_select_related = ("person", "municipality", "application")
    search_fields = ("=person__registration_number", "municipality__name")
    readonly_fields = ("person", "municipality", "settled_on", "application", "recorded_by")

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        """Record a settlement through the service (accepted case, quota, deadline, placement)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = SettlementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                services.settlement_record(
                    actor=request.user,
                    application=data["registration_number"],
                    municipality=data["municipality"],
                    settled_on=data["settled_on"],
                )
            except PermissionDenied as exc:
                form.add_error(None, str(exc))
            except TransitionConflict as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, _("Settlement recorded."))
                return HttpResponseRedirect(reverse("admin:reception_settlement_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Record a settlement"),
            "form": form,
        }
        return TemplateResponse(request, "admin/casework/action_form.html", context)
