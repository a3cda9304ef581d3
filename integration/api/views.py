"""Integration endpoints: thin faces of ``integration.services`` and ``selectors``.

Each list reads through a selector scoped to the user (so a record they may not see is a
404), every write calls a service (object rules, locking, audit), and state changes are
explicit transitions:

- ``GET  …/{id}/transitions/``: the transitions this user may make now, with their fields;
- ``POST …/{id}/transitions/{name}/``: make one. 400 field errors, 403 may not, 404 not
  visible (or no such transition), 409 wrong state or an unmet legal condition (``unmet``
  names each one, e.g. the § 94 conditions).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request
from rest_framework.response import Response

from casework.exceptions import TransitionConflict
from casework.identity import parse_reference
from casework.models import Application, Person
from casework.selectors import applications_visible_to

from .. import selectors, services
from ..forms import transition_fields, transition_label
from ..models import FamilyReunification, IntroductionProgramme, WorkPermit
from ..services import ConditionsUnmet
from ..workflow import FAMILY_TRANSITIONS, PROGRAMME_TRANSITIONS, WORK_PERMIT_TRANSITIONS
from . import serializers as s


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The change conflicts with the current state of the record."
    default_code = "conflict"


def call(service: Callable[[], Any]) -> Any:
    """Run a service and map its refusals to HTTP: 400, 403, 409 (with each unmet condition)."""
    try:
        return service()
    except PermissionDenied as exc:
        raise exceptions.PermissionDenied(str(exc) or None) from exc
    except ValidationError as exc:
        if hasattr(exc, "error_dict"):
            raise exceptions.ValidationError(
                {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
            ) from exc
        raise exceptions.ValidationError({"non_field_errors": exc.messages}) from exc
    except ConditionsUnmet as exc:
        raise Conflict(
            {
                "detail": exc.message,
                "current_state": exc.current_state or None,
                "unmet": [u.as_dict() for u in exc.unmet],
            }
        ) from exc
    except TransitionConflict as exc:
        raise Conflict({"detail": exc.message, "current_state": exc.current_state}) from exc


class ModelPermission(permissions.IsAuthenticated):
    """The role's model permission opens the endpoint (403 before any lookup): view for
    reads and for transitions (the service decides those per object), add for create."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        opts = view.model._meta
        needed = [f"{opts.app_label}.view_{opts.model_name}"]
        if getattr(view, "action", None) == "create":
            needed.append(f"{opts.app_label}.add_{opts.model_name}")
        return request.user.has_perms(needed)


class Page(PageNumberPagination):
    page_size = 50
    max_page_size = 200
    page_size_query_param = "page_size"


ERRORS = {
    400: OpenApiResponse(description="Invalid input: errors by field."),
    403: OpenApiResponse(s.ErrorSerializer, description="You may not."),
    404: OpenApiResponse(s.ErrorSerializer, description="Not found or not visible to you."),
    409: OpenApiResponse(s.ConflictSerializer, description="Wrong state or unmet condition."),
}


def _name_parameter(names: tuple[str, ...]) -> OpenApiParameter:
    return OpenApiParameter(
        "name", str, OpenApiParameter.PATH, enum=list(names), description="The transition."
    )


class RecordViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    model: Any = None
    transition_names: tuple[str, ...] = ()
    permission_classes = [ModelPermission]
    pagination_class = Page

    def selector(self, user: Any) -> Any:
        raise NotImplementedError

    def get_queryset(self) -> Any:
        return self.selector(self.request.user).order_by("-id")

    def run_transition(self, obj: Any, name: str, data: dict) -> Any:
        raise NotImplementedError

    def _transitions(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        names = services.available_transitions(
            record=obj, user=request.user, names=self.transition_names
        )
        data = [
            {
                "name": n,
                "label": transition_label(obj, n),
                "fields": s.describe_fields(transition_fields(obj, n)),
            }
            for n in names
        ]
        return Response(s.AvailableTransitionSerializer(data, many=True).data)

    def _transition(self, request: Request, pk: Any = None, name: str = "") -> Response:
        obj = self.get_object()
        if name not in self.transition_names:
            raise exceptions.NotFound("No such transition.")
        ser = s.input_serializer(transition_fields(obj, name))(data=request.data)
        ser.is_valid(raise_exception=True)
        data = {k: v for k, v in ser.validated_data.items() if v is not None}
        result = call(lambda: self.run_transition(obj, name, data))
        return Response(self.get_serializer(result).data)


def _transition_actions(names: tuple[str, ...], serializer: Any) -> tuple[Any, Any]:
    """The two transition endpoints of a viewset, documented for its transitions."""

    @extend_schema(
        summary="Transitions you may make now",
        responses={200: s.AvailableTransitionSerializer(many=True), 404: ERRORS[404]},
    )
    @action(detail=True, methods=["get"], url_path="transitions", url_name="transitions")
    def transitions(self: RecordViewSet, request: Request, pk: Any = None) -> Response:
        return self._transitions(request, pk)

    @extend_schema(
        summary="Make a transition",
        parameters=[_name_parameter(names)],
        request=s.TransitionInputSerializer,
        responses={200: serializer, **ERRORS},
    )
    @action(
        detail=True,
        methods=["post"],
        url_path=r"transitions/(?P<name>[a-z_]+)",
        url_name="transition",
    )
    def transition(
        self: RecordViewSet, request: Request, pk: Any = None, name: str = ""
    ) -> Response:
        return self._transition(request, pk, name)

    return transitions, transition


# --- Work permits ---------------------------------------------------------------------------


class WorkPermitViewSet(RecordViewSet):
    """Temporary work permits for asylum seekers (Immigration Act § 94)."""

    model = WorkPermit
    queryset = WorkPermit.objects.none()
    serializer_class = s.WorkPermitSerializer
    transition_names = WORK_PERMIT_TRANSITIONS
    filterset_fields = ("state", "interview_waiver_group")
    transitions, transition = _transition_actions(WORK_PERMIT_TRANSITIONS, s.WorkPermitSerializer)

    def selector(self, user: Any) -> Any:
        return selectors.work_permits_visible_to(user).prefetch_related("periods")

    def run_transition(self, obj: Any, name: str, data: dict) -> Any:
        return services.work_permit_transition(
            actor=self.request.user, permit=obj, name=name, **data
        )

    @extend_schema(
        request=s.WorkPermitCreateSerializer,
        responses={201: s.WorkPermitSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        """Register a request; a collective-protection applicant is told they need none."""
        ser = s.WorkPermitCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        canonical = parse_reference(data["case_reference"])
        application = get_object_or_404(
            applications_visible_to(request.user, Application.objects.select_related("person")),
            reference=canonical or "-",
        )
        permit = call(
            lambda: services.work_permit_request(
                actor=request.user,
                application=application,
                requested_on=data["requested_on"],
                interview_waiver_group=data["interview_waiver_group"],
            )
        )
        return Response(s.WorkPermitSerializer(permit).data, status=status.HTTP_201_CREATED)


# --- Family reunification -------------------------------------------------------------------


class FamilyReunificationViewSet(RecordViewSet):
    """Family members' applications to join a sponsor, with the income rule that applies."""

    model = FamilyReunification
    queryset = FamilyReunification.objects.none()
    serializer_class = s.FamilyReunificationSerializer
    transition_names = FAMILY_TRANSITIONS
    filterset_fields = ("state", "relation", "income_rule", "sponsor_basis")
    transitions, transition = _transition_actions(
        FAMILY_TRANSITIONS, s.FamilyReunificationSerializer
    )

    def selector(self, user: Any) -> Any:
        return selectors.family_reunifications_visible_to(user)

    def run_transition(self, obj: Any, name: str, data: dict) -> Any:
        return services.family_transition(
            actor=self.request.user, reunification=obj, name=name, **data
        )

    @extend_schema(
        request=s.FamilyReunificationCreateSerializer,
        responses={201: s.FamilyReunificationSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        ser = s.FamilyReunificationCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        people = {
            p.registration_number: p
            for p in Person.objects.filter(
                registration_number__in=[
                    data["sponsor_registration_number"],
                    data["applicant_registration_number"],
                ]
            )
        }
        errors = {
            f: ["No person with this registration number."]
            for f in ("sponsor_registration_number", "applicant_registration_number")
            if data[f] not in people
        }
        sponsor_application = None
        if data["sponsor_case_reference"]:
            canonical = parse_reference(data["sponsor_case_reference"])
            sponsor_application = Application.objects.filter(reference=canonical or "-").first()
            if sponsor_application is None:
                errors["sponsor_case_reference"] = ["No case with this reference."]
        if errors:
            raise exceptions.ValidationError(errors)
        record = call(
            lambda: services.family_register(
                actor=request.user,
                sponsor=people[data["sponsor_registration_number"]],
                applicant=people[data["applicant_registration_number"]],
                relation=data["relation"],
                sponsor_basis=data["sponsor_basis"],
                sponsor_application=sponsor_application,
                sponsor_arrived_on=data["sponsor_arrived_on"],
                relationship_since=data["relationship_since"],
                exception_reason=data["exception_reason"],
                registered_on=data["registered_on"],
            )
        )
        return Response(
            s.FamilyReunificationSerializer(record).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Record that the documents were handed in",
        request=s.DocumentsSerializer,
        responses={200: s.FamilyReunificationSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def documents(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.DocumentsSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        record = call(
            lambda: services.family_record_documents(
                actor=request.user,
                reunification=obj,
                handed_in_on=ser.validated_data["handed_in_on"],
            )
        )
        return Response(s.FamilyReunificationSerializer(record).data)


# --- Introduction programme -----------------------------------------------------------------


class ProgrammeViewSet(RecordViewSet):
    """Introduction programmes, for the integration officers of the municipality."""

    model = IntroductionProgramme
    queryset = IntroductionProgramme.objects.none()
    serializer_class = s.ProgrammeSerializer
    transition_names = PROGRAMME_TRANSITIONS
    filterset_fields = ("state", "collective_protection", "outcome")
    transitions, transition = _transition_actions(PROGRAMME_TRANSITIONS, s.ProgrammeSerializer)

    def selector(self, user: Any) -> Any:
        return selectors.programmes_visible_to(user).prefetch_related("elements", "norwegian_tests")

    def run_transition(self, obj: Any, name: str, data: dict) -> Any:
        return services.programme_transition(
            actor=self.request.user, programme=obj, name=name, **data
        )

    @extend_schema(
        request=s.ProgrammeCreateSerializer,
        responses={201: s.ProgrammeSerializer, **ERRORS},
    )
    def create(self, request: Request) -> Response:
        """Enrol a settled person; refused with every reason (409 ``unmet``) if they have no
        right to the programme (age 18–55 at settlement, qualifying permit, under 2 years)."""
        ser = s.ProgrammeCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        settlement = get_object_or_404(
            selectors.settlements_for_enrolment(request.user), pk=data["settlement"]
        )
        programme = call(
            lambda: services.programme_enrol(
                actor=request.user,
                settlement=settlement,
                start_on=data["start_on"],
                planned_end_on=data["planned_end_on"],
            )
        )
        return Response(s.ProgrammeSerializer(programme).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Add an element with its weekly hours (answers with the plan's warnings)",
        request=s.ElementCreateSerializer,
        responses={201: s.ElementAddedSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"])
    def elements(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.ElementCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        element, warnings = call(
            lambda: services.programme_add_element(
                actor=request.user, programme=obj, **ser.validated_data
            )
        )
        body = {"element": s.ElementSerializer(element).data, "warnings": warnings}
        return Response(body, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Record a Norwegian test (CEFR A1–C1)",
        request=s.NorwegianTestSerializer,
        responses={201: s.NorwegianTestSerializer, **ERRORS},
    )
    @action(detail=True, methods=["post"], url_path="norwegian-tests")
    def norwegian_tests(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.NorwegianTestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        test = call(
            lambda: services.programme_record_test(
                actor=request.user, programme=obj, **ser.validated_data
            )
        )
        return Response(s.NorwegianTestSerializer(test).data, status=status.HTTP_201_CREATED)
