"""The lawyer scheme in the API: the register, duty lists, appointments and representatives.

    GET  /api/v1/lawyers/                       the register (a lawyer: their own entry)
    POST /api/v1/lawyers/                       register a lawyer (administrators)
    PATCH /api/v1/lawyers/{id}/                 change an entry (If-Match)
    GET  /api/v1/duty-lists/                    the on-call lists
    POST /api/v1/duty-lists/{id}/offer/         the next lawyer in turn (the turn moves on)
    GET  /api/v1/appointments/?application=…    appointments on the cases the user sees
    POST /api/v1/appointments/                  appoint (the legal rules are guards: 409)
    POST /api/v1/appointments/{id}/end/         end with a reason (If-Match)
    POST /api/v1/appointments/{id}/change/      another lawyer, with a reason (If-Match)
    GET  /api/v1/representatives/?person=…      minors' representatives
    POST /api/v1/representatives/               record one appointed by the County Governor
    POST /api/v1/representatives/{id}/end/      end with a reason (If-Match)

The same conventions as the rest (``casework.api.base``): model permission per method (403
before any lookup), rows scoped to the user (404 for what they may not see, a lawyer's other
cases included), ETag and If-Match, Idempotency-Key, cursor pages, every read logged.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
)
from casework.api.fields import IsoDateField, StrictModelSerializer, StrictPrimaryKeyRelatedField
from casework.applications.models import Application
from casework.lawyers.choices import AppointmentReason, Region
from casework.lawyers.models import Appointment, DutyList, Lawyer, Representative
from casework.lawyers.services import (
    appointment_change,
    appointment_end,
    appointment_make,
    duty_list_offer,
    lawyer_register,
    lawyer_update,
    representative_appoint,
    representative_end,
)
from casework.people.models import Person
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import applications_visible_to, people_visible_to, visible_to

# --- Serializers ----------------------------------------------------------------------------


class LawyerSerializer(StrictModelSerializer):
    """A lawyer in the register; ``duty_lists`` are the ids of the lists they are on."""

    duty_lists = serializers.SerializerMethodField()
    region = serializers.ChoiceField(choices=Region.choices)

    class Meta:
        model = Lawyer
        fields = [
            "id",
            "name",
            "firm",
            "bar_number",
            "region",
            "email",
            "phone",
            "active",
            "duty_lists",
            "version",
        ]
        read_only_fields = ["id", "duty_lists", "version"]
        extra_kwargs = {"name": {"allow_blank": False}, "bar_number": {"allow_blank": False}}

    def get_duty_lists(self, obj: Lawyer) -> list[int]:
        return [duty.pk for duty in obj.duty_lists.all()]


class LawyerUpdateSerializer(serializers.Serializer):
    firm = serializers.CharField(max_length=160, required=False, allow_blank=True)
    region = serializers.ChoiceField(choices=Region.choices, required=False)
    email = serializers.EmailField(required=False, allow_blank=True)
    phone = serializers.CharField(max_length=32, required=False, allow_blank=True)
    active = serializers.BooleanField(required=False)


class DutyListSerializer(StrictModelSerializer):
    """An on-call list; ``lawyers`` in the order of their turn."""

    lawyers = serializers.SerializerMethodField()

    class Meta:
        model = DutyList
        fields = ["id", "kind", "region", "lawyers", "last_position", "version"]
        read_only_fields = fields

    def get_lawyers(self, obj: DutyList) -> list[int]:
        return [m.lawyer_id for m in obj.members.all()]


class AppointmentSerializer(StrictModelSerializer):
    """A lawyer appointed on a case: who, from, to, and why."""

    class Meta:
        model = Appointment
        fields = [
            "id",
            "application",
            "lawyer",
            "reason",
            "free",
            "basis",
            "duty_list",
            "starts_on",
            "ends_on",
            "end_reason",
            "version",
            "created_at",
        ]
        read_only_fields = fields


class AppointmentCreateSerializer(serializers.Serializer):
    """Appoint a named lawyer, or the next in turn on ``duty_list``."""

    application = StrictPrimaryKeyRelatedField(queryset=Application.objects.all())
    reason = serializers.ChoiceField(choices=AppointmentReason.choices)
    lawyer = StrictPrimaryKeyRelatedField(queryset=Lawyer.objects.all(), required=False)
    duty_list = StrictPrimaryKeyRelatedField(queryset=DutyList.objects.all(), required=False)
    basis = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    starts_on = IsoDateField(required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:  # a case the user cannot see is "does not exist"
            for name, queryset in (
                ("application", applications_visible_to(request.user)),
                ("lawyer", visible_to(request.user, Lawyer.objects.all())),
                ("duty_list", visible_to(request.user, DutyList.objects.all())),
            ):
                field = self.fields[name]
                assert isinstance(field, serializers.RelatedField)
                field.queryset = queryset


class EndSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=5000)
    ends_on = IsoDateField(required=False)


class ChangeSerializer(serializers.Serializer):
    lawyer = StrictPrimaryKeyRelatedField(queryset=Lawyer.objects.all())
    reason = serializers.CharField(max_length=5000)


class RepresentativeSerializer(StrictModelSerializer):
    """The representative (verge) of an unaccompanied minor."""

    class Meta:
        model = Representative
        fields = [
            "id",
            "person",
            "name",
            "email",
            "phone",
            "appointed_by",
            "starts_on",
            "ends_on",
            "end_reason",
            "version",
        ]
        read_only_fields = ["id", "ends_on", "end_reason", "version"]
        extra_kwargs = {"name": {"allow_blank": False}, "appointed_by": {"allow_blank": False}}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        person = self.fields.get("person")
        if request is not None and isinstance(person, serializers.RelatedField):
            person.queryset = people_visible_to(request.user)


class AppointmentFilterSet(filters.FilterSet):
    class Meta:
        model = Appointment
        fields = ["application", "lawyer", "reason"]


class RepresentativeFilterSet(filters.FilterSet):
    class Meta:
        model = Representative
        fields = ["person"]


# --- Views ----------------------------------------------------------------------------------


def _versioned_write(
    view: Any,
    request: Any,
    serializer_class: type[serializers.Serializer],
    service: Callable[..., Any],
    record_name: str,
    *,
    status_code: int = status.HTTP_200_OK,
) -> Response:
    """The end and change actions of an appointment or a representative: the record in the
    user's scope (404), the input, ``If-Match`` against the record's version (412), then the
    service with the version it was read at (409 when it moved meanwhile)."""
    record = view.get_object()
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    view.check_if_match(record)
    written = service(
        actor=request.user,
        expected_version=view.expected_version(),
        **{record_name: record},
        **serializer.validated_data,
    )
    return view.respond(written, status_code=status_code)


@extend_schema_view(
    list=extend_schema(responses={200: LawyerSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: LawyerSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY], responses={201: LawyerSerializer, **WRITE_ERROR_RESPONSES}
    ),
    partial_update=extend_schema(
        request=LawyerUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: LawyerSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class LawyerViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The Directorate's register of lawyers for asylum cases."""

    queryset = Lawyer.objects.prefetch_related("duty_lists")
    serializer_class = LawyerSerializer
    perms_by_method = {
        "GET": "casework.view_lawyer",
        "POST": "casework.add_lawyer",
        "PATCH": "casework.change_lawyer",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list = []

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        lawyer = lawyer_register(actor=request.user, **serializer.validated_data)
        return self.respond(lawyer, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        lawyer = self.get_object()
        serializer = LawyerUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(lawyer)
        lawyer = lawyer_update(
            actor=request.user,
            lawyer=lawyer,
            expected_version=self.expected_version(),
            **serializer.validated_data,
        )
        return self.respond(lawyer)


@extend_schema_view(
    list=extend_schema(responses={200: DutyListSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: DutyListSerializer, **ERROR_RESPONSES}),
)
class DutyListViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The on-call lists of lawyers (48-hour, manifestly unfounded, regional)."""

    queryset = DutyList.objects.prefetch_related("members")
    serializer_class = DutyListSerializer
    perms_by_method = {"GET": "casework.view_dutylist", "POST": "casework.view_dutylist"}
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list = []

    @extend_schema(
        summary="The next lawyer in turn",
        description=(
            "Offers the next active lawyer on the list and moves the turn on. Two requests at "
            "the same moment get different lawyers (the list's row is locked while the turn "
            "moves). 409 when no active lawyer is on the list."
        ),
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={200: LawyerSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def offer(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        lawyer = duty_list_offer(actor=request.user, duty_list=self.get_object())
        return self.respond(lawyer, serializer_class=LawyerSerializer)


@extend_schema_view(
    list=extend_schema(responses={200: AppointmentSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: AppointmentSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=AppointmentCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: AppointmentSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class AppointmentViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Lawyers appointed on cases. For a lawyer: the appointments on their clients' cases."""

    queryset = Appointment.objects.all()
    serializer_class = AppointmentSerializer
    perms_by_method = {
        "GET": "casework.view_appointment",
        "POST": ("casework.add_appointment", "casework.change_appointment"),
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_class = AppointmentFilterSet

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = AppointmentCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        appointment = appointment_make(actor=request.user, **serializer.validated_data)
        return self.respond(appointment, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End the appointment",
        request=EndSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: AppointmentSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def end(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return _versioned_write(self, request, EndSerializer, appointment_end, "appointment")

    @extend_schema(
        summary="Change the lawyer",
        description="Ends this appointment with the reason and appoints the other lawyer for "
        "the same reason, the rules checked again. Answers the new appointment.",
        request=ChangeSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={201: AppointmentSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def change(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return _versioned_write(
            self,
            request,
            ChangeSerializer,
            appointment_change,
            "appointment",
            status_code=status.HTTP_201_CREATED,
        )


@extend_schema_view(
    list=extend_schema(responses={200: RepresentativeSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: RepresentativeSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={201: RepresentativeSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class RepresentativeViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Representatives (verge) of unaccompanied minors, appointed by the County Governor."""

    queryset = Representative.objects.all()
    serializer_class = RepresentativeSerializer
    perms_by_method = {
        "GET": "casework.view_representative",
        "POST": ("casework.add_representative", "casework.change_representative"),
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend]
    filterset_class = RepresentativeFilterSet

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person: Person = data.pop("person")
        representative = representative_appoint(actor=request.user, person=person, **data)
        return self.respond(representative, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="End the representative's appointment",
        request=EndSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: RepresentativeSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def end(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        return _versioned_write(self, request, EndSerializer, representative_end, "representative")
