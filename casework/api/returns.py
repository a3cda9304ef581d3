"""Return records in the REST API, on the API's shared conventions.

``/api/v1/returns/``: the returns of the cases the user may see (the police and auditors see
all). ``POST`` opens one on a rejected case whose departure deadline runs (``case_reference``;
409 when none runs or the case has one), and ``POST …/{id}/transitions/{name}/`` moves it,
built from ``casework/returns/workflow.py`` (403 for a role that may not: a reception officer
sees none, only the police carry out a forced return). Cursor pages, ``ETag`` on every record,
``If-Match`` on transitions, ``Idempotency-Key`` on POST, every read access-logged.
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
from casework.api.fields import StrictModelSerializer
from casework.api.filtersets import StrictOrderingFilter
from casework.applications.models import Application
from casework.people.identity import parse_reference
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import applications_visible_to, visible_to
from casework.returns import services
from casework.returns.choices import ReturnState, ReturnType
from casework.returns.models import Return
from casework.transitions.services import transitions_available


class ReturnSerializer(StrictModelSerializer):
    case_reference = serializers.CharField(source="application.display_reference")
    nationality = serializers.CharField(source="person.nationality.code")
    destination = serializers.CharField(source="destination.code")

    class Meta:
        model = Return
        fields = (
            "id",
            "case_reference",
            "nationality",
            "state",
            "departure_deadline",
            "applied_at",
            "applied_before_deadline",
            "support_nok",
            "decided_at",
            "forced_requested_at",
            "destination",
            "ended_at",
            "ended_as",
            "reason",
            "created_at",
            "version",
        )
        read_only_fields = fields


class ReturnCreateSerializer(serializers.Serializer):
    """Open the return of a rejected case whose decision has reached the applicant."""

    case_reference = serializers.CharField(max_length=20)


class ReturnFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=ReturnState.choices)
    ended_as = filters.ChoiceFilter(choices=ReturnType.choices)
    nationality = filters.CharFilter(field_name="person__nationality")
    ended_after = filters.IsoDateTimeFilter(field_name="ended_at", lookup_expr="gte")
    ended_before = filters.IsoDateTimeFilter(field_name="ended_at", lookup_expr="lt")

    class Meta:
        model = Return
        fields = ["state", "ended_as", "nationality"]


@extend_schema_view(
    list=extend_schema(responses={200: ReturnSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ReturnSerializer, **ERROR_RESPONSES}),
)
class ReturnViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    TransitionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Returns after a rejection: assisted return, forced return, whereabouts unknown."""

    serializer_class = ReturnSerializer
    perms_by_method = {"GET": "casework.view_return", "POST": "casework.add_return"}
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = ReturnFilterSet
    ordering_fields = ["id", "created_at"]
    workflow = services.RETURNS
    input_prefix = "Return"

    def get_queryset(self) -> QuerySet:
        return visible_to(self.request.user, Return.objects.select_related("application", "person"))

    def available_transitions(self, obj: Any) -> list[str]:
        return transitions_available(workflow=self.workflow, record=obj, user=self.request.user)

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        record = services.return_transition(
            actor=self.request.user,
            record=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )
        return self.get_queryset().get(pk=record.pk)

    @extend_schema(
        summary="Open the return of a rejected case (the case's unit or the police)",
        request=ReturnCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ReturnSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = ReturnCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        canonical = parse_reference(ser.validated_data["case_reference"])
        application = get_object_or_404(
            applications_visible_to(request.user, Application.objects.all()),
            reference=canonical or "-",
        )
        record = services.return_open(actor=request.user, application=application)
        return self.respond(self.get_queryset().get(pk=record.pk), status_code=201)
