"""``/api/v1/statistics/``: the published tables as JSON or CSV (read-only).

    GET /api/v1/statistics/                          the tables: slug, title, links
    GET /api/v1/statistics/<slug>/?year=2022&kind=protection        one table as JSON
    GET /api/v1/statistics/<slug>/?year=2022&format=csv             the same table as CSV

Tables hold counts, not people; any user with ``casework.view_statistics`` (every role)
may read them. They are read as the refresh stored them (``computed_at`` says when), the
same rows as the admin's statistics page; before the first refresh a table is a 503 with
``Retry-After``. A table's JSON is the one the refresh stored, sent as it is (with the request's
parameters and ``computed_at``), with an ``ETag`` (304 to a matching ``If-None-Match``).
"""

from __future__ import annotations

import hashlib
from typing import NoReturn

from django.http import HttpResponse
from django.urls import path, reverse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import APIException, NotFound
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from casework.api.base import _parse_tags
from casework.staff.roles import load_roles_and_permissions
from casework.statistics import tables as statistics
from casework.statistics.export import csv_response, statistics_params
from casework.statistics.selectors import (
    published,
    published_table,
    published_table_body,
)
from casework.statistics.tasks import refresh_soon


class CSVRenderer(BaseRenderer):
    """Lets ``?format=csv`` and ``Accept: text/csv`` choose CSV (the view writes the body)."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return data if isinstance(data, bytes | str) else b""


class FiguresNotReady(APIException):
    """Before the first refresh: the figures are being computed (a retry will find them)."""

    status_code = 503
    default_detail = "The figures are being computed; try again in a minute."
    default_code = "figures_not_ready"
    wait = 60  # DRF's handler sends it as Retry-After


class CanViewStatistics(BasePermission):
    def has_permission(self, request: Request, view: object) -> bool:
        # The user's roles and permissions in one query (Django's backend asks two).
        load_roles_and_permissions(request.user)
        return request.user.has_perm("casework.view_statistics")


PARAMS = [
    OpenApiParameter("year", OpenApiTypes.INT, description="Year (lodging or decision)."),
    OpenApiParameter("kind", OpenApiTypes.STR, description="protection, collective, resettlement"),
]


class StatisticsIndexView(APIView):
    permission_classes = [IsAuthenticated, CanViewStatistics]

    @extend_schema(
        operation_id="statistics_index",
        responses=OpenApiTypes.OBJECT,
        summary="The published statistics tables",
    )
    def get(self, request: Request) -> Response:
        statistics.discover()
        state = published()
        if not state.ready:
            refresh_soon()
        return Response(
            {
                "tables": [
                    {
                        "slug": slug,
                        "url": request.build_absolute_uri(
                            reverse("api-statistics-table", args=[slug])
                        ),
                    }
                    for slug in statistics.TABLES
                ],
                "years": state.years,
                "computed_at": state.computed_at,
            }
        )


class StatisticsTableView(APIView):
    permission_classes = [IsAuthenticated, CanViewStatistics]
    renderer_classes = [JSONRenderer, CSVRenderer]

    def handle_exception(self, exc: Exception) -> Response:
        # An error is JSON whatever format was asked for: a CSV client still reads why.
        self.request.accepted_renderer = JSONRenderer()
        self.request.accepted_media_type = JSONRenderer.media_type
        return super().handle_exception(exc)

    @extend_schema(
        operation_id="statistics_table",
        parameters=PARAMS,
        responses={(200, "application/json"): OpenApiTypes.OBJECT, (200, "text/csv"): str},
        summary="One table, as JSON or CSV",
    )
    def get(self, request: Request, slug: str):
        statistics.discover()
        if slug not in statistics.TABLES:
            raise NotFound("No such table.")
        params = statistics_params(request.query_params)
        renderer = request.accepted_renderer
        if renderer.format == "csv":
            found = published_table(slug, **params)
            if found is None:
                self._missing()
            return csv_response(found[0], params)
        stored = published_table_body(slug, **params)
        if stored is None:
            self._missing()
        body, computed_at = stored
        context = self.get_renderer_context()
        tail = {"parameters": params, "computed_at": computed_at}
        compact = isinstance(renderer, JSONRenderer) and (
            renderer.get_indent(request.accepted_media_type, context) is None
        )
        if body and compact:
            # The stored table's JSON and the request's own two keys, written as the renderer
            # writes the whole (compact: '{…}' + ',' + '"parameters":…}').
            content = body.encode()[:-1] + b"," + renderer.render(tail, None, context)[1:]
        else:  # stored before the refresh wrote bodies, or indented: encode it all
            found = published_table(slug, **params)
            if found is None:
                self._missing()
            data = {**found[0].as_dict(), **tail}
            content = renderer.render(data, request.accepted_media_type, context)
        etag = '"' + hashlib.sha256(content).hexdigest()[:32] + '"'
        if etag in _parse_tags(request.headers.get("If-None-Match", "")):
            return HttpResponse(status=304, headers={"ETag": etag})
        return HttpResponse(content, content_type=renderer.media_type, headers={"ETag": etag})

    def _missing(self) -> NoReturn:
        if not published().ready:
            refresh_soon()
            raise FiguresNotReady
        raise NotFound("No figures for this year and kind.")


urlpatterns = [
    path("statistics/", StatisticsIndexView.as_view(), name="api-statistics"),
    path("statistics/<slug:slug>/", StatisticsTableView.as_view(), name="api-statistics-table"),
]
