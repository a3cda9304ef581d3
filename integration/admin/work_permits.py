"""Admin for temporary work permits (§ 94): requests, the conditions checklist, decisions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.people.identity import parse_reference
from casework.privacy.scopes import applications_visible_to
from casework.staff.users import AnyUser

from .. import selectors, services
from ..choices import InterviewWaiverGroup, WorkPermitState
from ..eligibility import section_94_unmet
from ..models import WorkPermit, WorkPermitPeriod
from .base import RecordAdmin, run_service


class PeriodInline(admin.TabularInline):
    model = WorkPermitPeriod
    extra = 0
    can_delete = False
    fields = ("kind", "valid_from", "valid_until", "granted_by", "granted_at")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class RequestForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Case reference"), max_length=20)
    interview_waiver_group = forms.ChoiceField(
        label=gettext_lazy("Group for whom the interview is waived"),
        choices=InterviewWaiverGroup.choices,
        required=False,
        help_text=gettext_lazy("Syria and Yemen follow from the nationality."),
    )
    requested_on = forms.DateField(
        required=False, widget=forms.DateInput({"type": "date"}), label=gettext_lazy("Requested on")
    )

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_reference(self) -> Any:
        canonical = parse_reference(self.cleaned_data["reference"])
        app = (
            applications_visible_to(self.user).filter(reference=canonical).first()
            if canonical
            else None
        )
        if app is None:
            raise forms.ValidationError(_("No case with this reference that you may see."))
        return app


@admin.register(WorkPermit)
class WorkPermitAdmin(RecordAdmin):
    workflow = services.WORK_PERMITS
    selector = staticmethod(selectors.work_permits_visible_to)
    list_display = (
        "id",
        "registration_number",
        "case",
        "state",
        "requested_on",
        "valid_until",
        "lapses_at",
    )
    list_filter = (
        "state",
        "interview_waiver_group",
        ("lapses_at", admin.EmptyFieldListFilter),
        ("requested_on", admin.DateFieldListFilter),  # not a date hierarchy: no scan for years
        "valid_until",
    )
    search_fields = ("=person__registration_number", "=application__reference")
    inlines = (PeriodInline,)
    extra_readonly = ("conditions", "timeline")

    @admin.display(description=gettext_lazy("Registration number"))
    def registration_number(self, obj: WorkPermit) -> str:
        return obj.person.registration_number

    @admin.display(description=gettext_lazy("Case"))
    def case(self, obj: WorkPermit) -> str:
        return obj.application.display_reference

    @admin.display(description=gettext_lazy("§ 94 conditions now"))
    def conditions(self, obj: WorkPermit) -> str:
        if obj.state != WorkPermitState.REQUESTED:
            stored = obj.unmet_conditions
            if not stored:
                return "—"
            return format_html_join("", "<li>{}</li>", ((u["message"],) for u in stored))
        unmet = section_94_unmet(
            application=obj.application, waiver_group=obj.interview_waiver_group
        )
        if not unmet:
            return _("Every condition is met.")
        return format_html(
            "<ul>{}</ul>", format_html_join("", "<li>{}</li>", ((str(u.message),) for u in unmet))
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RequestForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            permit = run_service(
                form,
                lambda: services.work_permit_request(
                    actor=request.user,
                    application=data["reference"],
                    requested_on=data["requested_on"],
                    interview_waiver_group=data["interview_waiver_group"],
                ),
            )
            if permit is not None:
                messages.success(request, _("Request registered."))
                return HttpResponseRedirect(
                    reverse("admin:integration_workpermit_change", args=[permit.pk])
                )
        return self.render_form(request, form, _("Register a work permit request"))
