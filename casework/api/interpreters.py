"""Interpreters and their bookings in the REST API, on the API's shared conventions.

``/api/v1/interpreters/``: the register (list, retrieve; the coordinator adds and changes
entries, ``PATCH`` with ``If-Match``). ``/api/v1/interpreter-bookings/``: bookings scoped to
the cases the user may see (the coordinator sees all); ``POST`` books an interpreter for an
interview or an appeal hearing (409 when the interpreter is already booked then), and
``POST …/{id}/transitions/{confirm|cancel|record_no_show}/`` moves it, built from
``casework/interpreters/workflow.py``. Cursor pages, ``ETag`` on every record,
``Idempotency-Key`` on POST, every read access-logged.
"""

from __future__ import annotations

from typing import Any

import django_filters as filters
from django.db import transaction
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
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
    TransitionsMixin,
)
from casework.api.fields import IsoDateTimeField, StrictModelSerializer
from casework.api.filtersets import StrictOrderingFilter
from casework.applications.models import Appeal, Interview
from casework.interpreters import selectors, services
from casework.interpreters.choices import (
    BookingState,
    InterpreterGender,
    Qualification,
    SessionKind,
)
from casework.interpreters.models import Interpreter, InterpreterBooking, InterpreterLanguage
from casework.people.choices import SpokenLanguage
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import visible_to
from casework.transitions.services import transitions_available

# --- serializers ------------------------------------------------------------------------------


class InterpreterLanguageSerializer(StrictModelSerializer):
    language = serializers.ChoiceField(choices=SpokenLanguage.choices)
    qualification = serializers.ChoiceField(
        choices=Qualification.choices, help_text="The national register's category, A to E."
    )
    dialects = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default="", help_text="Comma separated."
    )

    class Meta:
        model = InterpreterLanguage
        fields = ("language", "qualification", "dialects")


class InterpreterSerializer(StrictModelSerializer):
    languages = InterpreterLanguageSerializer(many=True)

    class Meta:
        model = Interpreter
        fields = (
            "id",
            "name",
            "gender",
            "region",
            "register_number",
            "email",
            "phone",
            "remote",
            "active",
            "languages",
            "version",
        )
        read_only_fields = ("id", "version")
        extra_kwargs = {"name": {"allow_blank": False}, "region": {"allow_blank": False}}


class InterpreterBookingSerializer(StrictModelSerializer):
    interpreter_name = serializers.CharField(source="interpreter.name")
    case_reference = serializers.CharField(source="application.display_reference")

    class Meta:
        model = InterpreterBooking
        fields = (
            "id",
            "interpreter",
            "interpreter_name",
            "case_reference",
            "kind",
            "interview",
            "appeal",
            "starts_at",
            "ends_at",
            "location",
            "language",
            "dialect",
            "state",
            "reason",
            "created_at",
            "version",
        )
        read_only_fields = fields


class InterpreterBookingCreateSerializer(serializers.Serializer):
    """Book an interpreter: for an interview (its time and place by default) or for an
    appeal's board hearing (``starts_at`` and ``location`` required)."""

    interpreter = serializers.IntegerField(min_value=1)
    interview = serializers.IntegerField(min_value=1, required=False)
    appeal = serializers.IntegerField(min_value=1, required=False)
    language = serializers.ChoiceField(choices=SpokenLanguage.choices)
    dialect = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    starts_at = IsoDateTimeField(required=False)
    ends_at = IsoDateTimeField(required=False, help_text="Empty: three hours after the start.")
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("interview" in attrs) == ("appeal" in attrs):
            raise serializers.ValidationError(
                {"interview": ["Name either an interview or an appeal."]}
            )
        return attrs


# --- filters ----------------------------------------------------------------------------------


class InterpreterFilterSet(filters.FilterSet):
    active = filters.BooleanFilter()
    gender = filters.ChoiceFilter(choices=InterpreterGender.choices)
    language = filters.ChoiceFilter(
        field_name="languages__language", choices=SpokenLanguage.choices, distinct=True
    )

    class Meta:
        model = Interpreter
        fields = ["active", "gender", "language"]


