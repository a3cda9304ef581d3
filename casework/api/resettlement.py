"""The resettlement quota and UNHCR's referrals in the REST API, on the API's conventions.

``/api/v1/resettlement-quotas/``: the quota by year with the places taken and left (every role
that may read it); a decision-maker sets a year's places (``POST``; ``PATCH`` with
``If-Match``). ``/api/v1/resettlement-referrals/``: referrals scoped as their refugees are;
``POST`` registers one, and ``POST …/{id}/transitions/{select|not_select|record_arrival|
withdraw}/`` moves it, built from ``casework/resettlement/workflow.py``: a selection for
which the quota has no place left is a 409 naming the quota. Cursor pages, ``ETag`` on every
record, ``Idempotency-Key`` on POST, every read access-logged.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db import transaction
from django.db.models import QuerySet
from django_countries import countries
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
    TransitionsMixin,
)
from casework.api.fields import IsoDateField, StrictIntegerField, StrictModelSerializer
from casework.api.filtersets import StrictOrderingFilter
from casework.people.choices import Sex
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import visible_to
from casework.resettlement import services
from casework.resettlement.choices import Priority, ReferralState, SelectionMethod
from casework.resettlement.models import ResettlementQuota, ResettlementReferral
from casework.transitions.services import transitions_available

# --- serializers ------------------------------------------------------------------------------


class ResettlementQuotaSerializer(StrictModelSerializer):
    remaining = serializers.IntegerField(read_only=True, help_text="Places not yet taken.")

    class Meta:
        model = ResettlementQuota
        fields = ("id", "year", "places", "taken", "remaining", "source", "verified", "version")
        read_only_fields = ("id", "taken", "remaining", "version")


class ResettlementQuotaChangeSerializer(StrictModelSerializer):
    places = StrictIntegerField(min_value=0, required=False)

    class Meta:
        model = ResettlementQuota
        fields = ("places", "source", "verified")


class ResettlementReferralSerializer(StrictModelSerializer):
    registration_number = serializers.CharField(source="person.registration_number")
    case_reference = serializers.SerializerMethodField()

    class Meta:
        model = ResettlementReferral
        fields = (
            "id",
            "unhcr_reference",
            "referral_date",
            "priority",
            "selection_method",
            "person",
            "registration_number",
            "state",
            "quota_year",
            "decided_at",
            "decision_reason",
            "arrived_on",
            "application",
            "case_reference",
            "created_at",
            "version",
        )
        read_only_fields = fields

    def get_case_reference(self, obj: ResettlementReferral) -> str | None:
        return obj.application.display_reference if obj.application is not None else None


class ResettlementReferralCreateSerializer(serializers.Serializer):
    """Register a UNHCR referral: the referral and the refugee it names."""

    unhcr_reference = serializers.CharField(max_length=40)
    referral_date = IsoDateField()
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    selection_method = serializers.ChoiceField(choices=SelectionMethod.choices)
    given_name = serializers.CharField(max_length=120)
    family_name = serializers.CharField(max_length=120)
    date_of_birth = IsoDateField()
    sex = serializers.ChoiceField(choices=Sex.choices, default=Sex.UNKNOWN)
    nationality = serializers.ChoiceField(
        choices=[c for c, _n in countries], required=False, allow_blank=True, default=""
    )


# --- filters ----------------------------------------------------------------------------------


class ResettlementReferralFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ReferralState.choices)
    priority = filters.ChoiceFilter(choices=Priority.choices)
    selection_method = filters.ChoiceFilter(choices=SelectionMethod.choices)
    quota_year = filters.NumberFilter()

    class Meta:
        model = ResettlementReferral
        fields = ["state", "priority", "selection_method", "quota_year"]


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: ResettlementQuotaSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ResettlementQuotaSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Set a year's resettlement quota (a decision-maker)",
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ResettlementQuotaSerializer, **WRITE_ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change a year's places, source or whether it is verified",
        request=ResettlementQuotaChangeSerializer,
        parameters=[IF_MATCH],
        responses={200: ResettlementQuotaSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class ResettlementQuotaViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The resettlement quota by year: places, taken, left."""

    serializer_class = ResettlementQuotaSerializer
    perms_by_method = {
        "GET": "casework.view_resettlementquota",
        "POST": "casework.add_resettlementquota",
        "PATCH": "casework.change_resettlementquota",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["id", "year"]

    def get_queryset(self) -> QuerySet:
        return visible_to(self.request.user, ResettlementQuota.objects.all())

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        quota = services.quota_set(actor=request.user, **ser.validated_data)
        return self.respond(self.get_queryset().get(pk=quota.pk), status_code=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with transaction.atomic():
            quota = self.get_object()
            self.check_if_match(quota)
            ser = ResettlementQuotaChangeSerializer(data=request.data, partial=True)
            ser.is_valid(raise_exception=True)
            data = {
                "places": quota.places,
                "source": quota.source,
                "verified": quota.verified,
                **ser.validated_data,
            }
            services.quota_set(
                actor=request.user,
                year=quota.year,
                expected_version=self.expected_version(),
                **data,
            )
        return self.respond(self.get_queryset().get(pk=quota.pk))


@extend_schema_view(
    list=extend_schema(
        responses={200: ResettlementReferralSerializer(many=True), **ERROR_RESPONSES}
    ),
    retrieve=extend_schema(responses={200: ResettlementReferralSerializer, **ERROR_RESPONSES}),
)
class ResettlementReferralViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    TransitionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Refugees UNHCR referred for resettlement, their selection and arrival."""

    serializer_class = ResettlementReferralSerializer
    perms_by_method = {
        "GET": "casework.view_resettlementreferral",
        "POST": "casework.add_resettlementreferral",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = ResettlementReferralFilterSet
    ordering_fields = ["id", "referral_date"]
    workflow = services.REFERRALS
    input_prefix = "ResettlementReferral"

    def get_queryset(self) -> QuerySet:
        return visible_to(
            self.request.user,
            ResettlementReferral.objects.select_related("person", "application"),
        )

    def available_transitions(self, obj: Any) -> list[str]:
        return transitions_available(workflow=self.workflow, record=obj, user=self.request.user)

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        referral = services.referral_transition(
            actor=self.request.user,
            referral=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )
        return self.get_queryset().get(pk=referral.pk)

    @extend_schema(
        summary="Register a UNHCR referral",
        request=ResettlementReferralCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ResettlementReferralSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ResettlementReferralCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        referral = services.referral_register(actor=request.user, **ser.validated_data)
        return self.respond(self.get_queryset().get(pk=referral.pk), status_code=201)
