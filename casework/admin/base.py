"""Admin building blocks shared by the apps: lists that stay fast at a million rows.

``CappedCountPaginator`` counts at most ``cap`` rows (``SELECT COUNT(*) FROM (… LIMIT n)``), so
a list page never scans the whole table to print "1,000,000 results"; beyond the cap it
says "more than 10,000". ``FastListMixin`` switches off the admin's second, unfiltered COUNT.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property


class CappedCountPaginator(Paginator):
    """A paginator whose count stops at ``cap`` + 1: page links up to the cap, no table scan."""

    cap = 10_000

    @cached_property
    def count(self) -> int:
        object_list = self.object_list
        if hasattr(object_list, "query"):
            return object_list[: self.cap + 1].count()
        return len(object_list)

    @property
    def capped(self) -> bool:
        return self.count > self.cap


class FastListMixin:
    """List pages with a bounded cost: capped count, no full count, a modest page size."""

    paginator = CappedCountPaginator
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # a count per filter option is a table scan each
    list_per_page = 50
    list_max_show_all = 200


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written only by services (audit, decisions): viewable, never editable here."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False
