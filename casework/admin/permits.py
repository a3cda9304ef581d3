"""Residence permits and their group renewal in the admin.

A permit is written by its decision (``casework.permits.services.permit_grant``); here it is
read (access-logged, scoped to the people the user may see), and only the day its card was
issued is recorded (``permit_card_issued``). A group renewal is started from its own page
(``renewal_run_start``) and runs in the background; its page shows its progress with a
progress bar and reloads itself every few seconds until it has finished (no JavaScript,
as the imports do).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.admin.base import (
    EVENT_TITLES,
    FastListMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    saved_as,
)
from casework.core.exceptions import TransitionInvalid
from casework.permits.choices import PermitStatus, RenewalRunStatus
from casework.permits.models import EXPIRY_NOTICE, PermitRenewal, RenewalRun, ResidencePermit
from casework.permits.services import permit_card_issued, renewal_run_start
from casework.privacy.access import AccessLoggedAdminMixin

EVENT_TITLES.update(
    {
        "permit.granted": _("Residence permit granted"),
        "permit.renewed": _("Residence permit renewed"),
        "permit.card_issued": _("Residence card issued"),
        "permit.ended": _("Residence permit ended by a later decision"),
        "permit.renewal_started": _("Group renewal started"),
        "permit.renewal_finished": _("Group renewal finished"),
    }
)


class PermitStatusFilter(admin.SimpleListFilter):
    """Valid, expiring soon (within the expiry notice), expired, ended by a later decision,
    or renewed: by the dates, each a range on an indexed column."""

    title = _("status")
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Any:
        return [*PermitStatus.choices, ("renewed", _("renewed"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        today = timezone.localdate()
        value = self.value()
        if value == PermitStatus.ENDED:
            return queryset.filter(ended_on__lte=today)
        running = queryset.exclude(ended_on__lte=today)
        if value == PermitStatus.EXPIRED:
            return running.filter(valid_until__lt=today)
        if value == PermitStatus.EXPIRING:
            return running.filter(valid_until__gte=today, valid_until__lt=today + EXPIRY_NOTICE)
        if value == PermitStatus.VALID:
            return running.filter(valid_until__gte=today + EXPIRY_NOTICE)
        if value == "renewed":
            return queryset.filter(renewal_count__gt=0)
        return queryset


class PermitRenewalInline(admin.TabularInline):
    """The permit's renewals, oldest first: its history after the first period."""

    model = PermitRenewal
    extra = 0
    fields = ("previous_until", "new_until", "run", "renewed_at", "renewed_by")
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related("run", "renewed_by")


class CardForm(forms.ModelForm):
    class Meta:
        model = ResidencePermit
        fields = ("card_issued_on",)


