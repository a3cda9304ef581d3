"""Serializers of the reception API. No personal data beyond the registration number and name."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from casework.models import Application, Person

from ..choices import DischargeReason
from ..models import Municipality, Placement, ReceptionCentre, Settlement


class ReceptionCentreSerializer(serializers.ModelSerializer):
    municipality = serializers.SlugRelatedField(
        slug_field="number",
        queryset=Municipality.objects.all(),
        help_text=_("Current kommunenummer, e.g. 4601 for Bergen."),
    )
    municipality_name = serializers.CharField(source="municipality.name", read_only=True)
    county = serializers.CharField(
        source="county_now", read_only=True, allow_null=True, help_text=_("County today.")
    )
    occupied = serializers.IntegerField(read_only=True, help_text=_("Residents today."))
    free_beds = serializers.IntegerField(read_only=True)

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
        ]

    def validate(self, attrs: dict) -> dict:
        opened = attrs.get("opened_on", getattr(self.instance, "opened_on", None))
        closed = attrs.get("closed_on", getattr(self.instance, "closed_on", None))
        if opened and closed and closed < opened:
            raise serializers.ValidationError({"closed_on": _("A centre closes after it opens.")})
        return attrs


class PlacementSerializer(serializers.ModelSerializer):
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
    person = serializers.PrimaryKeyRelatedField(queryset=Person.objects.all())
    centre = serializers.PrimaryKeyRelatedField(queryset=ReceptionCentre.objects.all())
    start = serializers.DateField(required=False, help_text=_("Default: today."))


class TransferSerializer(serializers.Serializer):
    to_centre = serializers.PrimaryKeyRelatedField(queryset=ReceptionCentre.objects.all())
    reason = serializers.CharField(help_text=_("Why the move is needed (required)."))
    on = serializers.DateField(required=False, help_text=_("Default: today."))


class DischargeSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=DischargeReason.choices)
    on = serializers.DateField(required=False, help_text=_("Default: today."))


class ProblemSerializer(serializers.Serializer):
    """A refusal: 409 when the centre is full or the person is already placed."""

    detail = serializers.CharField()
    code = serializers.CharField()


class CentreOccupancySerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.CharField()
    municipality = serializers.CharField()
    county = serializers.CharField(allow_null=True)
    capacity = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free_beds = serializers.IntegerField()
    by_status = serializers.DictField(child=serializers.IntegerField())


class CountyOccupancySerializer(serializers.Serializer):
    county = serializers.CharField(allow_null=True)
    capacity = serializers.IntegerField()
    occupied = serializers.IntegerField()
    free_beds = serializers.IntegerField()


class OccupancyReportSerializer(serializers.Serializer):
    on = serializers.DateField()
    total = serializers.IntegerField()
    note = serializers.CharField(
        help_text=_("Set when the county asked for did not exist on that date.")
    )
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_county = CountyOccupancySerializer(many=True)
    by_centre = CentreOccupancySerializer(many=True)


class CountyCountSerializer(serializers.Serializer):
    county = serializers.CharField(allow_null=True)
    placements = serializers.IntegerField()


class PlacementCountReportSerializer(serializers.Serializer):
    year = serializers.IntegerField()
    note = serializers.CharField()
    rows = CountyCountSerializer(many=True)


class SettlementSerializer(serializers.ModelSerializer):
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
    application = serializers.PrimaryKeyRelatedField(queryset=Application.objects.all())
    municipality = serializers.SlugRelatedField(
        slug_field="number", queryset=Municipality.objects.all(), help_text=_("kommunenummer")
    )
    settled_on = serializers.DateField(required=False, help_text=_("Default: today."))
