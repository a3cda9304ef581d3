"""What every integration admin shares: read-only records, transition pages, a timeline.

A record's fields are never edited in the change form: every change goes through a page that
calls a service. Transition buttons are offered only for what the user may do now
(``transitions_available`` over the model's ``Workflow``); a transition's page has exactly
the inputs its declaration lists (``workflow.py``); the page checks the permission again on
GET and the service checks it once more inside its transaction on POST, so a forged POST for
a transition the user may not make is refused and leaves no trace.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

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
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.admin.base import EVENT_TITLES, FastListMixin, event_title
from casework.admin.forms import InputsForm
from casework.core.exceptions import ConditionsUnmet, TransitionConflict
from casework.models import AuditEvent
from casework.privacy.access import AccessLoggedAdminMixin
from casework.staff.users import AnyUser
from casework.transitions.services import (
    Workflow,
    state_label,
    transition_make,
    transition_refusal,
    transitions_available,
)

# The integration records' events that no transition makes, in words (``event_title``).
EVENT_TITLES.update(
    {
        "family.registered": gettext_lazy("Family reunification registered"),
        "family.documents": gettext_lazy("Documents handed in"),
        "family.windows_opened": gettext_lazy("Time limits set"),
        "programme.enrolled": gettext_lazy("Enrolled in the programme"),
        "programme.element_added": gettext_lazy("Element added to the plan"),
        "programme.test_recorded": gettext_lazy("Norwegian test recorded"),
        "work_permit.requested": gettext_lazy("Work permit requested"),
        "work_permit.lapse_set": gettext_lazy("Lapse date set"),
        "work_permit.lapse_lifted": gettext_lazy("Lapse date lifted"),
        "municipality_officer_added": gettext_lazy("Municipality officer added"),
        "municipality_officer_removed": gettext_lazy("Municipality officer removed"),
    }
)


def run_service(form: forms.Form, call: Callable[[], Any]) -> Any:
    """Call a service; put its refusals on the form (field errors where it names a field)."""
    try:
        return call()
    except PermissionDenied as exc:
        form.add_error(None, str(exc) or _("You are not allowed to do this."))
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            for field, errors in exc.message_dict.items():
                for message in errors:
                    form.add_error(field if field in form.fields else None, message)
        else:
            for message in exc.messages:
                form.add_error(None, message)
    except ConditionsUnmet as exc:
        for unmet in exc.unmet:
            form.add_error(None, str(unmet.message))
    except TransitionConflict as exc:
        form.add_error(None, exc.message)
    return None


class RecordAdmin(AccessLoggedAdminMixin, FastListMixin, admin.ModelAdmin):
    """Base of the integration admins: scoped lists, transitions through services, timeline.

    Every read is access-logged as in casework (``AccessLoggedAdminMixin``): the change and
    history pages ("view"), each list page ("list", or "search" with the search's shape and
    the ids on the page) and autocomplete answers.
    """

    workflow: Workflow[Any]
    selector: Callable[[AnyUser, QuerySet[Any]], QuerySet[Any]] | None = None

    def transition(self, request: HttpRequest, obj: Any, name: str, data: dict) -> Any:
        """Make the transition through casework's one transition service."""
        return transition_make(
            workflow=self.workflow, actor=request.user, record=obj, name=name, **data
        )

    # --- scoping and read-only ------------------------------------------------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        qs = super().get_queryset(request)
        selector = type(self).selector
        return selector(request.user, qs) if selector is not None else qs

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> list[str]:
        concrete = [f.name for f in self.model._meta.fields]
        return [*concrete, *self.extra_readonly]

    extra_readonly: tuple[str, ...] = ("timeline",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        """The change page shows the record and saves nothing (a POST to it is refused): every
        change is a service call on a page of its own."""
        return False if obj is not None else super().has_change_permission(request, obj)

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        return HttpResponseRedirect(reverse(f"admin:{self._urlname('create')}"))

    def _urlname(self, what: str) -> str:
        return f"{self.model._meta.app_label}_{self.model._meta.model_name}_{what}"

    # --- read-only displays ---------------------------------------------------------------

    def action_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        """The transitions this user may make now, and the record's other pages."""
        names = transitions_available(workflow=self.workflow, record=obj, user=request.user)
        links = [
            (
                reverse(f"admin:{self._urlname('transition')}", args=[obj.pk, n]),
                str(self.workflow[n].label),
            )
            for n in names
        ]
        return [*links, *self.extra_links(obj, request)]

    def extra_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        return []

    @admin.display(description=gettext_lazy("Timeline"))
    def timeline(self, obj: Any) -> str:
        if obj is None or obj.pk is None:
            return "—"
        events = (
            AuditEvent.objects.filter(changes__subject=obj.audit_subject)
            .select_related("actor")
            .order_by("at", "id")
        )
        rows = format_html_join(
            "",
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            (
                (
                    date_format(timezone.localtime(e.at), "DATETIME_FORMAT"),
                    event_title(e.action),
                    (
                        f"{state_label(e.action, e.source_state)} → "
                        f"{state_label(e.action, e.target_state)}"
                        if e.source_state and e.target_state and e.source_state != e.target_state
                        else state_label(e.action, e.target_state)
                    ),
                    e.actor.get_username() if e.actor else _("system"),
                    e.reason,
                )
                for e in events
            ),
        )
        return format_html(
            "<table><thead><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>"
            "</thead><tbody>{}</tbody></table>",
            _("When"),
            _("What"),
            _("State"),
            _("Who"),
            _("Why"),
            rows,
        )

    change_form_template = "admin/integration/change_form.html"

    def render_change_form(
        self,
        request: HttpRequest,
        context: dict[str, Any],
        add: bool = False,
        change: bool = False,
        form_url: str = "",
        obj: Any = None,
    ) -> Any:
        # The record the admin has just read for the page: not read a second time for links.
        if obj is not None:
            context["action_links"] = self.action_links(obj, request)
        return super().render_change_form(request, context, add, change, form_url, obj)

    # --- pages ----------------------------------------------------------------------------

    def get_urls(self) -> list:
        wrap = self.admin_site.admin_view
        return [
            path(
                "<int:pk>/transition/<str:name>/",
                wrap(self.transition_view),
                name=self._urlname("transition"),
            ),
            path("create/", wrap(self.create_view), name=self._urlname("create")),
            *self.more_urls(wrap),
            *super().get_urls(),
        ]

    def more_urls(self, wrap: Callable) -> list:
        return []

    def render_form(
        self,
        request: HttpRequest,
        form: forms.Form,
        title: str,
        obj: Any = None,
        explanation: str = "",
        submit_label: str = "",
    ) -> HttpResponse:
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": title,
            "form": form,
            "original": obj,
            "summary": f"{obj} — {obj.get_state_display()}" if obj is not None else "",
            "intro": explanation,
            "submit_label": submit_label,
        }
        return TemplateResponse(request, "admin/casework/action_form.html", context)

    def visible_object(self, request: HttpRequest, pk: int) -> Any:
        if not self.has_view_permission(request):
            raise PermissionDenied
        return get_object_or_404(self.get_queryset(request), pk=pk)

    def transition_view(self, request: HttpRequest, pk: int, name: str) -> HttpResponse:
        obj = self.visible_object(request, pk)
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
            done = run_service(
                form, lambda: self.transition(request, obj, name, form.service_fields())
            )
            if done is not None:
                messages.success(request, _("Done: %(what)s.") % {"what": declaration.label})
                return HttpResponseRedirect(change_url)
        refusal = transition_refusal(workflow=self.workflow, record=obj, name=name)
        return self.render_form(
            request,
            form,
            str(declaration.label),
            obj=obj,
            explanation=refusal or "",
            submit_label=str(declaration.label),
        )

    def create_view(self, request: HttpRequest) -> HttpResponse:
        raise PermissionDenied
