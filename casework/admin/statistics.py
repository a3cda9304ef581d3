"""The statistics page in the admin: every published table, a chart for each, CSV downloads.

A staff user with ``casework.view_statistics`` sees it under Casework > Statistics. Every
role has it: these are the tables the authority publishes, counts and the names of countries,
outcomes, centres and places, never a person (so no access is logged). Nothing here computes:
it reads the tables the refresh stored (``casework.statistics.selectors``, two queries) and
renders them, with the time they were computed.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from django.template.loader import render_to_string
from django.template.response import TemplateResponse
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin
from casework.applications.choices import ApplicationKind
from casework.statistics import tables as statistics
from casework.statistics.charts import bar_chart
from casework.statistics.export import csv_response, statistics_params
from casework.statistics.models import Statistics
from casework.statistics.selectors import (
    Published,
    published,
    published_figures,
    published_table,
    statistics_language,
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
            tables_html, empty = _tables_html(state, params)
        else:  # a system the refresh has not run on yet: say so, and ask for it
            tables_html, empty = SafeString(""), True
            refresh_soon()
        context = {
            **self.admin_site.each_context(request),
            "title": _("Statistics"),
            "opts": self.model._meta,
            "tables_html": tables_html,
            "no_tables": empty,
            "ready": state.ready,
            "years": state.years,
            "computed_at": state.computed_at,
            "kinds": ApplicationKind.choices,
            "params": params,
            **(extra_context or {}),
        }
        return TemplateResponse(request, "admin/casework/statistics.html", context)


# The tables' HTML as last rendered, per (language, year, kind, version of the figures): the
# figures change only when the refresh replaces them (a new version), and rendering some
# 1,500 localised cells and 17 charts was two thirds of the page's time.
_RENDERED: OrderedDict[tuple[Any, ...], tuple[SafeString, bool]] = OrderedDict()
_RENDERED_MAX = 64  # (a page is ~60 kB: at most a few MB a process)


def _tables_html(state: Published, params: dict[str, Any]) -> tuple[SafeString, bool]:
    """The tables of one year and kind as HTML, and whether there are none; rendered once per
    version of the figures and language (``statistics_language``) in each process."""
    language = statistics_language()
    key = (language, get_language(), state.version, tuple(sorted(params.items())))
    cached = _RENDERED.get(key)
    if cached is not None:
        return cached
    figures = published_figures(**params, language=language)
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
    html = render_to_string("admin/casework/statistics_tables.html", {"sections": sections})
    rendered = (SafeString(html), not sections)  # nosec B308 B703: a template's escaped output
    _RENDERED[key] = rendered
    while len(_RENDERED) > _RENDERED_MAX:
        _RENDERED.popitem(last=False)
    return rendered
