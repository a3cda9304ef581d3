"""The input each transition takes, declared once for the admin forms and the API.

A transition lists its field names in ``custom["fields"]`` (``workflow.py``); this module
says what each name is. Requiredness is the services' business: they answer with field
errors, which both faces show on the field.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ProgrammeOutcome
from .eligibility import WORK_PERMIT_MAX_MONTHS

TEXT = ("grounds", "reason", "late_reason", "income_exemption_reason", "age_rule_waiver", "note")

LABELS = {
    "valid_from": _("Valid from (empty: today)"),
    "months": _("Months (1–6)"),
    "grounds": _("Grounds"),
    "reason": _("Reason"),
    "late_reason": _("Reason for admitting a late appeal"),
    "income_requirement_met": _("The income requirement is met"),
    "income_exemption_reason": _("Very special circumstances exempting from income"),
    "age_rule_waiver": _("Why the relationship is obviously voluntary (24-year rule)"),
    "planned_end_on": _("New planned end"),
    "outcome": _("Outcome"),
    "note": _("Note"),
}


def field_kind(name: str) -> str:
    """The value type of a transition field: text, date, integer, boolean or choice."""
    if name in TEXT:
        return "text"
    if name in ("valid_from", "planned_end_on"):
        return "date"
    if name == "months":
        return "integer"
    if name == "income_requirement_met":
        return "boolean"
    if name == "outcome":
        return "choice"
    raise KeyError(name)


def field_choices(name: str) -> list[tuple[str, Any]]:
    return list(ProgrammeOutcome.choices) if name == "outcome" else []


def form_field(name: str) -> forms.Field:
    kind, label = field_kind(name), LABELS[name]
    if kind == "text":
        return forms.CharField(
            label=label, required=False, widget=forms.Textarea(attrs={"rows": 3})
        )
    if kind == "date":
        return forms.DateField(
            label=label, required=False, widget=forms.DateInput({"type": "date"})
        )
    if kind == "integer":
        return forms.IntegerField(
            label=label, min_value=1, max_value=WORK_PERMIT_MAX_MONTHS, initial=6
        )
    if kind == "boolean":
        return forms.BooleanField(label=label, required=False)
    return forms.ChoiceField(label=label, choices=[("", "—"), *field_choices(name)], required=False)


def transition_fields(record: Any, name: str) -> tuple[str, ...]:
    spec = next(iter(getattr(record, name)._django_fsm.transitions.values()))
    return tuple(spec.custom.get("fields", ()))


def transition_label(record: Any, name: str) -> str:
    spec = next(iter(getattr(record, name)._django_fsm.transitions.values()))
    return str(spec.custom.get("label", name))


def transition_form(record: Any, name: str) -> type[forms.Form]:
    """A form class with exactly the fields transition ``name`` takes."""
    attrs = {field: form_field(field) for field in transition_fields(record, name)}
    return type(f"{name.title()}Form", (forms.Form,), attrs)
