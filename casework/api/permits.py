"""Residence permits and their group renewals in the REST API, on the shared conventions.

``/api/v1/permits/``: the permits of the people the user may see (list, retrieve, with
their renewals); ``PATCH`` records the day the residence card was issued (``If-Match``; the
permit's case's unit, ``casework.record_permit_card``). ``/api/v1/permit-renewals/``: group
renewals of collective protection; ``POST`` starts one (a decision-maker,
``casework.renew_permits``): it runs in the background and its record shows its progress;
the same criteria (or ``key``) again return the run there is (idempotent by its key, on top
of ``Idempotency-Key``). Cursor pages, ``ETag`` on every record, every read access-logged.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import django_filters as filters
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
)
from casework.api.fields import IsoDateField, StrictModelSerializer
from casework.api.filtersets import StrictOrderingFilter
from casework.permits import services
from casework.permits.choices import PermitStatus, PermitType, RenewalRunStatus
from casework.permits.models import EXPIRY_NOTICE, PermitRenewal, RenewalRun, ResidencePermit
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import visible_to

# --- serializers ------------------------------------------------------------------------------


class PermitRenewalSerializer(StrictModelSerializer):
    class Meta:
        model = PermitRenewal
        fields = ("previous_until", "new_until", "run", "renewed_at")
        read_only_fields = fields


class ResidencePermitSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number")
    status = serializers.ChoiceField(
        choices=PermitStatus.choices,
        help_text=(
            "Valid, expiring soon (within 91 days), expired, or ended by a later decision on "
            "the case (ended_on), today."
        ),
    )
    renewals = PermitRenewalSerializer(many=True)

    class Meta:
        model = ResidencePermit
        fields = (
            "id",
            "person",
            "registration_number",
            "application",
            "decision",
            "permit_type",
            "valid_from",
            "valid_until",
            "status",
            "ended_on",
            "ended_by",
            "identity_unverified",
            "permanent_residence_from",
            "card_issued_on",
            "group",
            "renewal_count",
            "renewals",
            "version",
        )
        read_only_fields = fields


class CardIssuedSerializer(serializers.Serializer):
    card_issued_on = IsoDateField(help_text="The day the residence card was issued.")


class RenewalRunSerializer(StrictModelSerializer):
    name = serializers.CharField(source="label")
    percent = serializers.IntegerField(help_text="How far the run has come, 0 to 100.")

    class Meta:
        model = RenewalRun
        fields = (
            "id",
            "key",
            "name",
            "legal_basis",
            "group",
            "nationalities",
            "granted_from",
            "granted_to",
            "expiring_by",
            "months",
            "status",
            "total",
            "renewed",
            "percent",
            "message",
            "created_by",
            "created_at",
            "started_at",
            "finished_at",
        )
        read_only_fields = fields


class RenewalRunCreateSerializer(serializers.Serializer):
    """A group renewal of collective protection: name the group by any of its criteria."""

    name = serializers.CharField(max_length=200, help_text="The renewal's name.")
    legal_basis = serializers.CharField(
        max_length=5000, help_text="The government's decision the renewal carries out."
    )
    group = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")
    nationalities = serializers.ListField(
        child=serializers.CharField(max_length=2), required=False, default=list
    )
    granted_from = IsoDateField(required=False, allow_null=True, default=None)
    granted_to = IsoDateField(required=False, allow_null=True, default=None)
    expiring_by = IsoDateField(required=False, allow_null=True, default=None)
    months = serializers.IntegerField(required=False, default=12)
    key = serializers.CharField(
        max_length=120,
        required=False,
        allow_blank=True,
        default="",
        help_text="Empty: the criteria make the key; the same key runs once.",
    )


# --- filters ----------------------------------------------------------------------------------


class ResidencePermitFilterSet(filters.FilterSet):
    permit_type = filters.MultipleChoiceFilter(choices=PermitType.choices)
    status = filters.ChoiceFilter(
        choices=[*PermitStatus.choices, ("renewed", "renewed")], method="by_status"
    )
    group = filters.CharFilter()
    person = filters.NumberFilter(field_name="person_id")
    expires_before = filters.DateFilter(field_name="valid_until", lookup_expr="lt")

    class Meta:
        model = ResidencePermit
        fields = ["permit_type", "status", "group", "person"]

    def by_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        today = timezone.localdate()
        if value == PermitStatus.ENDED:
            return queryset.filter(ended_on__lte=today)
        running = queryset.exclude(ended_on__lte=today)
        if value == PermitStatus.EXPIRED:
            return running.filter(valid_until__lt=today)
        if value == PermitStatus.EXPIRING:
            return running.filter(valid_until__gte=today, valid_until__lt=today + EXPIRY_NOTICE)
        if value == PermitStatus.VALID:
            return running.filter(valid_until__gte=today + EXPIRY_NOTICE)
        return queryset.filter(renewal_count__gt=0)


class RenewalRunFilterSet(filters.FilterSet):
    status = filters.ChoiceFilter(choices=RenewalRunStatus.choices)
    key = filters.CharFilter()

    class Meta:
        model = RenewalRun
        fields = ["status", "key"]


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: ResidencePermitSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ResidencePermitSerializer, **ERROR_RESPONSES}),
)
class ResidencePermitViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Residence permits, each with its validity, card, permanent-residence day and renewals."""

    serializer_class = ResidencePermitSerializer
    perms_by_method = {
        "GET": "casework.view_residencepermit",
        # The object rule (the permit's case's unit) is the service's.
        "PATCH": "casework.view_residencepermit",
    }
    http_method_names = ["get", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = ResidencePermitFilterSet
    ordering_fields = ["id", "valid_until", "valid_from"]

    def get_queryset(self) -> QuerySet:
        return visible_to(
            self.request.user,
            ResidencePermit.objects.select_related("person").prefetch_related("renewals"),
        )

    @extend_schema(
        summary="Record the day the residence card was issued",
        request=CardIssuedSerializer,
        parameters=[IF_MATCH],
        responses={200: ResidencePermitSerializer, **WRITE_ERROR_RESPONSES},
    )
    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = CardIssuedSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        issued: dt.date = ser.validated_data["card_issued_on"]
        with transaction.atomic():
            permit = self.get_object()
            self.check_if_match(permit)
            services.permit_card_issued(
                actor=request.user,
                permit=permit,
                issued_on=issued,
                expected_version=self.expected_version(),
            )
        return self.respond(self.get_queryset().get(pk=permit.pk))


@extend_schema_view(
    list=extend_schema(responses={200: RenewalRunSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: RenewalRunSerializer, **ERROR_RESPONSES}),
)
class RenewalRunViewSet(
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Group renewals of collective protection (Immigration Act § 34) and their progress."""

    serializer_class = RenewalRunSerializer
    perms_by_method = {
        "GET": "casework.view_renewalrun",
        "POST": "casework.add_renewalrun",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = RenewalRunFilterSet
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet:
        return visible_to(self.request.user, RenewalRun.objects.all())

    @extend_schema(
        summary="Start the group renewal of the collective-protection permits a group holds",
        request=RenewalRunCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RenewalRunSerializer, 200: RenewalRunSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = RenewalRunCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        run = services.renewal_run_start(actor=request.user, label=data.pop("name"), **data)
        status_code = 200 if run.already_done else 201
        return self.respond(self.get_queryset().get(pk=run.pk), status_code=status_code)
