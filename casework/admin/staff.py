"""Units and staff profiles: saved through ``casework.staff.services``, which audit each change;
staff users, with unlocking a sign-in lockout (``casework.staff.lockout.sign_in_unlock``).

Also each staff user's own page, where they choose the language of their staff interface.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from rest_framework.authtoken.admin import TokenAdmin

from casework.admin.base import (
    FastListMixin,
    ServiceFormAdminMixin,
    changed_fields,
    saved_as,
)
from casework.core.exceptions import TransitionInvalid
from casework.staff.choices import StaffLanguage
from casework.staff.lockout import sign_in_unlock
from casework.staff.models import StaffProfile, Unit
from casework.staff.roles import language_of
from casework.staff.services import (
    staff_language_set,
    staff_profile_create,
    staff_profile_update,
    unit_create,
    unit_update,
)


@admin.register(Unit)
class UnitAdmin(ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin):
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
class StaffProfileAdmin(ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin):
    """A staff user's unit (which cases they see) and language, through
    ``staff_profile_create``/``staff_profile_update``; the user of a profile does not change."""

    list_display = ("user", "unit", "language")
    list_select_related = ("user", "unit")
    autocomplete_fields = ("user",)  # the users are too many for a drop-down

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


class StaffUserAdmin(FastListMixin, UserAdmin):
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

# DRF's token admin offers every user as a drop-down; its documentation's remedy for many
# users, with the admin's autocomplete (searching ``StaffUserAdmin``) rather than a raw id.
TokenAdmin.autocomplete_fields = ("user",)


class LanguageForm(forms.Form):
    language = forms.ChoiceField(
        label=_("Language of the staff interface"),
        choices=StaffLanguage.choices,
        required=False,
        widget=forms.RadioSelect,
        help_text=_("Also the language of the reminders you receive by e-mail."),
    )


@never_cache
def my_language(request: HttpRequest) -> HttpResponse:
    """The signed-in user's own page: the language of their staff interface
    (``casework.staff.language``), saved through ``staff_language_set``. Behind the admin's
    sign-in (``admin_site.admin_view`` in the URL map); no model permission is needed, a user
    changes only their own."""
    if request.method == "POST":
        form = LanguageForm(request.POST)
        if form.is_valid():
            try:
                staff_language_set(actor=request.user, language=form.cleaned_data["language"])
            except TransitionInvalid as error:
                form.add_error("language", error.messages)
            else:
                # A new request, so the page and this message are in the chosen language.
                return HttpResponseRedirect(f"{request.path}?saved=1")
    else:
        form = LanguageForm(initial={"language": language_of(request.user)})
    if request.GET.get("saved"):
        messages.success(request, _("Your language is saved."))
    context = {
        **admin.site.each_context(request),
        "title": _("My language"),
        "form": form,
    }
    return TemplateResponse(request, "admin/casework/my_language.html", context)
