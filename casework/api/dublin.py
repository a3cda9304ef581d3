"""Dublin cases in the REST API, on the API's shared conventions.

``/api/v1/dublin-rule-sets/``: the periods of each regulation with their validity dates
(read only). ``/api/v1/dublin-requests/``: requests scoped to the cases the user may see
(auditors and the police see all); ``POST`` prepares a request for a case on the Dublin
track, and ``POST …/{id}/transitions/{send|accept|refuse|request_reexamination|
extend_transfer|transfer}/`` moves it, built from ``casework/dublin/workflow.py`` (the
system's own transitions answer 403). ``/api/v1/dublin-stay-requests/``: the requests to
stay during the appeal; ``POST`` lodges one within the 48 hours, the appeals body decides it
(``grant``, ``refuse``). Cursor pages, ``ETag`` on every record, ``Idempotency-Key`` on POST,
every read access-logged.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
    TransitionsMixin,
)
from casework.api.fields import IsoDateField, IsoDateTimeField, StrictModelSerializer
from casework.api.filtersets import StrictOrderingFilter
from casework.applications.models import Application
from casework.dublin import services
from casework.dublin.choices import (
    DUBLIN_STATES,
    LegalGround,
    RequestKind,
    RequestState,
    StayState,
)
from casework.dublin.models import DublinRequest, DublinRuleSet, DublinStayRequest
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import visible_to
from casework.transitions.services import transitions_available

# --- serializers ------------------------------------------------------------------------------


class DublinRuleSetSerializer(StrictModelSerializer):
    class Meta:
        model = DublinRuleSet
        fields = (
            "id",
            "name",
            "regulation",
            "valid_from",
            "valid_to",
            "verified",
            "periods",
            "note",
        )
        read_only_fields = fields


class DublinRequestSerializer(StrictModelSerializer):
    case_reference = serializers.CharField(source="application.display_reference")
    member_state = serializers.CharField(source="member_state.code")
    rules = serializers.CharField(source="rule_set.name")

    class Meta:
        model = DublinRequest
        fields = (
            "id",
            "application",
            "case_reference",
            "member_state",
            "kind",
            "legal_ground",
            "eurodac_hit",
            "eurodac_hit_on",
            "urgent",
            "their_reference",
            "rules",
            "state",
            "request_due_at",
            "sent_at",
            "reply_due_at",
            "answered_at",
            "implicit",
            "reason",
            "transfer_from",
            "transfer_extension",
            "transfer_suspended",
            "transfer_due_at",
            "transferred_at",
            "police_reference",
            "lapsed_at",
            "created_at",
            "version",
        )
        read_only_fields = fields


class DublinRequestCreateSerializer(serializers.Serializer):
    """Prepare a request to another Dublin state for a case on the Dublin track: the day it
    must be sent by follows from the rules of the day the application was lodged."""

    application = serializers.IntegerField(min_value=1)
    member_state = serializers.ChoiceField(choices=[(c, c) for c in DUBLIN_STATES])
    kind = serializers.ChoiceField(choices=RequestKind.choices)
    legal_ground = serializers.ChoiceField(choices=LegalGround.choices)
    eurodac_hit_on = IsoDateField(
        required=False, allow_null=True, help_text="The day the Eurodac hit was received."
    )
    urgent = serializers.BooleanField(required=False, default=False)
    their_reference = serializers.CharField(
        max_length=60, required=False, allow_blank=True, default=""
    )


class DublinStayRequestSerializer(StrictModelSerializer):
    case_reference = serializers.CharField(source="application.display_reference")

    class Meta:
        model = DublinStayRequest
        fields = (
            "id",
            "application",
            "case_reference",
            "request",
            "state",
            "lodged_at",
            "decision_due_at",
            "decided_at",
            "grounds",
            "created_at",
            "version",
        )
        read_only_fields = fields


class DublinStayRequestCreateSerializer(serializers.Serializer):
    """Lodge the applicant's request to stay during the appeal, within 48 hours of the
    notification of the Dublin decision."""

    application = serializers.IntegerField(min_value=1)
    lodged_at = IsoDateTimeField(required=False, help_text="Empty: now.")


# --- filters ----------------------------------------------------------------------------------


class DublinRequestFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=RequestState.choices)
    kind = filters.ChoiceFilter(choices=RequestKind.choices)
    member_state = filters.CharFilter(field_name="member_state")
    application = filters.NumberFilter(field_name="application_id")

    class Meta:
        model = DublinRequest
        fields = ["state", "kind", "member_state", "application"]


class DublinStayRequestFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=StayState.choices)
    application = filters.NumberFilter(field_name="application_id")

    class Meta:
        model = DublinStayRequest
        fields = ["state", "application"]


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: DublinRuleSetSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: DublinRuleSetSerializer, **ERROR_RESPONSES}),
)
class DublinRuleSetViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The periods of Dublin III and of the AMMR, each with the days it is in force."""

    serializer_class = DublinRuleSetSerializer
    perms_by_method = {"GET": "casework.view_dublinruleset"}
    http_method_names = ["get", "head", "options"]
    filter_backends = [StrictOrderingFilter]
    ordering_fields = ["id", "valid_from"]

    def get_queryset(self) -> QuerySet:
        return visible_to(self.request.user, DublinRuleSet.objects.all())


