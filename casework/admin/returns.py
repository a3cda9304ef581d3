"""Return records in the admin: who is obliged to leave, and how each return ends.

Every write is a service call on a page of its own (``casework.returns.services``): the
change page shows the record and saves nothing. Opening a return takes the case reference;
the transitions of ``casework/returns/workflow.py`` (assisted return applied for, granted or
refused, travelled; forced return requested and carried out; whereabouts unknown) are offered
only to those who may make them now, and the service asks again inside its transaction.
Every read is access-logged.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.urls import path, reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.admin.base import EVENT_TITLES
from casework.admin.forms import InputsForm
from casework.admin.interpreters import _run, _ServicePagesAdmin
from casework.admin.start import Item, Section, list_url, register
from casework.people.identity import parse_reference
from casework.privacy.scopes import applications_visible_to
from casework.returns import services
from casework.returns.choices import ReturnState
from casework.returns.models import Return
from casework.staff.users import AnyUser
from casework.transitions.services import transition_refusal, transitions_available

EVENT_TITLES.update({"return.opened": gettext_lazy("Return opened: obliged to leave")})


class OpenForm(forms.Form):
    reference = forms.CharField(label=gettext_lazy("Case reference"), max_length=20)

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


@admin.register(Return)
class ReturnAdmin(_ServicePagesAdmin):
    """Returns after a rejection: assisted, forced, or whereabouts unknown."""

    list_display = (
        "id",
        "case",
        "nationality",
        "state",
        "departure_deadline",
        "applied_before_deadline",
        "ended_at",
        "ended_as",
    )
    list_filter = ("state", "ended_as", "applied_before_deadline")
    search_fields = ("=application__reference", "=person__registration_number")
    list_select_related = ("application", "person")
    raw_id_fields = ("application", "person")

    @admin.display(description=gettext_lazy("Case"))
    def case(self, obj: Return) -> str:
        return obj.application.display_reference

    @admin.display(description=gettext_lazy("nationality"))
    def nationality(self, obj: Return) -> str:
        return str(obj.person.nationality.name or "—")

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
        names = transitions_available(workflow=services.RETURNS, record=obj, user=request.user)
        return [
            (
                reverse(f"admin:{self._urlname('transition')}", args=[obj.pk, n]),
                str(services.RETURNS[n].label),
            )
            for n in names
        ]

    def _summary(self, obj: Return) -> str:
        return _("Case %(case)s: %(state)s") % {
            "case": obj.application.display_reference,
            "state": obj.get_state_display(),
        }

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        if not self.has_view_permission(request):
            raise PermissionDenied
        obj = get_object_or_404(
            self.get_queryset(request).select_related("application", "person"), pk=pk
        )
        declaration = services.RETURNS.transitions.get(name)
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
                lambda: services.return_transition(
                    actor=request.user, record=obj, name=name, **form.service_fields()
                ),
            )
            if done is not None:
                messages.success(request, _("Done: %(what)s.") % {"what": declaration.label})
                return HttpResponseRedirect(change_url)
        refusal = transition_refusal(workflow=services.RETURNS, record=obj, name=name)
        return self.render_form(
            request,
            form,
            str(declaration.label),
            obj=obj,
            intro=refusal or "",
            submit_label=str(declaration.label),
            summary=self._summary(obj),
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = OpenForm(request.POST or None, user=request.user)
        if request.method == "POST" and form.is_valid():
            record = _run(
                form,
                lambda: services.return_open(
                    actor=request.user, application=form.cleaned_data["reference"]
                ),
            )
            if record is not None:
                messages.success(request, _("Return opened."))
                return HttpResponseRedirect(
                    reverse(f"admin:{self._urlname('change')}", args=[record.pk])
                )
        return self.render_form(
            request,
            form,
            _("Open a return"),
            intro=_(
                "A return is opened for a rejected case once its decision has reached the "
                "applicant: the departure deadline then runs."
            ),
            submit_label=_("Open"),
        )


def _returns_panel(request: HttpRequest) -> list[Section]:
    """The start page's links: forced returns waiting for the police, open returns."""
    user = request.user
    if not user.has_perm("casework.view_return"):
        return []
    items = [
        Item(
            _("Forced returns waiting to be carried out"),
            list_url("casework_return", state__exact=ReturnState.FORCED_REQUESTED),
        ),
        Item(
            _("Assisted return applied for, to decide"),
            list_url("casework_return", state__exact=ReturnState.APPLIED),
        ),
    ]
    if user.has_perm("casework.add_return"):
        items.append(Item(_("Open a return"), reverse("admin:casework_return_create")))
    return [Section(_("Returns"), items)]


register(_returns_panel)