class InterpreterBookingFilterSet(filters.FilterSet):
    state = filters.MultipleChoiceFilter(choices=BookingState.choices)
    kind = filters.ChoiceFilter(choices=SessionKind.choices)
    language = filters.ChoiceFilter(choices=SpokenLanguage.choices)
    interpreter = filters.NumberFilter(field_name="interpreter_id")
    interview = filters.NumberFilter(field_name="interview_id")
    starts_after = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="gte")
    starts_before = filters.IsoDateTimeFilter(field_name="starts_at", lookup_expr="lt")

    class Meta:
        model = InterpreterBooking
        fields = ["state", "kind", "language", "interpreter", "interview"]


# --- views ------------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: InterpreterSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: InterpreterSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Add an interpreter to the register (the interpreter coordinator)",
        parameters=[IDEMPOTENCY_KEY],
        responses={201: InterpreterSerializer, **WRITE_ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Change an interpreter's entry, languages or whether they are active",
        parameters=[IF_MATCH],
        responses={200: InterpreterSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class InterpreterViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The register of interpreters, with their languages, dialects and categories."""

    serializer_class = InterpreterSerializer
    perms_by_method = {
        "GET": "casework.view_interpreter",
        "POST": "casework.add_interpreter",
        "PATCH": "casework.change_interpreter",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = InterpreterFilterSet
    ordering_fields = ["id", "name"]

    def get_queryset(self) -> QuerySet:
        return visible_to(self.request.user, Interpreter.objects.prefetch_related("languages"))

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = self.get_serializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        languages = data.pop("languages")
        data.pop("active", None)
        interpreter = services.interpreter_register(actor=request.user, languages=languages, **data)
        return self.respond(self.get_queryset().get(pk=interpreter.pk), status_code=201)

    def partial_update(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = self.get_serializer(data=request.data, partial=True)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        with transaction.atomic():
            interpreter = self.get_object()
            self.check_if_match(interpreter)
            services.interpreter_update(
                actor=request.user,
                interpreter=interpreter,
                expected_version=self.expected_version(),
                languages=data.pop("languages", None),
                active=data.pop("active", None),
                **data,
            )
        return self.respond(self.get_queryset().get(pk=interpreter.pk))


@extend_schema_view(
    list=extend_schema(responses={200: InterpreterBookingSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: InterpreterBookingSerializer, **ERROR_RESPONSES}),
)
class InterpreterBookingViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    TransitionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Interpreters booked for interviews and appeal hearings."""

    serializer_class = InterpreterBookingSerializer
    perms_by_method = {
        "GET": "casework.view_interpreterbooking",
        "POST": "casework.add_interpreterbooking",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = InterpreterBookingFilterSet
    ordering_fields = ["id", "starts_at"]
    workflow = services.BOOKINGS
    input_prefix = "InterpreterBooking"

    def get_queryset(self) -> QuerySet:
        return visible_to(
            self.request.user,
            InterpreterBooking.objects.select_related("interpreter", "application"),
        )

    def available_transitions(self, obj: Any) -> list[str]:
        return transitions_available(workflow=self.workflow, record=obj, user=self.request.user)

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        booking = services.booking_transition(
            actor=self.request.user,
            booking=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )
        return self.get_queryset().get(pk=booking.pk)

    @extend_schema(
        summary="Book an interpreter for an interview or an appeal hearing",
        request=InterpreterBookingCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: InterpreterBookingSerializer, **WRITE_ERROR_RESPONSES},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        ser = InterpreterBookingCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = dict(ser.validated_data)
        user = request.user
        everything = selectors.sees_all_bookings(user)
        interview = appeal = None
        if "interview" in data:
            interviews = (
                Interview.objects.all() if everything else visible_to(user, Interview.objects.all())
            )
            interview = get_object_or_404(
                interviews.select_related("application"), pk=data.pop("interview")
            )
        else:
            appeals = Appeal.objects.all() if everything else visible_to(user, Appeal.objects.all())
            appeal = get_object_or_404(appeals.select_related("application"), pk=data.pop("appeal"))
        interpreter = get_object_or_404(
            visible_to(user, Interpreter.objects.all()), pk=data.pop("interpreter")
        )
        booking = services.booking_request(
            actor=user, interpreter=interpreter, interview=interview, appeal=appeal, **data
        )
        return self.respond(self.get_queryset().get(pk=booking.pk), status_code=201)
