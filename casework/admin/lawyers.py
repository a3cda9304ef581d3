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
    saved_as,
)
from casework.core.exceptions import TransitionInvalid
from casework.lawyers.models import Appointment, DutyList, DutyListMember, Lawyer, Representative
from casework.lawyers.services import (
    appointment_change,
    appointment_end,
    appointment_make,
    duty_list_arrange,
    duty_list_create,
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


class DutyListMemberForm(forms.ModelForm):
    """A lawyer's place on the list. The order is checked and written as a whole by
    ``duty_list_arrange`` (two lawyers swapping places would each clash with the other's
    stored place if every row were checked against the table on its own)."""

    class Meta:
        model = DutyListMember
        fields = ("position", "lawyer")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["position"].required = False
        self.fields["position"].help_text = _("Empty: at the end of the list.")

    def _post_clean(self) -> None:
        """No row-by-row check against the table: see the class docstring."""


class DutyListMemberInline(admin.TabularInline):
    """The lawyers on the list in the order of their turn: move one by changing its place,
    take one off by ticking it, add one (at the end unless given a place)."""

    model = DutyListMember
    form = DutyListMemberForm
    extra = 1
    fields = ("position", "lawyer")
    autocomplete_fields = ("lawyer",)


def duty_list_order(formset: Any) -> list[Lawyer]:
    """The lawyers the inline's rows leave on the list, in the order of their places (a row
    without a place goes to the end, rows in the order they were written)."""
    rows = []
    for n, form in enumerate(formset.forms):
        data = getattr(form, "cleaned_data", None) or {}
        if not data or data.get("DELETE") or data.get("lawyer") is None:
            continue
        position = data.get("position")
        rows.append((position if position is not None else 10**9, n, data["lawyer"]))
    return [lawyer for _position, _n, lawyer in sorted(rows, key=lambda r: (r[0], r[1]))]


@admin.register(DutyList)
class DutyListAdmin(
    _NoDelete, ScopedAdminMixin, ServiceFormAdminMixin, FastListMixin, admin.ModelAdmin
):
    """On-call lists (``duty_list_create``), and the lawyers on each in the order of their
    turn (``duty_list_arrange``); the turn (``last_position``) moves only when the list
    offers a lawyer."""

    list_display = ("__str__", "kind", "region", "last_position")
    fields = ("kind", "region", "last_position")
    readonly_fields = ("last_position",)
    inlines = (DutyListMemberInline,)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> Any:
        if obj is None:
            return self.readonly_fields
        return ("kind", "region", "last_position")  # another kind or region: another list

    def save_model(self, request: HttpRequest, obj: DutyList, form: Any, change: bool) -> None:
        if not change:
            saved = duty_list_create(
                actor=request.user,
                kind=form.cleaned_data["kind"],
                region=form.cleaned_data["region"],
            )
            saved_as(obj, saved)

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        formset.new_objects, formset.changed_objects, formset.deleted_objects = [], [], []
        duty_list_arrange(
            actor=request.user, duty_list=form.instance, lawyers=duty_list_order(formset)
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
