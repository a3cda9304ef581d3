"""The lawyer scheme in the admin: the register, the duty lists, appointments on cases and
minors' representatives. Every save is a service call (``casework.lawyers.services``): the
legal rules are checked there and a refusal comes back as a message on the form."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework.admin.base import (
    FastListMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    changed_fields,
    formset_writes,
    saved_as,
)
from casework.core.exceptions import TransitionInvalid
from casework.lawyers.models import Appointment, DutyList, DutyListMember, Lawyer, Representative
from casework.lawyers.services import (
    appointment_change,
    appointment_end,
    appointment_make,
    duty_list_join,
    lawyer_register,
    lawyer_update,
    representative_appoint,
    representative_end,
)
from casework.privacy.access import AccessLoggedAdminMixin


class _NoDelete:
    """Records of the scheme are ended, never deleted: the case's history keeps them."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Lawyer)
class LawyerAdmin(
    _NoDelete, ScopedAdminMixin, ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin
):
    """The register (``lawyer_register``/``lawyer_update``); a lawyer is made inactive, not
    removed."""

    list_display = ("name", "firm", "bar_number", "region", "active")
    list_filter = ("region", "active", "duty_lists")
    search_fields = ("name", "firm", "bar_number")
    fields = ("name", "firm", "bar_number", "region", "email", "phone", "active", "user")
    autocomplete_fields = ("user",)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        return ("bar_number",) if obj is not None else ()

    def save_model(self, request: HttpRequest, obj: Lawyer, form: Any, change: bool) -> None:
        if change:
            saved = lawyer_update(actor=request.user, lawyer=obj, **changed_fields(form))
        else:
            saved = lawyer_register(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)


class DutyListMemberInline(admin.TabularInline):
    """The lawyers on the list in the order of their turn; a lawyer joins at the end."""

    model = DutyListMember
    extra = 0
    fields = ("position", "lawyer")
    readonly_fields = ("position",)
    autocomplete_fields = ("lawyer",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DutyList)
class DutyListAdmin(
    _NoDelete, ScopedAdminMixin, ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin
):
    """On-call lists; the turn (``last_position``) moves only when the list offers a lawyer."""

    list_display = ("__str__", "kind", "region", "last_position")
    fields = ("kind", "region", "last_position")
    readonly_fields = ("kind", "region", "last_position")
    inlines = (DutyListMemberInline,)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # one list per kind and region, made with the register's set-up

    def save_model(self, request: HttpRequest, obj: DutyList, form: Any, change: bool) -> None:
        """Nothing of the list itself is edited here: only lawyers join (``save_formset``)."""

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        for write, inline_form in formset_writes(formset):
            if write == "add":
                duty_list_join(
                    actor=request.user,
                    duty_list=form.instance,
                    lawyer=inline_form.cleaned_data["lawyer"],
                )


class AppointmentForm(forms.ModelForm):
    class Meta:
        model = Appointment
        fields = ("application", "reason", "lawyer", "duty_list", "basis", "starts_on")


class AppointmentChangeForm(forms.ModelForm):
    """On an appointment: another lawyer, or the end, each with the reason."""

    class Meta:
        model = Appointment
        fields = ("lawyer", "ends_on", "end_reason")

    def clean(self) -> Any:
        data = super().clean() or {}
        if self.changed_data and not (data.get("end_reason") or "").strip():
            self.add_error("end_reason", _("Say why the appointment ends or changes."))
        return data


@admin.register(Appointment)
class AppointmentAdmin(
    _NoDelete,
    AccessLoggedAdminMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    FastListMixin,
    admin.ModelAdmin,
):
    """Lawyers appointed on cases (``appointment_make``); changing the lawyer or ending the
    appointment (``appointment_change``/``appointment_end``) asks for the reason."""

    list_display = ("application", "lawyer", "reason", "free", "starts_on", "ends_on")
    list_filter = ("reason", "free")
    list_select_related = ("application", "lawyer")
    autocomplete_fields = ("application", "lawyer")
    readonly_fields = ("application", "reason", "free", "basis", "duty_list", "starts_on")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        kwargs["form"] = AppointmentChangeForm if obj is not None else AppointmentForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return AppointmentForm.Meta.fields
        return (*self.readonly_fields, *AppointmentChangeForm.Meta.fields)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if obj.ends_on is not None or not self.has_change_permission(request, obj):
            return (*self.readonly_fields, *AppointmentChangeForm.Meta.fields)
        return self.readonly_fields

    def save_model(self, request: HttpRequest, obj: Appointment, form: Any, change: bool) -> None:
        if not change:
            data = {k: v for k, v in form.cleaned_data.items() if v not in (None, "")}
            saved = appointment_make(actor=request.user, **data)
        elif "lawyer" in form.changed_data:
            current = Appointment.objects.get(pk=obj.pk)
            saved = appointment_change(
                actor=request.user,
                appointment=current,
                lawyer=form.cleaned_data["lawyer"],
                reason=form.cleaned_data["end_reason"],
            )
        elif form.changed_data:
            saved = appointment_end(
                actor=request.user,
                appointment=Appointment.objects.get(pk=obj.pk),
                reason=form.cleaned_data["end_reason"],
                ends_on=form.cleaned_data.get("ends_on"),
            )
        else:
            raise TransitionInvalid({"end_reason": _("Nothing to change.")})
        saved_as(obj, saved)


class RepresentativeChangeForm(forms.ModelForm):
    class Meta:
        model = Representative
        fields = ("ends_on", "end_reason")


@admin.register(Representative)
class RepresentativeAdmin(
    _NoDelete,
    AccessLoggedAdminMixin,
    ScopedAdminMixin,
    ServiceFormAdminMixin,
    FastListMixin,
    admin.ModelAdmin,
):
    """Representatives of unaccompanied minors, as the County Governor appointed them
    (``representative_appoint``); ended with a reason (``representative_end``)."""

    list_display = ("name", "person", "appointed_by", "starts_on", "ends_on")
    list_select_related = ("person",)
    autocomplete_fields = ("person",)
    add_fields = ("person", "name", "email", "phone", "appointed_by", "starts_on")

    def get_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.add_fields
        return (*self.add_fields, "ends_on", "end_reason")

    def get_form(
        self, request: HttpRequest, obj: Any = None, change: bool = False, **kwargs: Any
    ) -> Any:
        if obj is not None:
            kwargs["form"] = RepresentativeChangeForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return ()
        if obj.ends_on is not None or not self.has_change_permission(request, obj):
            return self.get_fields(request, obj)
        return self.add_fields

    def save_model(
        self, request: HttpRequest, obj: Representative, form: Any, change: bool
    ) -> None:
        if change:
            saved = representative_end(
                actor=request.user,
                representative=Representative.objects.get(pk=obj.pk),
                reason=form.cleaned_data.get("end_reason") or "",
                ends_on=form.cleaned_data.get("ends_on"),
            )
        else:
            data = dict(form.cleaned_data)
            saved = representative_appoint(
                actor=request.user,
                person=data.pop("person"),
                **{k: v for k, v in data.items() if v not in (None, "")},
            )
        saved_as(obj, saved)
