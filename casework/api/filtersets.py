"""List filters for the API (django-filter), designed for indexed queries at a million rows.

Search is an exact match on a case reference (spaces, dashes and look-alike letters forgiven)
or a registration number, never a ``LIKE '%…%'`` scan.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import django_filters as filters
from django import forms
from django.core.exceptions import ValidationError as FormValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.filters import OrderingFilter

from casework.applications.choices import ApplicationKind, State, Track
from casework.applications.models import Application
from casework.audit.models import AuditEvent
from casework.people.choices import Sex
from casework.people.identity import parse_reference
from casework.people.models import Person

_SEARCH_HELP = "A case reference (e.g. 4KX7-MP2R-9Q) or a 12-digit registration number."


def _search_q(value: str, *, reference: str | None, registration: str) -> Q:
    value = (value or "").strip()
    digits = value.replace(" ", "")
    q = Q(pk__in=[])
    if digits.isdigit() and len(digits) == 12:
        q |= Q(**{registration: digits})
    canonical = parse_reference(value)
    if reference and canonical:
        q |= Q(**{reference: canonical})
    return q


# --- Filter values are checked, never ignored ---------------------------------------------------
# A filter value the API does not understand is a 400 naming the parameter. django-filter and
# DRF would answer as if it had not been given (``has_free_beds=maybe`` listed every centre,
# ``ordering=junk`` the default order): a client would act on a list it did not ask for.


class StrictNullBooleanField(forms.NullBooleanField):
    """``true``/``false`` (or ``1``/``0``); empty means "not filtered"; anything else is an error.

    Django's ``NullBooleanField`` and its widget read every unknown value as "unknown".
    """

    widget = forms.TextInput
    TRUE = frozenset({"true", "True", "1"})
    FALSE = frozenset({"false", "False", "0"})

    # ``NullBooleanField.to_python`` returns None too; the stubs say bool.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if isinstance(value, bool):
            return value
        if value in (None, ""):
            return None
        if value in self.TRUE:
            return True
        if value in self.FALSE:
            return False
        raise FormValidationError("Use true or false.", code="invalid")

    def validate(self, value: Any) -> None:
        return None


class StrictBooleanFilter(filters.BooleanFilter):
    """``BooleanFilter`` that refuses values other than true and false (400)."""

    field_class = StrictNullBooleanField


class IdFilter(filters.NumberFilter):
    """A record's id: a whole number (``centre=1.5`` is a 400, not centre 1 or no filter)."""

    # Any form field does; the stubs pin NumberFilter's to its default DecimalField.
    field_class = forms.IntegerField  # type: ignore[assignment]


class IsoDateFormField(forms.DateField):
    """``YYYY-MM-DD`` only, as the request bodies (``casework.api.fields.IsoDateField``)."""

    input_formats = ["%Y-%m-%d"]

    def to_python(self, value: Any) -> Any:
        from casework.api.fields import ISO_DATE

        if isinstance(value, str) and value.strip() and not ISO_DATE.fullmatch(value.strip()):
            raise FormValidationError("Use the format YYYY-MM-DD.", code="invalid")
        return super().to_python(value)


class IsoDateFilter(filters.DateFilter):
    """``DateFilter`` taking ``YYYY-MM-DD`` only (Django's forms also take ``10/25/2006``)."""

    field_class = IsoDateFormField


class StrictOrderingFilter(OrderingFilter):
    """``ordering`` naming a field that cannot be ordered by is a 400 listing the valid ones."""

    def remove_invalid_fields(
        self, queryset: QuerySet, fields: Iterable[str], view: Any, request: Any
    ) -> list[str]:
        fields = [f for f in fields if f]
        valid = super().remove_invalid_fields(queryset, fields, view, request)
        if len(valid) != len(fields):
            allowed = ", ".join(name for name, _label in self.get_valid_fields(queryset, view))
            raise ValidationError({self.ordering_param: [f"Order by one of: {allowed}."]})
        return valid


class StaticFilterSet(filters.FilterSet):
    """A filter set whose form is the same for every request, built once per class.

    django-filter builds the form class anew for each request (every filter's form field,
    its label translated, a new ``type()``); profiling the API list at a million cases
    (docs/performance.md) put that at about a millisecond a page. The form class is cached
    here; each request still gets its own form instance (Django deep-copies the fields) and
    its own filters. Only for filter
    sets with no request-dependent choices (no ``ModelChoiceFilter`` with a callable
    queryset): the cached form is built with whichever request came first.
    """

    def get_form_class(self) -> type:
        cls = type(self)
        form_class = cls.__dict__.get("_static_form_class")
        if form_class is None:
            form_class = super().get_form_class()
            cls._static_form_class = form_class  # type: ignore[attr-defined]
        return form_class


class ApplicationFilterSet(StaticFilterSet):
    # ``distinct=False``: django-filter's default DISTINCT (meant for multi-valued joins) made
    # PostgreSQL sort every matching row before taking a page; state is a column.
    state = filters.MultipleChoiceFilter(choices=State.choices, distinct=False)
    kind = filters.ChoiceFilter(choices=ApplicationKind.choices)
    track = filters.ChoiceFilter(choices=Track.choices)
    nationality = filters.CharFilter(
        field_name="person__nationality",
        max_length=2,
        method="filter_nationality",
        help_text="ISO 3166-1 alpha-2 code of the applicant's nationality.",
    )
    assigned_to = IdFilter(field_name="assigned_to_id", min_value=1)
    unassigned = StrictBooleanFilter(field_name="assigned_to", lookup_expr="isnull")
    lodged_on = filters.DateFromToRangeFilter(
        help_text="lodged_on_after / lodged_on_before (YYYY-MM-DD, inclusive)."
    )
    deadline_before = filters.IsoDateTimeFilter(
        field_name="next_deadline", lookup_expr="lte", help_text="Next deadline at or before."
    )
    search = filters.CharFilter(method="filter_search", max_length=40, help_text=_SEARCH_HELP)

    class Meta:
        model = Application
        fields: list[str] = []

    def filter_nationality(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(person__nationality=value.upper())

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            _search_q(value, reference="reference", registration="person__registration_number")
        )


class PersonFilterSet(StaticFilterSet):
    nationality = filters.CharFilter(max_length=2, method="filter_nationality")
    sex = filters.ChoiceFilter(choices=Sex.choices)
    date_of_birth = IsoDateFilter()
    unaccompanied_minor = StrictBooleanFilter()
    search = filters.CharFilter(method="filter_search", max_length=40, help_text=_SEARCH_HELP)

    class Meta:
        model = Person
        fields: list[str] = []

    def filter_nationality(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(nationality=value.upper())

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        q = _search_q(value, reference=None, registration="registration_number")
        canonical = parse_reference(value)
        if canonical:
            q |= Q(pk__in=Application.objects.filter(reference=canonical).values("person_id"))
        return queryset.filter(q)


class AuditEventFilterSet(StaticFilterSet):
    action = filters.CharFilter(max_length=48)
    at = filters.IsoDateTimeFromToRangeFilter()

    class Meta:
        model = AuditEvent
        fields: list[str] = []
