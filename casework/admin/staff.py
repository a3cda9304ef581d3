"""Units and staff profiles: saved through ``casework.staff.services``, which audit each change;
staff users, with unlocking a sign-in lockout (``casework.staff.lockout.sign_in_unlock``)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from casework.admin.base import (
    ServiceFormAdminMixin,
    changed_fields,
    saved_as,
)
from casework.staff.lockout import sign_in_unlock
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


class StaffUserAdmin(UserAdmin):
    """Django's user admin, plus unlocking a sign-in lockout through ``sign_in_unlock``."""

    actions = ["unlock_sign_in"]

    @admin.action(description=_("Unlock sign-in (lift a lockout after failed attempts)"))
    def unlock_sign_in(self, request: HttpRequest, queryset: QuerySet[User]) -> None:
        try:
            cleared = [sign_in_unlock(actor=request.user, user=user) for user in queryset]
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
            return
        unlocked = sum(1 for n in cleared if n)
        self.message_user(
            request,
            _(
                "Sign-in unlocked for %(n)d of %(total)d selected users "
                "(the others were not locked)."
            )
            % {"n": unlocked, "total": len(cleared)},
            messages.SUCCESS,
        )


admin.site.unregister(User)
admin.site.register(User, StaffUserAdmin)
