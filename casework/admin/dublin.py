"""Dublin cases in the admin: the rule sets, the requests to other states and the requests to
stay during the appeal.

Every write is a service call on a page of its own (``casework.dublin.services``): the change
pages show the record, its trail (request -> answer -> transfer) and the actions the user may
take now, and save nothing. The rule sets are the law's periods: read here, changed by a
migration. Every read is access-logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.admin.base import EVENT_TITLES, FastListMixin
from casework.admin.forms import InputsForm
from casework.admin.interpreters import _run, _ServicePagesAdmin
from casework.applications.models import Application
from casework.dublin import services
from casework.dublin.choices import DUBLIN_STATES, LegalGround, RequestKind
from casework.dublin.models import DublinRequest, DublinRuleSet, DublinStayRequest
from casework.people.identity import parse_reference
from casework.privacy.access import AccessLoggedAdminMixin
from casework.privacy.scopes import visible_to
from casework.transitions.services import (
    Workflow,
    transition_refusal,
    transitions_available,
)

EVENT_TITLES.update(
    {
        "dublin.prepared": gettext_lazy("Dublin request prepared"),
        "dublin_stay.lodged": gettext_lazy("Request to stay during the appeal lodged"),
    }
)


@admin.register(DublinRuleSet)
class DublinRuleSetAdmin(AccessLoggedAdminMixin, FastListMixin, admin.ModelAdmin):
    """The periods of each regulation and the days it is in force (read only)."""

    list_display = ("name", "regulation", "valid_from", "valid_to", "verified")
    ordering = ("valid_from",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class _TransitionPages(_ServicePagesAdmin):
    """A record's transitions, each on a page of its own, offered only when possible."""

    workflow: Workflow[Any]

    def call(self, request: HttpRequest, obj: Any, name: str, fields: dict[str, Any]) -> Any:
        raise NotImplementedError

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

    @admin.display(description=gettext_lazy("Case"))
    def case(self, obj: Any) -> str:
        return str(obj.application.display_reference)

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        names = transitions_available(workflow=self.workflow, record=obj, user=request.user)
        return [
            (
                reverse(f"admin:{self._urlname('transition')}", args=[obj.pk, n]),
                str(self.workflow[n].label),
            )
            for n in names
        ]

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(self.get_queryset(request).select_related("application"), pk=pk)
        declaration = self.workflow.transitions.get(name)
        if (
            declaration is None
            or not declaration.offered
            or not declaration.permitted(obj, request.user)
        ):
            raise PermissionDenied
        form = InputsForm(request.POST or None, declaration=declaration, enforce_required=False)
        change_url = reverse(f"admin:{self._urlname('change')}", args=[obj.pk])
        if request.method == "POST" and form.is_valid():
            done = _run(form, lambda: self.call(request, obj, name, form.service_fields()))
            if done is not None:
                messages.success(request, _("Done: %(what)s.") % {"what": declaration.label})
                return HttpResponseRedirect(change_url)
        refusal = transition_refusal(workflow=self.workflow, record=obj, name=name)
        summary = _("%(record)s, case %(case)s: %(state)s") % {
            "record": obj,
            "case": obj.application.display_reference,
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

    def create_view(self, request: HttpRequest) -> HttpResponse:
        raise NotImplementedError

    def _case(self, request: HttpRequest, form: forms.Form) -> Application | None:
        # As the case page shows it (with dashes), or as typed: spaces, dashes and look-alike
        # characters forgiven, as everywhere a person types a reference.
        reference = parse_reference(str(form.cleaned_data["case"]))
        app = (
            visible_to(request.user, Application.objects.all()).filter(reference=reference).first()
            if reference
            else None
        )
        if app is None:
            form.add_error("case", _("No case of yours has this reference."))
        return app


class DublinRequestForm(forms.Form):
    case = forms.CharField(label=gettext_lazy("Case reference"), max_length=40)
    member_state = forms.ChoiceField(
        label=gettext_lazy("Requested state"), choices=[(c, c) for c in DUBLIN_STATES]
    )
    kind = forms.ChoiceField(label=gettext_lazy("Kind"), choices=RequestKind.choices)
    legal_ground = forms.ChoiceField(
        label=gettext_lazy("Legal ground"), choices=LegalGround.choices
    )
    eurodac_hit_on = forms.DateField(
        label=gettext_lazy("Eurodac hit received on"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    urgent = forms.BooleanField(label=gettext_lazy("Urgent reply asked"), required=False)


@admin.register(DublinRequest)
class DublinRequestAdmin(_TransitionPages):
    """Requests to other Dublin states, with their answers and the transfer."""

    workflow = services.DUBLIN_REQUESTS
    list_display = (
        "created_at",
        "case",
        "member_state",
        "kind",
        "state",
        "request_due_at",
        "reply_due_at",
        "transfer_due_at",
    )
    list_filter = ("state", "kind", "member_state", "implicit")
    search_fields = ("=application__reference",)
    list_select_related = ("application", "rule_set")
    raw_id_fields = ("application",)

    def call(self, request: HttpRequest, obj: Any, name: str, fields: dict[str, Any]) -> Any:
        return services.dublin_request_transition(
            actor=request.user, request=obj, name=name, **fields
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = DublinRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            app = self._case(request, form)
            if app is not None:
                data = dict(form.cleaned_data)
                data.pop("case")
                made = _run(
                    form,
                    lambda: services.dublin_request_prepare(
                        actor=request.user, application=app, **data
                    ),
                )
                if made is not None:
                    messages.success(request, _("Dublin request prepared."))
                    return HttpResponseRedirect(
                        reverse(f"admin:{self._urlname('change')}", args=[made.pk])
                    )
        return self.render_form(
            request,
            form,
            _("Prepare a Dublin request"),
            intro=_(
                "For a case in the Dublin procedure, before it is decided. The day it must be "
                "sent by follows from the rules in force when the application was lodged."
            ),
            submit_label=_("Prepare request"),
        )


class StayRequestForm(forms.Form):
    case = forms.CharField(label=gettext_lazy("Case reference"), max_length=40)
    lodged_at = forms.DateTimeField(
        label=gettext_lazy("Lodged at"),
        required=False,
        help_text=gettext_lazy("Empty: now."),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )


@admin.register(DublinStayRequest)
class DublinStayRequestAdmin(_TransitionPages):
    """Requests to stay in Norway during the appeal of a Dublin decision."""

    workflow = services.DUBLIN_STAYS
    list_display = ("lodged_at", "case", "state", "decision_due_at", "decided_at")
    list_filter = ("state",)
    search_fields = ("=application__reference",)
    list_select_related = ("application",)
    raw_id_fields = ("application", "request")

    def call(self, request: HttpRequest, obj: Any, name: str, fields: dict[str, Any]) -> Any:
        return services.dublin_stay_transition(actor=request.user, stay=obj, name=name, **fields)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = StayRequestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            app = self._case(request, form)
            lodged_at: dt.datetime | None = form.cleaned_data.get("lodged_at")
            if app is not None:
                made = _run(
                    form,
                    lambda: services.dublin_stay_lodge(
                        actor=request.user, application=app, lodged_at=lodged_at
                    ),
                )
                if made is not None:
                    messages.success(request, _("Request to stay lodged."))
                    return HttpResponseRedirect(
                        reverse(f"admin:{self._urlname('change')}", args=[made.pk])
                    )
        return self.render_form(
            request,
            form,
            _("Lodge a request to stay during the appeal"),
            intro=_("Within 48 hours of the notification of the Dublin decision."),
            submit_label=_("Lodge request"),
        )
