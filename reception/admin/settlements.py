"""Settlements (bosetting) in the admin: recorded through ``services.settlement_record``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin, ScopedAdminMixin
from casework.core.exceptions import TransitionConflict
from casework.privacy.access import AccessLoggedAdminMixin

from .. import services
from ..models import Municipality, Settlement


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
class SettlementAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, admin.ModelAdmin):
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
