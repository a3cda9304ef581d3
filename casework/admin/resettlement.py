"""The resettlement quota and UNHCR's referrals, in the admin.

The quota's change form saves through ``quota_set`` (a decision-maker sets a year's places;
places already taken are shown and never undercut). A referral's change page shows the record
and saves nothing: it is registered on a page of its own (``referral_register``) and moved
by the transitions of ``casework/resettlement/workflow.py``, offered only to those who may
make them now; a selection refused because the quota is full says so on the form. Every read
is access-logged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_countries import countries

from casework.admin.base import (
    EVENT_TITLES,
    FastListMixin,
    ServiceFormAdminMixin,
    changed_fields,
    saved_as,
)
from casework.admin.forms import InputsForm
from casework.admin.interpreters import _run, _ServicePagesAdmin
from casework.admin.start import Item, Section, list_url, register
from casework.people.choices import Sex
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.privacy.scopes import visible_to
from casework.resettlement import services
from casework.resettlement.choices import Priority, ReferralState, SelectionMethod
from casework.resettlement.models import ResettlementQuota, ResettlementReferral
from casework.transitions.services import transition_refusal, transitions_available

EVENT_TITLES.update(
    {
        "resettlement_quota.set": gettext_lazy("Resettlement quota set"),
        "resettlement_quota.changed": gettext_lazy("Resettlement quota changed"),
        "resettlement.referred": gettext_lazy("UNHCR referral registered"),
        "resettlement.imported": gettext_lazy("Resettlement arrival imported"),
    }
)


@admin.register(ResettlementQuota)
class ResettlementQuotaAdmin(ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin):
    """A year's resettlement places (Immigration Act § 35), with the places taken and left.
    The year of a quota does not change and a quota is never deleted (referrals count
    against it): set its places instead."""

    list_display = ("year", "places", "taken", "remaining_places", "source", "verified")
    list_filter = ("verified",)
    fields = ("year", "places", "taken", "remaining_places", "source", "verified")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return visible_to(request.user, super().get_queryset(request))

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        computed = ("taken", "remaining_places")
        return computed if obj is None else ("year", *computed)

    @admin.display(description=gettext_lazy("places left"))
    def remaining_places(self, obj: ResettlementQuota) -> int | str:
        return "—" if obj is None or obj.pk is None else obj.remaining

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        data = form.cleaned_data
        saved = services.quota_set(
            actor=request.user,
            year=obj.year if change else data["year"],
            places=data["places"],
            source=data.get("source", ""),
            verified=data.get("verified", False),
            expected_version=obj.version if change and changed_fields(form) else None,
        )
        saved_as(obj, saved)


class ReferralForm(forms.Form):
    """A UNHCR referral and the refugee it names."""

    unhcr_reference = forms.CharField(label=gettext_lazy("UNHCR reference"), max_length=40)
    referral_date = forms.DateField(
        label=gettext_lazy("Referral date"), widget=forms.DateInput(attrs={"type": "date"})
    )
    priority = forms.ChoiceField(label=gettext_lazy("Priority"), choices=Priority.choices)
    selection_method = forms.ChoiceField(
        label=gettext_lazy("Selection"), choices=SelectionMethod.choices
    )
    given_name = forms.CharField(label=gettext_lazy("Given name"), max_length=120)
    family_name = forms.CharField(label=gettext_lazy("Family name"), max_length=120)
    date_of_birth = forms.DateField(
        label=gettext_lazy("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )
    sex = forms.ChoiceField(label=gettext_lazy("Sex"), choices=Sex.choices)
    nationality = forms.ChoiceField(label=gettext_lazy("Nationality"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["nationality"].choices = [("", _("stateless")), *countries]  # type: ignore[attr-defined]


@admin.register(ResettlementReferral)
class ResettlementReferralAdmin(_ServicePagesAdmin):
    """Refugees UNHCR referred for resettlement: selection, arrival, the case opened."""

    list_display = (
        "unhcr_reference",
        "person",
        "referral_date",
        "priority",
        "selection_method",
        "state",
        "quota_year",
        "case",
    )
    list_filter = ("state", "priority", "selection_method")
    search_fields = ("=unhcr_reference", "=person__registration_number")
    list_select_related = ("person", "application")
    raw_id_fields = ("person", "unit")

    @admin.display(description=gettext_lazy("Case"))
    def case(self, obj: ResettlementReferral) -> str:
        return obj.application.display_reference if obj.application is not None else "—"

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                wrap(self.transition_view),
                name=self._urlname("transition"),
            ),
            path("create/", wrap(self.create_view), name=self._urlname("create")),
            *super().get_urls(),
        ]

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        names = transitions_available(workflow=services.REFERRALS, record=obj, user=request.user)
        return [
            (
                reverse(f"admin:{self._urlname('transition')}", args=[obj.pk, n]),
                str(services.REFERRALS[n].label),
            )
            for n in names
        ]

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not request.user.has_perm("casework.manage_referral"):
            raise PermissionDenied
        form = ReferralForm(request.POST or None, initial={"referral_date": timezone.localdate()})
        if request.method == "POST" and form.is_valid():
            done = _run(
                form,
                lambda: services.referral_register(actor=request.user, **form.cleaned_data),
            )
            if done is not None:
                messages.success(request, _("The referral is registered."))
                return HttpResponseRedirect(
                    reverse(f"admin:{self._urlname('change')}", args=[done.pk])
                )
        return self.render_form(request, form, _("Register a UNHCR referral"))

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request).select_related("person"), pk=pk)
        declaration = services.REFERRALS.transitions.get(name)
        if (
            declaration is None
            or not declaration.offered
            or not declaration.permitted(obj, request.user)
        ):
            raise PermissionDenied
        form = InputsForm(request.POST or None, declaration=declaration, enforce_required=False)
        change_url = reverse(f"admin:{self._urlname('change')}", args=[obj.pk])
        if request.method == "POST" and form.is_valid():
            done = _run(
                form,
                lambda: services.referral_transition(
                    actor=request.user, referral=obj, name=name, **form.service_fields()
                ),
            )
            if done is not None:
                messages.success(request, _("Done: %(what)s.") % {"what": declaration.label})
                return HttpResponseRedirect(change_url)
        refusal = transition_refusal(workflow=services.REFERRALS, record=obj, name=name)
        # The page names the refugee and the UNHCR reference: a read of their data.
        access_log(user=request.user, action=AccessLog.Action.VIEW, objects=[obj], via="admin")
        summary = _("UNHCR referral %(ref)s, %(person)s: %(state)s") % {
            "ref": obj.unhcr_reference,
            "person": obj.person,
            "state": obj.get_state_display(),
        }
        return self.render_form(
            request,
            form,
            str(declaration.label),
            obj=obj,
            intro=refusal or "",
            submit_label=str(declaration.label),
            summary=summary,
        )


def _resettlement_panel(request: HttpRequest) -> list[Section]:
    """The start page's links to the referrals waiting for a selection and the quota."""
    user = request.user
    if not user.has_perm("casework.view_resettlementreferral"):
        return []
    items = [
        Item(
            _("UNHCR referrals waiting for a selection"),
            list_url("casework_resettlementreferral", state__exact=ReferralState.REFERRED),
        ),
        Item(
            _("Selected refugees not yet arrived"),
            list_url("casework_resettlementreferral", state__exact=ReferralState.SELECTED),
        ),
        Item(_("Resettlement quota by year"), list_url("casework_resettlementquota")),
    ]
    if user.has_perm("casework.manage_referral"):
        items.append(
            Item(
                _("Register a UNHCR referral"),
                reverse("admin:casework_resettlementreferral_create"),
            )
        )
    return [Section(_("Resettlement"), items)]


register(_resettlement_panel)
