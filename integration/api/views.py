"""Integration endpoints: thin faces of ``integration.services``, on the API's shared conventions.

Every viewset follows ``casework.api.base.ApiViewSetMixin`` (role permissions before any
lookup, cursor pages without a COUNT, ``ETag`` on every object, ``If-Match`` on writes with
412 when stale, ``Idempotency-Key`` on POST) and ``TransitionsMixin``:

- ``GET  …/{id}/transitions/``: the transitions this user may make now, with their fields;
- ``POST …/{id}/transitions/{name}/``: one documented operation per transition. 400 field
  errors, 403 may not, 404 not visible, 409 wrong state, another user's change, or an unmet
  legal condition (``unmet`` names each one, e.g. the § 94 conditions).

Querysets are scoped by ``casework.privacy.scopes.visible_to`` (the rules are integration's
selectors,
registered in ``apps.py``), and every read is access-logged (``AccessLoggedViewSetMixin``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.shortcuts import get_object_or_404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import exceptions, mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
    TransitionsMixin,
    api_exception_handler,
)
from casework.api.filtersets import StrictOrderingFilter
from casework.core.exceptions import ConditionsUnmet
from casework.models import Application, Person
from casework.people.identity import parse_reference
from casework.privacy.access import AccessLoggedViewSetMixin
from casework.privacy.scopes import applications_visible_to
from casework.transitions.services import transitions_available

from .. import selectors, services
from ..models import FamilyReunification, IntroductionProgramme, WorkPermit
from . import filtersets as f
from . import serializers as s

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from casework.transitions.services import Workflow


def integration_exception_handler(exc: Exception, context: dict) -> Response | None:
    """The shared mapping, plus each unmet legal condition of a 409 (``unmet``: code, message),
    so a municipality's system can tell the applicant what is missing."""
    response = api_exception_handler(exc, context)
    if isinstance(exc, ConditionsUnmet) and response is not None:
        response.data["unmet"] = [u.as_dict() for u in exc.unmet]
    return response


def _list_and_detail(serializer: type) -> dict[str, Any]:
    return {
        "list": extend_schema(responses={200: serializer(many=True), **ERROR_RESPONSES}),
        "retrieve": extend_schema(responses={200: serializer, **ERROR_RESPONSES}),
    }


def _write(request: type, response: type, summary: str, code: int = 201) -> Any:
    return extend_schema(
        summary=summary,
        request=request,
        parameters=[IDEMPOTENCY_KEY, IF_MATCH] if code == 200 else [IDEMPOTENCY_KEY],
        responses={code: response, **WRITE_ERROR_RESPONSES},
    )


class RecordViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    TransitionsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """List, retrieve, create and transitions of one kind of integration record."""

    http_method_names = ["get", "post", "head", "options"]
    filter_backends = [DjangoFilterBackend, StrictOrderingFilter]
    # Every kind of record sets both.
    queryset: QuerySet[Any]
    workflow: Workflow[Any]

    def get_exception_handler(self) -> Any:
        return integration_exception_handler

    def available_transitions(self, obj: Any) -> list[str]:
        return transitions_available(workflow=self.workflow, record=obj, user=self.request.user)

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        fields = {k: v for k, v in data.items() if v is not None}
        record = self.run_transition(obj, name, fields)
        return self._reread(record)

    def run_transition(self, obj: Any, name: str, fields: dict) -> Any:
        raise NotImplementedError

    def _reread(self, record: Any) -> Any:
        """The record as the list and detail show it (joins and prefetches), after a write."""
        return self.queryset.get(pk=record.pk)


# --- Work permits ---------------------------------------------------------------------------


