"""Forms the admin shows for actions on a case. They only parse input; services decide.

A transition's form is built from the ``custom["fields"]`` its ``@transition`` declares in
``workflow.py``, so the admin, the API and the workflow name the same inputs.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import Outcome
from casework.staff.choices import Role

# Every input a transition may need, defined once.
TRANSITION_FIELDS: dict[str, Any] = {
    "outcome": lambda outcomes: forms.ChoiceField(
        label=_("Outcome"),
        choices=[("", "---------")] + [(o, Outcome(o).label) for o in outcomes],
    ),
    "grounds": lambda _o: forms.CharField(
        label=_("Grounds"),
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        help_text=_("The reasoning of the decision, as it will be notified."),
    ),
    "manifestly_unfounded": lambda _o: forms.BooleanField(
        label=_("Manifestly unfounded (1-week appeal period)"), required=False
    ),
    "reason": lambda _o: forms.CharField(
        label=_("Reason"), widget=forms.Textarea(attrs={"rows": 4}), max_length=5000
    ),
    "lodged_by": lambda _o: forms.CharField(
        label=_("Lodged by"),
        max_length=120,
        required=False,
        help_text=_("The applicant, or their lawyer (name of the law firm)."),
    ),
    "late_reason": lambda _o: forms.CharField(
        label=_("Reason to admit a late appeal"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
        required=False,
        help_text=_("Only needed when the appeal deadline has passed."),
    ),
}


class TransitionForm(forms.Form):
    """The input of one transition, plus the version of the case the user was looking at."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args: Any, spec_custom: dict, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcomes = spec_custom.get("outcomes", ())
        for name in spec_custom.get("fields", ()):
            self.fields[name] = TRANSITION_FIELDS[name](outcomes)

    def service_fields(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("version", None)
        return {k: v for k, v in data.items() if v not in (None, "")}


class InterviewScheduleForm(forms.Form):
    scheduled_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
    )
    location = forms.CharField(label=_("Place"), max_length=200)
    language = forms.CharField(
        label=_("Language of the interview"),
        max_length=8,
        help_text=_("ISO 639-1 code, e.g. ar, fa, ti"),
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


class AssignForm(forms.Form):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"] = caseworker_choices()
