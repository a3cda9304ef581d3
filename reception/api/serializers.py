"""Serializers of the reception API. No personal data beyond the registration number and name."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casework.api.fields import (
    IsoDateField,
    StrictIntegerField,
    StrictModelSerializer,
    StrictPrimaryKeyRelatedField,
)
from casework.models import Application, Person
from casework.vulnerability.choices import Accommodation, split_codes

from ..choices import DischargeReason
from ..models import Municipality, Placement, ReceptionCentre, Settlement


class AccommodationListField(serializers.ListField):
    """The accommodation a centre offers, as a list of ``Accommodation`` codes (stored
    comma-separated): what placement compares with a resident's special needs."""

    child = serializers.ChoiceField(choices=Accommodation.choices)

    def to_representation(self, data: object) -> list[str]:
        return split_codes(data)  # type: ignore[arg-type]


class ReceptionCentreSerializer(StrictModelSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Municipality.objects.all(),
        help_text=_("Current kommunenummer, e.g. 4601 for Bergen."),
    )
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    county = serializers.CharField(
        source="county_now", read_only=True, allow_null=True, help_text=_("County today.")
    )
    occupied = StrictIntegerField(read_only=True, help_text=_("Residents today."))
    free_beds = StrictIntegerField(read_only=True)
    accommodation = AccommodationListField(required=False)

    class Meta:
        model = ReceptionCentre
        fields = [
            "id",
            "name",
            "kind",
            "operator_kind",
            "operator_name",
            "municipality",
            "municipality_name",
            "county",
            "capacity",
            "opened_on",
            "closed_on",
            "occupied",
            "free_beds",
            "accommodation",
        ]

    def validate(self, attrs: dict) -> dict:
        opened = attrs.get("opened_on", getattr(self.instance, "opened_on", None))
        closed = attrs.get("closed_on", getattr(self.instance, "closed_on", None))
        if opened and closed and closed < opened:
            raise serializers.ValidationError({"closed_on": _("A centre closes after it opens.")})
        return attrs


class PlacementSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number", read_only=True)
    centre_name = serializers.CharField(source="centre.name", read_only=True)
    # plain text here so the schema has one enum for the reasons (the discharge request's)
    discharge_reason = serializers.CharField(read_only=True)

    class Meta:
        model = Placement
        fields = [
            "id",
            "person",
            "registration_number",
            "centre",
            "centre_name",
            "start",
            "end",
            "ended_by",
            "discharge_reason",
            "transferred_from",
            "transfer_reason",
        ]
        read_only_fields = fields


class PlacementCreateSerializer(serializers.Serializer):
    person = StrictPrimaryKeyRelatedField(queryset=Person.objects.all())
    centre = StrictPrimaryKeyRelatedField(queryset=ReceptionCentre.objects.all())
    start = IsoDateField(required=False, help_text=_("Default: today."))


class TransferSerializer(serializers.Serializer):
    to_centre = StrictPrimaryKeyRelatedField(queryset=ReceptionCentre.objects.all())
    reason = serializers.CharField(help_text=_("Why the move is needed (required)."))
    on = IsoDateField(required=False, help_text=_("Default: today."))


class DischargeSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    on = IsoDateField(required=False, help_text=_("Default: today."))


class ProblemSerializer(serializers.Serializer):
    """A refusal: 409 when the centre is full or the person is already placed."""

    detail = serializers.CharField()
    code = serializers.CharField()


class CentreOccupancySerializer(serializers.Serializer):
    id = StrictIntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    municipality = serializers.CharField()
    county = serializers.CharField(allow_null=True)
    capacity = StrictIntegerField()
    occupied = StrictIntegerField()
    free_beds = StrictIntegerField()
    by_status = serializers.DictField(child=StrictIntegerField())


class CountyOccupancySerializer(serializers.Serializer):
    county = serializers.CharField(allow_null=True)
    capacity = StrictIntegerField()
    occupied = StrictIntegerField()
    free_beds = StrictIntegerField()


class OccupancyReportSerializer(serializers.Serializer):
    on = IsoDateField()
    total = StrictIntegerField()
    note = serializers.CharField(
        help_text=_("Set when the county asked for did not exist on that date.")
    )
    by_status = serializers.DictField(child=StrictIntegerField())
    by_county = CountyOccupancySerializer(many=True)
    by_centre = CentreOccupancySerializer(many=True)


class CountyCountSerializer(serializers.Serializer):
    county = serializers.CharField(allow_null=True)
    placements = StrictIntegerField()


class PlacementCountReportSerializer(serializers.Serializer):
    year = StrictIntegerField()
    note = serializers.CharField()
    rows = CountyCountSerializer(many=True)


class SettlementSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number", read_only=True)
    municipality: serializers.SlugRelatedField[Municipality] = serializers.SlugRelatedField(
        slug_field="number", read_only=True
    )
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)

    class Meta:
        model = Settlement
        fields = [
            "id",
            "person",
            "registration_number",
            "application",
            "municipality",
            "municipality_name",
            "settled_on",
        ]
        read_only_fields = fields


class SettlementCreateSerializer(serializers.Serializer):
    application = StrictPrimaryKeyRelatedField(queryset=Application.objects.all())
    municipality = serializers.SlugRelatedField(
        slug_field="number", queryset=Municipality.objects.all(), help_text=_("kommunenummer")
    )
    settled_on = IsoDateField(required=False, help_text=_("Default: today."))
