"""What both faces of the statistics (the admin page and the API) share: the year and kind
read from a query string, and a table as a CSV download."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse
from django.utils.text import slugify

from casework.applications.choices import ApplicationKind
from casework.statistics import tables as statistics


def statistics_params(query: Any) -> dict[str, Any]:
    """``year`` and ``kind`` from a query string; anything invalid is ignored, never a 500."""
    params: dict[str, Any] = {}
    year = (query.get("year") or "").strip()
    if year.isdigit() and 1990 <= int(year) <= 2100:
        params["year"] = int(year)
    kind = (query.get("kind") or "").strip()
    if kind in ApplicationKind.values:
        params["kind"] = kind
    return params


def csv_response(table: statistics.Table, params: dict[str, Any]) -> HttpResponse:
    suffix = "-".join(str(params[k]) for k in ("year", "kind") if k in params)
    name = slugify(f"{table.slug}-{suffix}" if suffix else table.slug)
    response = HttpResponse(table.as_csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.csv"'
    return response
