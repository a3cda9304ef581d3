"""List filters for the API (django-filter), designed for indexed queries at a million rows.

Search is an exact match on a case reference (spaces, dashes and look-alike letters forgiven)
or a registration number, never a ``LIKE '%…%'`` scan.
"""

from __future__ import annotations

import django_filters as filters
from django.db.models import Q, QuerySet

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
    assigned_to = filters.NumberFilter(field_name="assigned_to_id", min_value=1)
    unassigned = filters.BooleanFilter(field_name="assigned_to", lookup_expr="isnull")
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
    date_of_birth = filters.DateFilter()
    unaccompanied_minor = filters.BooleanFilter()
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
