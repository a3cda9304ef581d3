"""Pagination of API lists (its own module: DRF imports it while importing its generics)."""

from rest_framework.pagination import CursorPagination


class CursorPage(CursorPagination):
    """Cursor pagination: constant cost per page at a million rows (no COUNT, no OFFSET)."""

    page_size = 25
    page_size_query_param = "page_size"
    max_page_size = 100
    ordering = "-id"


class ChronologicalPage(CursorPage):
    """Oldest first: a case's interviews, decisions and timeline read in the order they came."""

    ordering = "id"
