"""Units and staff profiles: saved through ``casework.staff.services``, which audit each change."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from casework.admin.base import (
    ServiceFormAdminMixin,
    changed_fields,
    saved_as,
)
from casework.staff.models import StaffProfile, Unit
from casework.staff.services import (
    staff_profile_create,
    staff_profile_update,
    unit_create,
    unit_update,
)


@admin.register(Unit)
class UnitAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """Offices, opened and renamed through ``unit_create``/``unit_update``; never deleted here
    (cases and staff keep their unit)."""

    list_display = ("code", "name")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: Unit, form: Any, change: bool) -> None:
        if change:
            saved = unit_update(actor=request.user, unit=obj, **changed_fields(form))
        else:
            saved = unit_create(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)


@admin.register(StaffProfile)
class StaffProfileAdmin(ServiceFormAdminMixin, admin.ModelAdmin):
    """A staff user's unit (which cases they see) and language, through
    ``staff_profile_create``/``staff_profile_update``; the user of a profile does not change."""

    list_display = ("user", "unit", "language")
    list_select_related = ("user", "unit")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return () if obj is None else ("user",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(self, request: HttpRequest, obj: StaffProfile, form: Any, change: bool) -> None:
        if change:
            saved = staff_profile_update(actor=request.user, profile=obj, **changed_fields(form))
        else:
            saved = staff_profile_create(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)