class _Transitions(TransitionsMixin):
    def available_transitions(self, obj: Any) -> list[str]:
        return transitions_available(
            workflow=self.workflow,  # type: ignore[arg-type]
            record=obj,
            user=self.request.user,  # type: ignore[attr-defined]
        )


@extend_schema_view(
    list=extend_schema(responses={200: DublinRequestSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: DublinRequestSerializer, **ERROR_RESPONSES}),
)
class DublinRequestViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    _Transitions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to other Dublin states to take charge of or take back an applicant."""

    serializer_class = DublinRequestSerializer
    perms_by_method = {
        "GET": "casework.view_dublinrequest",
        "POST": "casework.add_dublinrequest",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = DublinRequestFilterSet
    ordering_fields = ["id", "created_at", "reply_due_at", "transfer_due_at"]
    workflow = services.DUBLIN_REQUESTS
    input_prefix = "DublinRequest"

    def get_queryset(self) -> QuerySet:
        return visible_to(
            self.request.user,
            DublinRequest.objects.select_related("application", "rule_set"),
        )

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        request = services.dublin_request_transition(
            actor=self.request.user,
            request=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )
        return self.get_queryset().get(pk=request.pk)

    @extend_schema(
        summary="Prepare a Dublin request for a case on the Dublin track",
        request=DublinRequestCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: DublinRequestSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = DublinRequestCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        app = get_object_or_404(
            visible_to(request.user, Application.objects.all()), pk=data.pop("application")
        )
        made = services.dublin_request_prepare(actor=request.user, application=app, **data)
        return self.respond(self.get_queryset().get(pk=made.pk), status_code=201)


@extend_schema_view(
    list=extend_schema(responses={200: DublinStayRequestSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: DublinStayRequestSerializer, **ERROR_RESPONSES}),
)
class DublinStayRequestViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    _Transitions,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Requests to stay in Norway while the appeal of a Dublin decision is heard."""

    serializer_class = DublinStayRequestSerializer
    perms_by_method = {
        "GET": "casework.view_dublinstayrequest",
        "POST": "casework.add_dublinstayrequest",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = DublinStayRequestFilterSet
    ordering_fields = ["id", "lodged_at"]
    workflow = services.DUBLIN_STAYS
    input_prefix = "DublinStayRequest"

    def get_queryset(self) -> QuerySet:
        return visible_to(
            self.request.user, DublinStayRequest.objects.select_related("application")
        )

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        stay = services.dublin_stay_transition(
            actor=self.request.user,
            stay=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )
        return self.get_queryset().get(pk=stay.pk)

    @extend_schema(
        summary="Lodge a request to stay during the appeal (within 48 hours)",
        request=DublinStayRequestCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: DublinStayRequestSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = DublinStayRequestCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        app = get_object_or_404(
            visible_to(request.user, Application.objects.all()), pk=data.pop("application")
        )
        stay = services.dublin_stay_lodge(actor=request.user, application=app, **data)
        return self.respond(self.get_queryset().get(pk=stay.pk), status_code=201)