@admin.register(ResidencePermit)
class ResidencePermitAdmin(
    AccessLoggedAdminMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    FastListMixin,
    admin.ModelAdmin,
):
    """Permits as records: read here; the card's day recorded through the service."""

    form = CardForm
    list_display = (
        "person",
        "permit_type",
        "valid_from",
        "valid_until",
        "status_label",
        "renewal_count",
        "card_issued_on",
        "group",
    )
    list_filter = (PermitStatusFilter, "permit_type")
    list_select_related = ("person",)
    search_fields = ("person__registration_number", "=group")
    date_hierarchy = None
    ordering = ("-valid_from", "-id")
    inlines = (PermitRenewalInline,)
    fields = (
        "person",
        "application",
        "decision",
        "permit_type",
        "valid_from",
        "valid_until",
        "status_label",
        "ended_on",
        "ended_by",
        "identity_unverified",
        "permanent_residence_from",
        "group",
        "renewal_count",
        "card_issued_on",
    )

    @admin.display(description=_("status"))
    def status_label(self, obj: ResidencePermit) -> str:
        return obj.get_status_display()

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        fixed = [f for f in self.fields if f != "card_issued_on"]
        if obj is not None and self.has_change_permission(request, obj):
            return fixed
        return [*fixed, "card_issued_on"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # a permit is given by its decision

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        if self._read_only_role(request):
            return False
        return bool(request.user.has_perm("casework.record_permit_card", obj))

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        issued = form.cleaned_data.get("card_issued_on")
        if issued is None:
            raise TransitionInvalid({"card_issued_on": _("Give the day the card was issued.")})
        saved = permit_card_issued(
            actor=request.user,
            permit=ResidencePermit.objects.get(pk=obj.pk),
            issued_on=issued,
        )
        saved_as(obj, saved)


class RenewalForm(forms.Form):
    """A group renewal's criteria: at least one of group, nationalities, grant dates or
    expiry day (the service says so if none is given)."""

    label = forms.CharField(label=_("Name"), max_length=200)
    legal_basis = forms.CharField(
        label=_("Government decision"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The decision the renewal carries out (e.g. the Royal Decree and its date)."),
    )
    group = forms.CharField(label=_("Named group"), max_length=60, required=False)
    nationalities = forms.CharField(
        label=_("Nationalities"),
        max_length=200,
        required=False,
        help_text=_("ISO codes, comma separated (UA, SY)."),
    )
    granted_from = forms.DateField(
        label=_("Granted from"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    granted_to = forms.DateField(
        label=_("Granted to"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    expiring_by = forms.DateField(
        label=_("Expiring by"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    months = forms.IntegerField(label=_("Extend by (months)"), initial=12, min_value=1)
    key = forms.CharField(
        label=_("Key"),
        max_length=120,
        required=False,
        help_text=_(
            "Empty: the criteria make the key. The same key runs once: starting it again "
            "renews nothing twice."
        ),
    )


@admin.register(RenewalRun)
class RenewalRunAdmin(FastListMixin, admin.ModelAdmin):
    """Group renewals: started here (``renewal_run_start``), followed on their progress page."""

    list_display = ("label", "key", "status", "renewed", "total", "created_by", "created_at")
    list_filter = ("status",)
    list_select_related = ("created_by",)
    search_fields = ("=key", "label")

    def has_add_permission(self, request: HttpRequest) -> bool:
        return bool(request.user.has_perm("casework.renew_permits"))

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RenewalForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            try:
                run = renewal_run_start(
                    actor=request.user,
                    label=data["label"],
                    legal_basis=data["legal_basis"],
                    group=data["group"],
                    nationalities=[c for c in data["nationalities"].split(",") if c.strip()],
                    granted_from=data["granted_from"],
                    granted_to=data["granted_to"],
                    expiring_by=data["expiring_by"],
                    months=data["months"],
                    key=data["key"],
                )
            except TransitionInvalid as exc:
                for field, errors in exc.message_dict.items():
                    form.add_error(field if field in form.fields else None, errors)
            else:
                if run.already_done:
                    messages.warning(
                        request, _("This renewal has already run: nothing is renewed twice.")
                    )
                else:
                    messages.success(request, _("The renewal has started."))
                return HttpResponseRedirect(
                    reverse("admin:casework_renewalrun_change", args=[run.pk])
                )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Renew the permits of a group"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/casework/renewalrun/start.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ):
        run = self.get_object(request, object_id)
        if run is None or not self.has_view_permission(request, run):
            raise PermissionDenied
        running = run.status in (RenewalRunStatus.PENDING, RenewalRunStatus.RUNNING)
        context = {
            **self.admin_site.each_context(request),
            "title": run.label,
            "opts": self.model._meta,
            "run": run,
            "refresh": running,
            "elapsed": _elapsed(run),
        }
        return TemplateResponse(request, "admin/casework/renewalrun/progress.html", context)


def _elapsed(run: RenewalRun) -> str:
    if run.started_at is None:
        return ""
    end = run.finished_at or timezone.now()
    seconds = max((end - run.started_at).total_seconds(), 0.0)
    return str(dt.timedelta(seconds=round(seconds, 1))).rstrip("0").rstrip(".")
