"""Pagination of API lists (its own module: DRF imports it while importing its generics)."""

from typing import Any

from rest_framework.exceptions import ValidationError
from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Cursor pagination: constant cost per page at a million rows (no COUNT, no OFFSET).

    ``page_size`` is a whole number from 1; above ``max_page_size`` it gives the largest page.
    Anything else (``page_size=lots``, ``0``, ``2.5``) is a 400: DRF would silently answer
    with the default size, and a client would never learn its parameter was ignored.
    """

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"

    def get_page_size(self, request: Any) -> int | None:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is not None and not (raw.isascii() and raw.isdigit() and int(raw) >= 1):
            raise ValidationError({self.page_size_query_param: ["A whole number from 1 to 100."]})
        return super().get_page_size(request)


class ChronologicalPage(CursorPage):
    """Oldest first: a case's interviews, decisions and timeline read in the order they came."""

    ordering = "id"
