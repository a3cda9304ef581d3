"""Reception endpoints: centres with occupancy, placements through the services, occupancy reports.

Thin: querysets are scoped by ``selectors``, writes call ``services``; refusals map to HTTP as
in casework (invalid input 400, not allowed 403, conflict such as a full centre 409). The
viewsets follow casework's API conventions (``casework.api.base.ApiViewSetMixin``: role
permissions, ETag and If-Match, Idempotency-Key) and log every read of residents' records
(``casework.privacy.access.AccessLoggedViewSetMixin``; the scopes are registered in ``apps.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any, cast

import django_filters
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError
from django.db.models import DateField, QuerySet, Value
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.serializers import BaseSerializer
from rest_framework.views import APIView

from casework.api.base import ApiViewSetMixin
from casework.api.filtersets import IdFilter, IsoDateFilter, StrictBooleanFilter
from casework.core.exceptions import TransitionConflict
from casework.privacy.access import AccessLoggedViewSetMixin

from .. import selectors, services
from ..choices import CentreKind, OperatorKind
from ..exceptions import CentreFull, QuotaExhausted
from ..models import Placement, ReceptionCentre, Settlement
from . import serializers as s


def run_service(call: Callable[[], Any]) -> Any:
    """Call a service; return its result, or the Response its refusal maps to."""
    try:
        return call()
    except DjangoPermissionDenied as exc:
        raise PermissionDenied(str(exc) or None) from exc
    except ValidationError as exc:
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    except TransitionConflict as exc:
        code = (
            "centre_full"
            if isinstance(exc, CentreFull)
            else "quota_exhausted"
            if isinstance(exc, QuotaExhausted)
            else "conflict"
        )
        return Response({"detail": exc.message, "code": code}, status=status.HTTP_409_CONFLICT)


class CentreFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=CentreKind.choices)
    operator_kind = django_filters.ChoiceFilter(choices=OperatorKind.choices)
    county = django_filters.CharFilter(field_name="county_now", label="County (today), by name")
    municipality = django_filters.CharFilter(field_name="municipality__number")
    has_free_beds = StrictBooleanFilter(method="filter_free")

    class Meta:
        model = ReceptionCentre
        fields = ["kind", "operator_kind", "county", "municipality", "has_free_beds"]

    def filter_free(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        return queryset.filter(free_beds__gt=0) if value else queryset.filter(free_beds__lte=0)


@extend_schema_view(
    list=extend_schema(summary="Reception centres with today's occupancy and free beds"),
    retrieve=extend_schema(summary="A reception centre with today's occupancy"),
    create=extend_schema(summary="Open a reception centre (staff with the right)"),
    update=extend_schema(summary="Change a reception centre"),
    partial_update=extend_schema(summary="Change a reception centre"),
)
class ReceptionCentreViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.CreateModelMixin,
    mixins.UpdateModelMixin,
    viewsets.GenericViewSet,
):
    """Centres the caller may see: a reception officer the centres they work for."""

    queryset = ReceptionCentre.objects.none()
    serializer_class = s.ReceptionCentreSerializer
    perms_by_method = {
        "GET": "reception.view_receptioncentre",
        "POST": "reception.add_receptioncentre",
        "PUT": "reception.change_receptioncentre",
        "PATCH": "reception.change_receptioncentre",
    }
    filterset_class = CentreFilter
    pagination_class = None  # a few hundred centres at most: one page

    # Writes go through the services, as the admin's do: the capacity is checked against the
    # residents under the centre's row lock and the change is audited with before and after.
    def perform_update(self, serializer: BaseSerializer[ReceptionCentre]) -> None:
        centre = cast(ReceptionCentre, serializer.instance)  # an update has its instance
        self.check_if_match(centre)
        centre = services.centre_update(
            actor=self.request.user, centre=centre, **serializer.validated_data
        )
        serializer.instance = self._annotated(ReceptionCentre.objects.filter(pk=centre.pk)).get()

    def get_queryset(self) -> QuerySet:
        return self._annotated(selectors.centres_visible_to(self.request.user))

    @staticmethod
    def _annotated(qs: QuerySet) -> QuerySet:
        today = timezone.localdate()
        return (
            selectors.centres_with_occupancy(qs.select_related("municipality"), on=today)
            .annotate(
                county_now=selectors.county_of_municipality_on(
                    "municipality_id", Value(today, output_field=DateField())
                )
            )
            .order_by("name")
        )

    # Re-read the saved centre with its occupancy for the response (the creator may hold the
    # model permission without working at the centre).
    def perform_create(self, serializer: BaseSerializer[ReceptionCentre]) -> None:
        centre = services.centre_create(actor=self.request.user, **serializer.validated_data)
        serializer.instance = self._annotated(ReceptionCentre.objects.filter(pk=centre.pk)).get()


class PlacementFilter(django_filters.FilterSet):
    centre = IdFilter(field_name="centre_id")
    open = StrictBooleanFilter(field_name="end", lookup_expr="isnull", label="Open")
    start_after = IsoDateFilter(field_name="start", lookup_expr="gte")
    start_before = IsoDateFilter(field_name="start", lookup_expr="lte")

    class Meta:
        model = Placement
        fields = ["centre", "open", "start_after", "start_before"]


@extend_schema_view(
    list=extend_schema(summary="Placements in the caller's centres"),
    retrieve=extend_schema(summary="A placement"),
)
class PlacementViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Placements; created, transferred and discharged only through the services.

    Transfer and discharge honour ``If-Match`` (the placement's ETag): an officer acting on a
    placement another officer has just moved gets 412, not a second move.
    """

    queryset = Placement.objects.none()
    serializer_class = s.PlacementSerializer
    perms_by_method = {"GET": "reception.view_placement", "POST": "reception.add_placement"}
    perms_by_action = {
        "transfer": "reception.change_placement",
        "discharge": "reception.change_placement",
    }
    filterset_class = PlacementFilter

    def get_queryset(self) -> QuerySet:
        return selectors.placements_visible_to(self.request.user).select_related(
            "person", "centre"
        )  # newest first by id: the shared cursor page (no COUNT, no OFFSET at any size)

    @extend_schema(
        summary="Place a person in a centre",
        request=s.PlacementCreateSerializer,
        responses={
            201: s.PlacementSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: s.ProblemSerializer,
        },
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.PlacementCreateSerializer, request)
        result = run_service(
            lambda: services.placement_create(
                actor=request.user,
                person=data["person"],
                centre=data["centre"],
                start=data.get("start"),
            )
        )
        return _created(result)

    @extend_schema(
        summary="Transfer the resident to another centre (reason required)",
        request=s.TransferSerializer,
        responses={
            201: s.PlacementSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: s.ProblemSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def transfer(self, request: Request, pk: str | None = None) -> Response:
        placement = self.get_object()
        data = _valid(s.TransferSerializer, request)
        self.check_if_match(placement)
        result = run_service(
            lambda: services.placement_transfer(
                actor=request.user,
                placement=placement,
                to_centre=data["to_centre"],
                reason=data["reason"],
                on=data.get("on"),
            )
        )
        return _created(result)

    @extend_schema(
        summary="Discharge the resident from reception",
        request=s.DischargeSerializer,
        responses={
            200: s.PlacementSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: s.ProblemSerializer,
        },
    )
    @action(detail=True, methods=["post"])
    def discharge(self, request: Request, pk: str | None = None) -> Response:
        placement = self.get_object()
        data = _valid(s.DischargeSerializer, request)
        self.check_if_match(placement)
        result = run_service(
            lambda: services.placement_discharge(
                actor=request.user, placement=placement, reason=data["reason"], on=data.get("on")
            )
        )
        if isinstance(result, Response):
            return result
        return self.respond(result)


def _valid(serializer_class: type, request: Request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


def _created(result: Any) -> Response:
    if isinstance(result, Response):
        return result
    return Response(s.PlacementSerializer(result).data, status=status.HTTP_201_CREATED)


@extend_schema_view(
    list=extend_schema(summary="Settlements (bosetting) the caller may see"),
    retrieve=extend_schema(summary="A settlement"),
)
class SettlementViewSet(
    AccessLoggedViewSetMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Settlements in municipalities; recorded only through the service (quota, deadline)."""

    queryset = Settlement.objects.none()
    serializer_class = s.SettlementSerializer
    perms_by_method = {"GET": "reception.view_settlement", "POST": "reception.add_settlement"}

    def get_queryset(self) -> QuerySet:
        return selectors.settlements_visible_to(self.request.user).select_related(
            "person", "municipality"
        )  # newest first by id: the shared cursor page

    @extend_schema(
        summary="Record a settlement (the person's accepted application, within the quota)",
        request=s.SettlementCreateSerializer,
        responses={
            201: s.SettlementSerializer,
            400: OpenApiTypes.OBJECT,
            403: OpenApiTypes.OBJECT,
            409: s.ProblemSerializer,
        },
    )
    def create(self, request: Request) -> Response:
        data = _valid(s.SettlementCreateSerializer, request)
        result = run_service(
            lambda: services.settlement_record(
                actor=request.user,
                application=data["application"],
                municipality=data["municipality"],
                settled_on=data.get("settled_on"),
            )
        )
        if isinstance(result, Response):
            return result
        return Response(s.SettlementSerializer(result).data, status=status.HTTP_201_CREATED)


class ReportPermission(permissions.BasePermission):
    """Occupancy figures: whoever may view centres (scoped to the centres they may see)."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return request.user.has_perm("reception.view_receptioncentre")


def _date_param(request: Request, name: str) -> dt.date | Response:
    raw = request.query_params.get(name)
    if not raw:
        return timezone.localdate()
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        return Response(
            {name: [_("Give a date as YYYY-MM-DD.")]}, status=status.HTTP_400_BAD_REQUEST
        )


class OccupancyView(APIView):
    """Residents on a day by centre (with free beds), county (as it was that day) and status."""

    permission_classes = [permissions.IsAuthenticated, ReportPermission]

    @extend_schema(
        summary="Occupancy on a day by centre, county and resident status",
        parameters=[
            OpenApiParameter("on", OpenApiTypes.DATE, description="Default: today."),
            OpenApiParameter(
                "county",
                OpenApiTypes.STR,
                description="County name; a county that did not exist that day (Viken in 2024) "
                "is answered with its successors and a note.",
            ),
        ],
        responses={200: s.OccupancyReportSerializer, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        on = _date_param(request, "on")
        if isinstance(on, Response):
            return on
        report = selectors.occupancy_report(
            on=on, user=request.user, county=request.query_params.get("county") or None
        )
        return Response(s.OccupancyReportSerializer(report).data)


class PlacementsByCountyView(APIView):
    """Placements started in a year by county, each counted in its county as it was then."""

    permission_classes = [permissions.IsAuthenticated, ReportPermission]

    @extend_schema(
        summary="Placements in a year by county (counties as they were then)",
        parameters=[
            OpenApiParameter("year", OpenApiTypes.INT, required=True),
            OpenApiParameter("county", OpenApiTypes.STR),
        ],
        responses={200: s.PlacementCountReportSerializer, 400: OpenApiTypes.OBJECT},
    )
    def get(self, request: Request) -> Response:
        raw = request.query_params.get("year", "")
        if not raw.isdigit() or not 1900 <= int(raw) <= 2100:
            return Response(
                {"year": [_("Give a year, e.g. 2024.")]}, status=status.HTTP_400_BAD_REQUEST
            )
        report = selectors.placements_by_county(
            year=int(raw), user=request.user, county=request.query_params.get("county") or None
        )
        return Response(s.PlacementCountReportSerializer(report).data)