@extend_schema_view(**_list_and_detail(s.WorkPermitSerializer))
class WorkPermitViewSet(RecordViewSet):
    """Temporary work permits for asylum seekers (Immigration Act § 94)."""

    queryset = WorkPermit.objects.select_related("person", "application").prefetch_related(
        "periods"
    )
    serializer_class = s.WorkPermitSerializer
    perms_by_method = {"GET": "integration.view_workpermit", "POST": "integration.add_workpermit"}
    filterset_class = f.WorkPermitFilterSet
    ordering_fields = ["id", "requested_on"]
    workflow = services.WORK_PERMITS
    input_prefix = "WorkPermit"

    def run_transition(self, obj: Any, name: str, fields: dict) -> Any:
        return services.work_permit_transition(
            actor=self.request.user,
            permit=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )

    @_write(
        s.WorkPermitCreateSerializer,
        s.WorkPermitSerializer,
        "Register a request (the case's caseworker or the police)",
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
        permit = services.work_permit_request(
            actor=request.user,
            application=application,
            requested_on=data["requested_on"],
            interview_waiver_group=data["interview_waiver_group"],
        )
        return self.respond(self._reread(permit), status_code=status.HTTP_201_CREATED)


# --- Family reunification -------------------------------------------------------------------


@extend_schema_view(**_list_and_detail(s.FamilyReunificationSerializer))
class FamilyReunificationViewSet(RecordViewSet):
    """Family members' applications to join a sponsor, with the income rule that applies."""

    queryset = FamilyReunification.objects.select_related("sponsor", "applicant")
    serializer_class = s.FamilyReunificationSerializer
    perms_by_method = {
        "GET": "integration.view_familyreunification",
        "POST": "integration.add_familyreunification",
    }
    perms_by_action = {"documents": "integration.change_familyreunification"}
    filterset_class = f.FamilyReunificationFilterSet
    ordering_fields = ["id", "registered_on"]
    workflow = services.FAMILY
    input_prefix = "FamilyReunification"

    def run_transition(self, obj: Any, name: str, fields: dict) -> Any:
        return services.family_transition(
            actor=self.request.user,
            reunification=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )

    @_write(
        s.FamilyReunificationCreateSerializer,
        s.FamilyReunificationSerializer,
        "Register a family member's application",
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
            field: ["No person with this registration number."]
            for field in ("sponsor_registration_number", "applicant_registration_number")
            if data[field] not in people
        }
        sponsor_application = None
        if data["sponsor_case_reference"]:
            canonical = parse_reference(data["sponsor_case_reference"])
            sponsor_application = Application.objects.filter(reference=canonical or "-").first()
            if sponsor_application is None:
                errors["sponsor_case_reference"] = ["No case with this reference."]
        if errors:
            raise exceptions.ValidationError(errors)
        record = services.family_register(
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
        return self.respond(self._reread(record), status_code=status.HTTP_201_CREATED)

    @_write(
        s.DocumentsSerializer,
        s.FamilyReunificationSerializer,
        "Record that the documents were handed in (reassesses the income rule)",
        code=200,
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def documents(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.DocumentsSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        self.check_if_match(obj)
        record = services.family_record_documents(
            actor=request.user, reunification=obj, handed_in_on=ser.validated_data["handed_in_on"]
        )
        return self.respond(self._reread(record))


# --- Introduction programme -----------------------------------------------------------------


@extend_schema_view(**_list_and_detail(s.ProgrammeSerializer))
class ProgrammeViewSet(RecordViewSet):
    """Introduction programmes, for the integration officers of the municipality."""

    queryset = IntroductionProgramme.objects.select_related(
        "person", "municipality"
    ).prefetch_related("elements", "norwegian_tests")
    serializer_class = s.ProgrammeSerializer
    perms_by_method = {
        "GET": "integration.view_introductionprogramme",
        "POST": "integration.add_introductionprogramme",
    }
    perms_by_action = {
        "elements": "integration.add_programmeelement",
        "norwegian_tests": "integration.add_norwegiantest",
    }
    filterset_class = f.ProgrammeFilterSet
    ordering_fields = ["id", "start_on"]
    workflow = services.PROGRAMMES
    input_prefix = "IntroductionProgramme"

    def run_transition(self, obj: Any, name: str, fields: dict) -> Any:
        return services.programme_transition(
            actor=self.request.user,
            programme=obj,
            name=name,
            expected_version=self.expected_version(),
            **fields,
        )

    @_write(s.ProgrammeCreateSerializer, s.ProgrammeSerializer, "Enrol a settled person")
    def create(self, request: Request) -> Response:
        """Enrol a settled person; refused with every reason (409 ``unmet``) if they have no
        right to the programme (age 18–55 at settlement, qualifying permit, under 2 years)."""
        ser = s.ProgrammeCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        data = ser.validated_data
        settlement = get_object_or_404(
            selectors.settlements_for_enrolment(request.user), pk=data["settlement"]
        )
        programme = services.programme_enrol(
            actor=request.user,
            settlement=settlement,
            start_on=data["start_on"],
            planned_end_on=data["planned_end_on"],
        )
        return self.respond(self._reread(programme), status_code=status.HTTP_201_CREATED)

    @_write(
        s.ElementCreateSerializer,
        s.ElementAddedSerializer,
        "Add an element with its weekly hours (answers with the plan's warnings)",
    )
    @action(detail=True, methods=["post"], filter_backends=[], pagination_class=None)
    def elements(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.ElementCreateSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        element, warnings = services.programme_add_element(
            actor=request.user, programme=obj, **ser.validated_data
        )
        body = {"element": s.ElementSerializer(element).data, "warnings": warnings}
        return Response(body, status=status.HTTP_201_CREATED)

    @_write(
        s.NorwegianTestSerializer,
        s.NorwegianTestSerializer,
        "Record a Norwegian test (CEFR A1–C1)",
    )
    @action(
        detail=True,
        methods=["post"],
        url_path="norwegian-tests",
        filter_backends=[],
        pagination_class=None,
    )
    def norwegian_tests(self, request: Request, pk: Any = None) -> Response:
        obj = self.get_object()
        ser = s.NorwegianTestSerializer(data=request.data)
        ser.is_valid(raise_exception=True)
        test = services.programme_record_test(
            actor=request.user, programme=obj, **ser.validated_data
        )
        return Response(s.NorwegianTestSerializer(test).data, status=status.HTTP_201_CREATED)
