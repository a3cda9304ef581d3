"""Serializers of the integration API. State and decision fields are read-only everywhere:
they change only through the transition endpoints, which call the services; their request
bodies are built from the declarations in ``workflow.py`` (``casework.api.base``)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from casework.api.fields import (
    IsoDateField,
    StrictDecimalField,
    StrictIntegerField,
    StrictModelSerializer,
)

from ..choices import (
    CefrLevel,
    FamilyRelation,
    InterviewWaiverGroup,
    ProgrammeElementKind,
    ProgrammeOutcome,
    SponsorBasis,
)
from ..models import (
    FamilyReunification,
    IntroductionProgramme,
    NorwegianTest,
    ProgrammeElement,
    WorkPermit,
    WorkPermitPeriod,
)


class PeriodSerializer(StrictModelSerializer):
    kind = serializers.CharField(help_text="first or renewal")

    class Meta:
        model = WorkPermitPeriod
        fields = ("kind", "valid_from", "valid_until")


class UnmetSerializer(serializers.Serializer):
    code = serializers.CharField()
    message = serializers.CharField()


class WorkPermitSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number")
    case_reference = serializers.CharField(source="application.display_reference")
    periods = PeriodSerializer(many=True)
    unmet_conditions = UnmetSerializer(many=True)

    class Meta:
        model = WorkPermit
        fields = (
            "id",
            "registration_number",
            "case_reference",
            "state",
            "requested_on",
            "interview_waiver_group",
            "valid_from",
            "valid_until",
            "lapses_at",
            "lapse_reason",
            "unmet_conditions",
            "grounds",
            "decided_at",
            "periods",
            "version",
        )
        read_only_fields = fields


class WorkPermitCreateSerializer(serializers.Serializer):
    case_reference = serializers.CharField(max_length=20)
    interview_waiver_group = serializers.ChoiceField(
        choices=InterviewWaiverGroup.choices, required=False, allow_blank=True, default=""
    )
    requested_on = IsoDateField(required=False, allow_null=True, default=None)


class FamilyReunificationSerializer(StrictModelSerializer):
    sponsor_registration_number = serializers.CharField(source="sponsor.registration_number")
    applicant_registration_number = serializers.CharField(source="applicant.registration_number")

    class Meta:
        model = FamilyReunification
        fields = (
            "id",
            "sponsor_registration_number",
            "applicant_registration_number",
            "sponsor_basis",
            "protection_decided_on",
            "relation",
            "registered_on",
            "documents_handed_in_on",
            "state",
            "income_rule",
            "income_rule_reason",
            "registration_deadline",
            "documents_deadline",
            "age_rule_applies",
            "grounds",
            "decided_at",
            "appeal_deadline",
            "is_final",
            "version",
        )
        read_only_fields = fields


class FamilyReunificationCreateSerializer(serializers.Serializer):
    sponsor_registration_number = serializers.CharField(max_length=12)
    applicant_registration_number = serializers.CharField(max_length=12)
    relation = serializers.ChoiceField(choices=FamilyRelation.choices)
    sponsor_basis = serializers.ChoiceField(choices=SponsorBasis.choices)
    sponsor_case_reference = serializers.CharField(required=False, allow_blank=True, default="")
    sponsor_arrived_on = IsoDateField(required=False, allow_null=True, default=None)
    relationship_since = IsoDateField(required=False, allow_null=True, default=None)
    exception_reason = serializers.CharField(required=False, allow_blank=True, default="")
    registered_on = IsoDateField(required=False, allow_null=True, default=None)


class DocumentsSerializer(serializers.Serializer):
    handed_in_on = IsoDateField(required=False, allow_null=True, default=None)


class ElementSerializer(StrictModelSerializer):
    class Meta:
        model = ProgrammeElement
        fields = ("id", "kind", "hours_per_week", "start_on", "end_on", "provider")
        read_only_fields = ("id",)


class ElementCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ProgrammeElementKind.choices)
    hours_per_week = StrictDecimalField(max_digits=4, decimal_places=1)
    start_on = IsoDateField()
    end_on = IsoDateField(required=False, allow_null=True, default=None)
    provider = serializers.CharField(required=False, allow_blank=True, default="", max_length=120)


class NorwegianTestSerializer(StrictModelSerializer):
    level = serializers.ChoiceField(choices=CefrLevel.choices)

    class Meta:
        model = NorwegianTest
        fields = ("id", "taken_on", "skill", "level")
        read_only_fields = ("id",)


class ProgrammeSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number")
    municipality_number = serializers.CharField(source="municipality.number")
    elements = ElementSerializer(many=True)
    norwegian_tests = NorwegianTestSerializer(many=True)
    warnings = serializers.SerializerMethodField()
    # Empty until the programme ends; declared so the schema allows "" (found by schemathesis).
    outcome = serializers.ChoiceField(
        choices=ProgrammeOutcome.choices, allow_blank=True, read_only=True
    )

    class Meta:
        model = IntroductionProgramme
        fields = (
            "id",
            "registration_number",
            "municipality_number",
            "collective_protection",
            "state",
            "enrolled_on",
            "start_on",
            "planned_end_on",
            "extension_reason",
            "outcome",
            "outcome_note",
            "ended_on",
            "elements",
            "norwegian_tests",
            "warnings",
            "version",
        )
        read_only_fields = fields

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warnings(self, obj: IntroductionProgramme) -> list[str]:
        from ..services import programme_warnings

        return programme_warnings(obj)


class ProgrammeCreateSerializer(serializers.Serializer):
    settlement = StrictIntegerField(help_text="Id of the person's settlement.")
    start_on = IsoDateField()
    planned_end_on = IsoDateField()


class ElementAddedSerializer(serializers.Serializer):
    element = ElementSerializer()
    warnings = serializers.ListField(child=serializers.CharField())
