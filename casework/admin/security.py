"""Admin for data protection: the access log (auditors), subject access export and erasure."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django import forms
from django.apps import apps
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin, ReadOnlyAdmin, ReplicaListMixin, ScopedAdminMixin
from casework.core.replica import replica_alias
from casework.core.statements import distinct_values
from casework.privacy import retention as privacy
from casework.privacy.models import AccessLog
from casework.staff.choices import Role
from casework.staff.roles import has_role


def _model_name(label: str) -> Any:
    """``casework.application`` as a reader says it: "application"."""
    try:
        return apps.get_model(label)._meta.verbose_name
    except (LookupError, ValueError):
        return label


class ModelFilter(admin.SimpleListFilter):
    """The kinds of record in the log, by name, not by their ``app_label.model`` code; read by
    index probes (``distinct_values``), not by a scan of the whole log."""

    title = _("record")
    parameter_name = "model"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        labels = distinct_values(AccessLog, "model", using=replica_alias())
        return sorted(((m, capfirst(_model_name(m))) for m in labels), key=lambda c: str(c[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(model=value) if value else queryset


class ViaFilter(admin.SimpleListFilter):
    """Where the read was made: the admin or the API (the two faces that log), without reading
    the log for its values."""

    title = _("via")
    parameter_name = "via"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [("admin", _("admin")), ("api", _("API"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(via=value) if value else queryset


@admin.register(AccessLog)
class AccessLogAdmin(ReplicaListMixin, ScopedAdminMixin, FastListMixin, ReadOnlyAdmin):
    """Who opened, listed, searched, exported or downloaded what: for auditors, read-only.

    Staff without the auditor role see only their own rows (and only with the permission).
    """

    list_display = ("at", "user", "action", "record", "object_id", "count", "query", "purpose")
    # Dates by the filter's fixed choices (today, past 7 days, …): a date hierarchy would read
    # the dates of the whole log for its links on each view.
    list_filter = ("action", ModelFilter, ViaFilter, ("at", admin.DateFieldListFilter))
    list_select_related = ("user",)
    search_fields = ("=user__username", "=object_id")
    ordering = ("-at", "-id")

    @admin.display(description=_("record"), ordering="model")
    def record(self, obj: AccessLog) -> Any:
        return _model_name(obj.model)


class EraseForm(forms.Form):
    reason = forms.CharField(
        label=_("Legal basis and reason"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=1000,
    )


class PersonPrivacyAdminMixin:
    """Adds "export everything held (subject access)" and "erase personal data" actions."""

    actions: Sequence[Any] | None = ("export_subject_access", "erase_personal_data")

    def has_subject_access_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser or has_role(
            request.user, Role.CASEWORKER, Role.DECISION_MAKER, Role.AUDITOR
        )

    def has_erase_permission(self, request: HttpRequest) -> bool:
        return request.user.is_superuser

    @admin.action(
        description=_("Export everything held about this person (subject access, JSON)"),
        permissions=("subject_access",),
    )
    def export_subject_access(self, request: HttpRequest, queryset: QuerySet) -> Any:
        people = list(queryset[:2])
        if len(people) != 1:
            messages.error(request, _("Select exactly one person to export."))
            return None
        data = privacy.person_export(actor=request.user, person=people[0])
        response = HttpResponse(
            json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2),
            content_type="application/json; charset=utf-8",
        )
        response["Content-Disposition"] = (
            f'attachment; filename="subject-access-{people[0].pk}.json"'
        )
        response["Cache-Control"] = "no-store, private"
        return response

    @admin.action(
        description=_("Erase personal data (anonymise now; refused while a case is open)"),
        permissions=("erase",),
    )
    def erase_personal_data(self, request: HttpRequest, queryset: QuerySet) -> Any:
        form = EraseForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            done = 0
            for person in queryset:
                try:
                    privacy.person_erase(
                        actor=request.user, person=person, reason=form.cleaned_data["reason"]
                    )
                    done += 1
                except (ValidationError, PermissionDenied) as exc:
                    text = " ".join(getattr(exc, "messages", [str(exc)]))
                    messages.error(request, f"{person.registration_number}: {text}")
            if done:
                messages.success(request, _("%(n)d person(s) erased.") % {"n": done})
            return None
        return TemplateResponse(
            request,
            "admin/casework/person/erase.html",
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "title": _("Erase personal data"),
                "opts": self.model._meta,  # type: ignore[attr-defined]
                "form": form,
                "people": queryset[:50],
                "selected": request.POST.getlist(helpers.ACTION_CHECKBOX_NAME),
                "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            },
        )
