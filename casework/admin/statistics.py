"""The statistics page in the admin: every published table, a chart for each, CSV downloads.

A staff user with ``casework.view_statistics`` sees it under Casework > Statistics. Every
role has it: these are the tables the authority publishes, counts and the names of countries,
outcomes, centres and places, never a person (so no access is logged). Nothing here computes:
it reads the tables the refresh stored (``casework.statistics.selectors``, two queries) and
renders them, with the time they were computed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin
from casework.applications.choices import ApplicationKind
from casework.statistics import tables as statistics
from casework.statistics.charts import bar_chart
from casework.statistics.export import csv_response, statistics_params
from casework.statistics.models import Statistics
from casework.statistics.selectors import (
    Figures,
    published,
    published_figures,
    published_table,
)
from casework.statistics.tasks import refresh_soon


@admin.register(Statistics)
class StatisticsAdmin(FastListMixin, admin.ModelAdmin):
    """Not a list of rows: the changelist is the statistics page."""

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return request.user.has_perm("casework.view_statistics")

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.has_view_permission(request)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def changelist_view(self, request: HttpRequest, extra_context: dict | None = None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        statistics.discover()
        params = statistics_params(request.GET)
        wanted = request.GET.get("csv")
        if wanted:
            if wanted not in statistics.TABLES:
                raise Http404("No such table.")
            found = published_table(wanted, **params)
            if found is None:
                raise Http404("No figures for this table, year and kind yet.")
            return csv_response(found[0], params)
        state = published()
        if state.ready:
            figures = published_figures(**params)
        else:  # a system the refresh has not run on yet: say so, and ask for it
            figures = Figures(tables=[], computed_at=None)
            refresh_soon()
        query = "&".join(f"{k}={v}" for k, v in params.items())
        sections = []
        for table in figures.tables:
            chart = ""
            if table.chart:
                chart = bar_chart(
                    table.chart_rows,
                    label=table.chart["label"],
                    value=table.chart["value"],
                    title=str(table.title),
                )
            sections.append(
                {
                    "table": table,
                    "chart": chart,
                    "cells": [[row.get(c.key) for c in table.columns] for row in table.rows],
                    "csv": f"?csv={table.slug}" + (f"&{query}" if query else ""),
                }
            )
        context = {
            **self.admin_site.each_context(request),
            "title": _("Statistics"),
            "opts": self.model._meta,
            "sections": sections,
            "ready": state.ready,
            "years": state.years,
            "computed_at": figures.computed_at or state.computed_at,
            "kinds": ApplicationKind.choices,
            "params": params,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/casework/statistics.html", context)
