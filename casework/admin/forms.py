"""Forms the admin shows for actions on a case. They only parse input; services decide.

A transition's form is built from the inputs its declaration lists (``workflow.py``), so the
admin, the API and the workflow name the same inputs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import BLANK_CHOICE_DASH
from django.utils.translation import gettext_lazy as _

from casework.people.choices import SpokenLanguage
from casework.staff.choices import Role
from casework.staff.models import Unit
from casework.transitions.declaration import (
    BOOLEAN,
    CHOICE,
    DATE,
    INTEGER,
    LONG_TEXT,
    TEXT,
    Input,
    Transition,
)
from casework.vulnerability.choices import Accommodation, split_codes

# The form field of each kind of transition input (``casework.transitions.declaration``).
DATETIME_FORMATS = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"]


def input_field(spec: Input) -> forms.Field:
    """The form field for one declared transition input."""
    common: dict[str, Any] = {
        "label": spec.label,
        "required": spec.required,
        "help_text": spec.help_text,
    }
    if spec.kind in (TEXT, LONG_TEXT):
        rows = 6 if spec.max_length and spec.max_length > 5000 else 4
        widget = forms.Textarea(attrs={"rows": rows}) if spec.kind == LONG_TEXT else None
        return forms.CharField(max_length=spec.max_length, widget=widget, **common)
    if spec.kind == CHOICE:
        return forms.ChoiceField(choices=[("", "---------"), *spec.choices], **common)
    if spec.kind == BOOLEAN:
        return forms.BooleanField(**{**common, "required": False})
    if spec.kind == INTEGER:
        initial = None if callable(spec.default) else spec.default
        return forms.IntegerField(
            min_value=spec.min_value, max_value=spec.max_value, initial=initial, **common
        )
    if spec.kind == DATE:
        return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    return forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=DATETIME_FORMATS,
        **common,
    )


class InputsForm(forms.Form):
    """The input of one transition, as its declaration lists it (those ``in_admin``).

    ``enforce_required=False`` leaves requiredness to the service, which names every missing
    or wrong input at once (a missing ground together with an unmet income requirement)
    where the form would stop at the first.
    """

    def __init__(
        self,
        *args: Any,
        declaration: Transition,
        enforce_required: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for spec in declaration.inputs:
            if spec.in_admin:
                field = input_field(spec)
                field.required = field.required and enforce_required
                self.fields[spec.name] = field

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return {k: v for k, v in data.items() if v not in (None, "")}


class TransitionForm(InputsForm):
    """The input of one transition, plus the version of the record the user was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput)


class SpokenLanguagesField(forms.MultipleChoiceField):
    """A person's languages, chosen from the list; stored as the model keeps them, codes
    comma separated ("ara,eng"), so the services and the API see what they always saw."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        kwargs["choices"] = SpokenLanguage.choices
        kwargs.setdefault("widget", forms.SelectMultiple(attrs={"size": 8}))
        super().__init__(**kwargs)

    @staticmethod
    def _codes(value: Any) -> list[str]:
        if isinstance(value, str):
            return [code for code in value.split(",") if code]
        return list(value or [])

    def prepare_value(self, value: Any) -> list[str]:
        return self._codes(value)

    def clean(self, value: Any) -> str:  # stored as one string
        return ",".join(super().clean(self._codes(value)))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return set(self._codes(initial)) != set(self._codes(data))


class InterviewScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    location = forms.CharField(label=_("Place"), max_length=200)
    language = forms.ChoiceField(
        label=_("Language of the interview"), choices=[*BLANK_CHOICE_DASH, *SpokenLanguage.choices]
    )
    interpreter = forms.BooleanField(label=_("Interpreter booked"), required=False, initial=True)
    lawyer_present = forms.BooleanField(label=_("Lawyer present"), required=False)

    def clean_scheduled_at(self) -> Any:
        # 31.12.9999 23:59 parses, but in UTC it is past year 9999: the database adapter
        # raised OverflowError (a 500). No interview is held outside this century anyway.
        value = self.cleaned_data["scheduled_at"]
        if value is not None and not 2000 <= value.year <= 2100:
            raise forms.ValidationError(_("Give a date between 2000 and 2100."))
        return value


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    )


def caseworker_choices() -> forms.ModelChoiceField:
    """Active staff in the caseworker or decision-maker role, for assignment."""
    users = (
        get_user_model()
        .objects.filter(
            is_active=True, groups__name__in=[Role.CASEWORKER.value, Role.DECISION_MAKER.value]
        )
        .distinct()
        .order_by("last_name", "first_name", "username")
    )
    return forms.ModelChoiceField(queryset=users, label=_("Caseworker"))


class RouteForm(forms.Form):
    """Move cases to another unit: which, and why (the reason is kept in each case's history)."""

    unit = forms.ModelChoiceField(queryset=Unit.objects.order_by("name"), label=_("Unit"))
    reason = forms.CharField(
        label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AssignForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = caseworker_choices()


class AccommodationField(forms.MultipleChoiceField):
    """The accommodation a need requires, chosen from the list; stored as comma-separated codes."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.pop("max_length", None)
        kwargs.pop("empty_value", None)
        kwargs["choices"] = Accommodation.choices
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> list[str]:
        return split_codes(value)

    def clean(self, value: Any) -> str:
        return ",".join(super().clean(split_codes(value)))

    def has_changed(self, initial: Any, data: Any) -> bool:
        return set(split_codes(initial)) != set(split_codes(data))
