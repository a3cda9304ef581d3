"""Casework endpoints of the REST API: thin faces of the services and the scoped selectors.

Each viewset states the model permission each method needs (403 before any lookup), reads
through a selector scoped to the user (404 for what they may not see), and writes through a
service (object rules, locking, audit). Conventions (ETag, If-Match, Idempotency-Key,
transitions, errors) come from ``casework.api.base``.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import authenticate
from django.contrib.auth.signals import user_login_failed
from django.db import models, transaction
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.authtoken.models import Token
from rest_framework.decorators import action
from rest_framework.exceptions import Throttled, ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.authentication import token_expired
from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
    TransitionsMixin,
)
from casework.api.filtersets import (
    ApplicationFilterSet,
    AuditEventFilterSet,
    PersonFilterSet,
    StrictOrderingFilter,
)
from casework.api.pagination import ChronologicalPage
from casework.api.serializers import (
    ApplicationCreateSerializer,
    ApplicationRouteSerializer,
    ApplicationSerializer,
    ApplicationUpdateSerializer,
    AuditEventSerializer,
    DecisionSerializer,
    InterviewAttendanceSerializer,
    InterviewHeldSerializer,
    InterviewSerializer,
    InterviewWaiverSerializer,
    MeSerializer,
    PersonSerializer,
    ReminderSerializer,
    TokenRequestSerializer,
    TokenSerializer,
)
from casework.api.throttling import ScopedRateThrottle
from casework.applications.models import Application, Decision, Interview
from casework.applications.services import (
    APPLICATIONS,
    application_assign,
    application_available_transitions,
    application_lodge,
    application_route,
    application_transition,
    interview_record_held,
    interview_schedule,
    interview_waive,
)
from casework.audit.models import AuditEvent
from casework.deadlines.models import Reminder
from casework.lawyers.services import interview_attendance_record
from casework.people.models import Person
from casework.people.services import person_register, person_update
from casework.privacy.access import AccessLoggedViewSetMixin, AccessLoggingMixin
from casework.privacy.scopes import applications_visible_to, people_visible_to
from casework.staff.lockout import locked_out_for
from casework.staff.models import Unit
from casework.staff.otp import token_second_factor_error
from casework.staff.roles import role_names, unit_id_of

# --- Tokens ---------------------------------------------------------------------------------


class ObtainTokenView(APIView):
    """``POST username, password`` (and ``otp``) -> ``{"token": "…"}``; send it as
    ``Authorization: Token …``.

    A user who must use two-factor sign-in (``casework.staff.otp``) also sends a current code
    of their authenticator app, or an unused backup code, as ``otp``: without it, or with a
    wrong one, 400 and no token. Tries count towards the sign-in lockout
    (``casework.staff.lockout``: per address and account, and per account across addresses);
    while locked the answer is 429 with ``Retry-After``, whatever the password. A wrong code
    counts as a failed sign-in too. ``DELETE`` revokes the token the request was made with
    (or the user's token, for a session). A scoped rate limit applies as well.
    """

    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "auth"

    def get_permissions(self) -> list:
        if self.request.method == "POST":
            return [permissions.AllowAny()]
        return [permissions.IsAuthenticated()]

    @extend_schema(
        request=TokenRequestSerializer,
        responses={
            200: TokenSerializer,
            400: ERROR_RESPONSES[400],
            429: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Sign-in locked after repeated failures; see Retry-After.",
            ),
        },
        auth=[],
    )
    def post(self, request: Any) -> Response:
        serializer = TokenRequestSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        username = serializer.validated_data["username"]
        user = authenticate(
            request=request, username=username, password=serializer.validated_data["password"]
        )
        if user is None:
            self._refuse_if_locked(request, username)
            raise ValidationError(
                {"non_field_errors": [_("Unable to log in with provided credentials.")]},
                code="authorization",
            )
        problem = token_second_factor_error(user, serializer.validated_data.get("otp", ""))
        if problem is not None:
            if serializer.validated_data.get("otp"):  # a wrong code is a failed sign-in
                user_login_failed.send(
                    sender=type(self), credentials={"username": username}, request=request
                )
                self._refuse_if_locked(request, username)
            raise ValidationError({"otp": [problem]}, code="authorization")
        with transaction.atomic():
            token, _created = Token.objects.select_for_update().get_or_create(user=user)
            if token_expired(token):
                token.delete()
                token = Token.objects.create(user=user)
        return Response({"token": token.key})

    @staticmethod
    def _refuse_if_locked(request: Any, username: str) -> None:
        retry_after = locked_out_for(request, username)
        if retry_after is not None:
            raise Throttled(
                wait=retry_after,
                detail=str(
                    _(
                        "Sign-in to this account is paused after repeated unsuccessful "
                        "attempts. Try again later, or ask an administrator to unlock it."
                    )
                ),
            )

    @extend_schema(request=None, responses={204: None, 401: OpenApiResponse(description="")})
    def delete(self, request: Any) -> Response:
        Token.objects.filter(user=request.user).delete()
        return Response(status=status.HTTP_204_NO_CONTENT)


class MeView(APIView):
    """``GET`` -> who the request is made as: id, username, name, roles and unit.

    A client needs its own user id to assign a case to itself (``PATCH
    /applications/{id}/`` with ``assigned_to``) and its roles to know which operations are
    its to make. Only the caller's own record: nothing about anyone else.
    """

    permission_classes = [permissions.IsAuthenticated]

    @extend_schema(
        summary="The user making the request",
        responses={200: MeSerializer, 401: OpenApiResponse(description="Not signed in.")},
    )
    def get(self, request: Any) -> Response:
        user = request.user
        unit_id = unit_id_of(user)
        unit = (
            None
            if unit_id is None
            else Unit.objects.filter(pk=unit_id).values("id", "code", "name").first()
        )
        me = {
            "id": user.pk,
            "username": user.get_username(),
            "name": user.get_full_name() or user.get_username(),
            "roles": sorted(role_names(user)),
            "is_superuser": user.is_superuser,
            "unit": unit,
        }
        return Response(MeSerializer(me).data)


# --- People ---------------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: PersonSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: PersonSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={201: PersonSerializer, **WRITE_ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        parameters=[IF_MATCH], responses={200: PersonSerializer, **WRITE_ERROR_RESPONSES}
    ),
)
class PersonViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """People registered with the authority, scoped to what the user may see."""

    serializer_class = PersonSerializer
    perms_by_method = {
        "GET": "casework.view_person",
        "POST": "casework.add_person",
        "PATCH": "casework.change_person",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = PersonFilterSet
    ordering_fields = ["id", "created_at"]

    def get_queryset(self) -> QuerySet:
        return people_visible_to(self.request.user)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        person = person_register(
            actor=request.user,
            given_name=data.pop("given_name"),
            family_name=data.pop("family_name"),
            date_of_birth=data.pop("date_of_birth"),
            sex=data.pop("sex"),
            nationality=data.pop("nationality", ""),
            **data,
        )
        return self.respond(person, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        with transaction.atomic():
            person = self.get_object()
            person = Person.objects.select_for_update().get(pk=person.pk)
            self.check_if_match(person)
            person = person_update(actor=request.user, person=person, **serializer.validated_data)
        return self.respond(person)


# --- Applications ---------------------------------------------------------------------------


@extend_schema_view(
    list=extend_schema(responses={200: ApplicationSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ApplicationSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        request=ApplicationCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: ApplicationSerializer, **WRITE_ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        request=ApplicationUpdateSerializer,
        parameters=[IF_MATCH],
        responses={200: ApplicationSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class ApplicationViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    TransitionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Asylum applications. The state changes only through ``transitions/{name}/``."""

    serializer_class = ApplicationSerializer
    perms_by_method = {
        "GET": "casework.view_application",
        "POST": "casework.add_application",
        "PATCH": "casework.change_application",
    }
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    filterset_class = ApplicationFilterSet
    ordering_fields = ["id", "lodged_on", "created_at"]
    workflow = APPLICATIONS
    # Whether a decision-maker may waive this case's interview is the service's object rule.
    # Whether a decision-maker may waive this case's interview, and who may move a case to
    # another unit, are the services' object rules.
    perms_by_action = {
        "interview_waiver": "casework.change_application",
        "route": "casework.view_application",
    }

    def get_queryset(self) -> QuerySet:
        return applications_visible_to(self.request.user).select_related("person")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = ApplicationCreateSerializer(
            data=request.data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        application = application_lodge(actor=request.user, **serializer.validated_data)
        return self.respond(application, status_code=status.HTTP_201_CREATED)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        application = self.get_object()
        serializer = ApplicationUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(application)
        application = application_assign(
            actor=request.user,
            application=application,
            assignee=serializer.validated_data["assigned_to"],
            expected_version=self.expected_version(),
        )
        return self.respond(application)

    @extend_schema(
        summary="Waive the asylum interview",
        description=(
            "A decision-maker waives the interview with a recorded reason, before the "
            "decision, while none was held: an interview still booked is cancelled and its "
            "reminders stop. 409 when already waived, held or decided."
        ),
        request=InterviewWaiverSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: ApplicationSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="interview-waiver",
        filter_backends=[],
        pagination_class=None,
    )
    def interview_waiver(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        application = self.get_object()
        serializer = InterviewWaiverSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(application)
        app = interview_waive(
            actor=request.user,
            application=application,
            reason=serializer.validated_data["reason"],
            expected_version=self.expected_version(),
        )
        return self.respond(Application.objects.select_related("person").get(pk=app.pk))

    @extend_schema(
        summary="Move the case to another unit",
        description=(
            "Those who route cases (police registration) give a case another unit, with the "
            "reason, recorded in the case's history with the old and new unit. An assignment "
            "to a caseworker outside the new unit ends. 403 for anyone else; 409 when the "
            "case is already in that unit."
        ),
        request=ApplicationRouteSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: ApplicationSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="route",
        filter_backends=[],
        pagination_class=None,
    )
    def route(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        application = self.get_object()
        serializer = ApplicationRouteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(application)
        app = application_route(
            actor=request.user,
            application=application,
            unit=serializer.validated_data["unit"],
            reason=serializer.validated_data["reason"],
            expected_version=self.expected_version(),
        )
        return self.respond(Application.objects.select_related("person").get(pk=app.pk))

    def available_transitions(self, obj: Application) -> list[str]:
        return application_available_transitions(application=obj, user=self.request.user)

    def perform_transition(self, obj: Application, name: str, data: dict) -> Application:
        app = application_transition(
            actor=self.request.user,
            application=obj,
            name=name,
            expected_version=self.expected_version(),
            **data,
        )
        return Application.objects.select_related("person").get(pk=app.pk)


# --- Records of one application -------------------------------------------------------------


class _OfApplication:
    """Nested under ``applications/{application_pk}/``: 404 unless the user sees the case."""

    @cached_property
    def application(self) -> Application:
        visible = applications_visible_to(self.request.user)  # type: ignore[attr-defined]
        return get_object_or_404(visible, pk=self.kwargs["application_pk"])  # type: ignore[attr-defined]

    pagination_class: type[BasePagination] | None = ChronologicalPage

    def scoped(self, model: type[models.Model]) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return model._default_manager.none()
        return model._default_manager.filter(application=self.application)


@extend_schema_view(
    list=extend_schema(responses={200: InterviewSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: InterviewSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        parameters=[IDEMPOTENCY_KEY],
        responses={201: InterviewSerializer, **WRITE_ERROR_RESPONSES},
    ),
    partial_update=extend_schema(
        summary="Record that the interview was held",
        request=InterviewHeldSerializer,
        parameters=[IF_MATCH],
        responses={200: InterviewSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class InterviewViewSet(
    AccessLoggingMixin,
    _OfApplication,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The asylum interviews of a case: schedule one, record that it was held."""

    serializer_class = InterviewSerializer
    perms_by_method = {
        "GET": "casework.view_interview",
        "POST": "casework.add_interview",
        "PATCH": "casework.change_interview",
    }
    perms_by_action = {"attendance": "casework.change_interview"}
    http_method_names = ["get", "post", "patch", "head", "options"]
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return self.scoped(Interview)

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        interview = interview_schedule(
            actor=request.user, application=self.application, **serializer.validated_data
        )
        return self.respond(interview, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record who attended beside the applicant",
        description=(
            "The case's current lawyer and, for an unaccompanied minor, their representative "
            "(appointed by the County Governor), from the register. 409 when the case has no "
            "lawyer or the applicant no representative to record."
        ),
        request=InterviewAttendanceSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: InterviewSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def attendance(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        interview = self.get_object()
        serializer = InterviewAttendanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(interview)
        interview = interview_attendance_record(
            actor=request.user, interview=interview, **serializer.validated_data
        )
        return self.respond(interview)

    def partial_update(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        interview = self.get_object()
        serializer = InterviewHeldSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(interview)
        interview = interview_record_held(
            actor=request.user, interview=interview, **serializer.validated_data
        )
        return self.respond(interview)


@extend_schema_view(
    list=extend_schema(responses={200: DecisionSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: DecisionSerializer, **ERROR_RESPONSES}),
)
class DecisionViewSet(
    AccessLoggingMixin, _OfApplication, ApiViewSetMixin, viewsets.ReadOnlyModelViewSet
):
    """The decisions on a case, first instance and appeal (written by the transitions)."""

    serializer_class = DecisionSerializer
    perms_by_method = {"GET": "casework.view_decision"}
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        return self.scoped(Decision)


@extend_schema_view(
    list=extend_schema(responses={200: AuditEventSerializer(many=True), **ERROR_RESPONSES}),
)
class AuditEventViewSet(
    AccessLoggingMixin,
    _OfApplication,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    viewsets.GenericViewSet,
):
    """The audit timeline of a case: who did what, when, from which state to which."""

    serializer_class = AuditEventSerializer
    perms_by_method = {"GET": "casework.view_auditevent"}
    pagination_class = ChronologicalPage
    filter_backends = [DjangoFilterBackend]
    filterset_class = AuditEventFilterSet

    def get_queryset(self) -> QuerySet:
        return self.scoped(AuditEvent)


@extend_schema_view(
    list=extend_schema(responses={200: ReminderSerializer(many=True), **ERROR_RESPONSES}),
    retrieve=extend_schema(responses={200: ReminderSerializer, **ERROR_RESPONSES}),
)
class ReminderViewSet(AccessLoggingMixin, ApiViewSetMixin, viewsets.ReadOnlyModelViewSet):
    """The reminders addressed to the user making the request (their own only)."""

    serializer_class = ReminderSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        user = self.request.user
        if not getattr(user, "is_authenticated", False):
            return Reminder.objects.none()
        return Reminder.objects.filter(recipient=f"user:{user.pk}").select_related("deadline")


def not_found(request: Any, exception: Exception | None = None) -> Any:
    """Django's 404 handler: JSON for an API path (e.g. ``/api/v1/people/0.5/``), HTML elsewhere.

    A URL no route matches never reaches DRF; API clients must still get the JSON error body
    the schema promises.
    """
    from django.http import JsonResponse
    from django.views.defaults import page_not_found

    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return page_not_found(request, exception)
