"""List filters of the integration API (django-filter), on indexed columns only.

Search is an exact match on a registration number (the applicant's, or for family
reunification the sponsor's too) or a case reference, never a ``LIKE '%…%'`` scan: a
municipality's system looks a person up by the number it already holds.
"""

from __future__ import annotations

import django_filters as filters
from django.db.models import QuerySet

from casework.api.filtersets import IsoDateFilter, StrictBooleanFilter, _search_q

from ..choices import (
    FamilyRelation,
    FamilyState,
    IncomeRule,
    InterviewWaiverGroup,
    ProgrammeOutcome,
    ProgrammeState,
    SponsorBasis,
    WorkPermitState,
)
from ..models import FamilyReunification, IntroductionProgramme, WorkPermit

_RANGE_HELP = "{name}_after / {name}_before (YYYY-MM-DD, inclusive)."
_NUMBER_HELP = "A 12-digit registration number."


def _range(name: str) -> filters.DateFromToRangeFilter:
    return filters.DateFromToRangeFilter(help_text=_RANGE_HELP.format(name=name))


class WorkPermitFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=WorkPermitState.choices)
    interview_waiver_group = filters.ChoiceFilter(choices=InterviewWaiverGroup.choices)
    requested_on = _range("requested_on")
    valid_until = _range("valid_until")
    lapses_before = filters.IsoDateTimeFilter(
        field_name="lapses_at", lookup_expr="lte", help_text="Lapses at or before."
    )
    search = filters.CharFilter(
        method="filter_search",
        max_length=40,
        help_text="A case reference (e.g. 4KX7-MP2R-9Q) or a 12-digit registration number.",
    )

    class Meta:
        model = WorkPermit
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            _search_q(
                value,
                reference="application__reference",
                registration="person__registration_number",
            )
        )


class FamilyReunificationFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=FamilyState.choices)
    relation = filters.ChoiceFilter(choices=FamilyRelation.choices)
    income_rule = filters.ChoiceFilter(choices=IncomeRule.choices)
    sponsor_basis = filters.ChoiceFilter(choices=SponsorBasis.choices)
    registered_on = _range("registered_on")
    documents_deadline_before = IsoDateFilter(
        field_name="documents_deadline",
        lookup_expr="lte",
        help_text="Documents due at or before (the 12-month window of the income exemption).",
    )
    search = filters.CharFilter(method="filter_search", max_length=40, help_text=_NUMBER_HELP)

    class Meta:
        model = FamilyReunification
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            _search_q(value, reference=None, registration="applicant__registration_number")
            | _search_q(value, reference=None, registration="sponsor__registration_number")
        )


class ProgrammeFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ProgrammeState.choices)
    collective_protection = StrictBooleanFilter()
    outcome = filters.ChoiceFilter(choices=ProgrammeOutcome.choices)
    municipality = filters.CharFilter(
        field_name="municipality__number", max_length=4, help_text="Municipality number."
    )
    start_on = _range("start_on")
    planned_end_on = _range("planned_end_on")
    search = filters.CharFilter(method="filter_search", max_length=40, help_text=_NUMBER_HELP)

    class Meta:
        model = IntroductionProgramme
        fields: list[str] = []

    def filter_search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(
            _search_q(value, reference=None, registration="person__registration_number")
        )
