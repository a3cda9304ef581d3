"""Placements in the admin: placing, transferring and discharging a resident.

Thin: lists are scoped by ``selectors`` (an officer sees the centres they work for and those
centres' residents, never asylum grounds), and every change goes through ``services``, which
re-check the officer's permission for the centre. The ``Placement`` model is never edited by
form: placing, transferring and discharging are views of their own.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin, ScopedAdminMixin
from casework.core.exceptions import TransitionConflict
from casework.models import AccessLog, Person
from casework.privacy.access import AccessLoggedAdminMixin, access_log
from casework.staff.users import AnyUser

from .. import selectors, services
from ..choices import DischargeReason
from ..models import Placement, ReceptionCentre
from .base import may_move_residents, placement_links

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


def person_placement_summary(person: Person) -> str:
    """For the person's admin page (a read-only panel for whoever may see placements): where
    the person lives now."""
    placement = selectors.current_placement(person)
    if placement is None:
        return str(_("Not in reception."))
    return format_html("{} {} {}", placement.centre.name, _("since"), f"{placement.start:%d.%m.%Y}")


def person_placement_actions(person: Person) -> str:
    """The person's page's second reception panel, only for who may place residents (not an
    auditor, who reads the first): a link to place them, or to transfer or discharge them."""
    placement = selectors.current_placement(person)
    if placement is None:
        return format_html(
            '<a href="{}?person={}">{}</a>',
            reverse("admin:reception_placement_place"),
            person.pk,
            _("Place in a centre"),
        )
    return placement_links(placement)


class PlaceForm(forms.Form):
    registration_number = forms.CharField(
        label=_("registration number"), max_length=14, help_text=_("12 digits, spaces allowed")
    )
    centre = forms.ModelChoiceField(queryset=ReceptionCentre.objects.none(), label=_("centre"))
    start = forms.DateField(label=_("from"), initial=timezone.localdate)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        centre = self.fields["centre"]
        assert isinstance(centre, forms.ModelChoiceField)
        centre.queryset = selectors.centres_visible_to(user, ReceptionCentre.objects.open_on(today))

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
        to_centre = self.fields["to_centre"]
        assert isinstance(to_centre, forms.ModelChoiceField)
        to_centre.queryset = ReceptionCentre.objects.open_on(timezone.localdate()).exclude(
            pk=exclude.pk
        )


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


class CentreFilter(admin.SimpleListFilter):
    """The centres the user may see (``centres_visible_to``), read from the centres table: the
    admin's "related only" filter would read every placement for the centres they name."""

    title = _("centre")
    parameter_name = "centre__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        centres = selectors.centres_visible_to(request.user).order_by("name")
        return [(str(pk), name) for pk, name in centres.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(centre_id=value) if value and value.isdigit() else queryset


@admin.register(Placement)
class PlacementAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, admin.ModelAdmin):
    """Residents' placements: scoped to the officer's centres (the model scope registered in
    ``apps.py``), and every list and opened placement written to the access log."""

    list_display = ("resident", "centre", "start", "end", "ended_by", "links")
    list_filter = (
        OpenFilter,
        "centre__kind",
        CentreFilter,
        ("start", admin.DateFieldListFilter),  # not a date hierarchy: no scan for its years
        "ended_by",
    )
    list_select_related = ("person", "centre")
    search_fields = ("=person__registration_number",)
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

    def get_list_display(self, request: HttpRequest) -> Any:
        shown = super().get_list_display(request)
        return shown if may_move_residents(request) else [f for f in shown if f != "links"]

    @admin.display(description=_("resident"), ordering="person__family_name")
    def resident(self, obj: Placement) -> str:
        return f"{obj.person.full_name} ({obj.person.registration_number})"

    @admin.display(description=_("actions"))
    def links(self, obj: Placement) -> str:
        return placement_links(obj)

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

    def _render(
        self, request: HttpRequest, form: forms.Form, title: StrOrPromise, obj: Any = None
    ) -> TemplateResponse:
        summary = ""
        if obj is not None:
            # The page names the resident: a read of their placement, logged like a change page.
            access_log(user=request.user, action=AccessLog.Action.VIEW, objects=[obj])
            person = obj.person
            summary = (
                f"{person.full_name} ({person.registration_number}) — {obj.centre.name}, "
                f"{_('since')} {date_format(obj.start, 'DATE_FORMAT')}"
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
