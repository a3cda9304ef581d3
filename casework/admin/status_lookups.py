"""Admin for the status-page lookup log: read-only, for spotting people probing others' cases.

The log stores keyed hashes, not references: searching for a case reference hashes it the same
way, so an auditor can see every try at one case without the table ever holding it in clear.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin, ReplicaListMixin
from casework.status.models import StatusLookup
from casework.status.views import reference_hash, reference_key


class LanguageFilter(admin.SimpleListFilter):
    """The language the status page was read in, from the site's languages."""

    title = _("language")
    parameter_name = "language"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return [(code, name) for code, name in settings.LANGUAGES]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(language=value) if value else queryset


@admin.register(StatusLookup)
class StatusLookupAdmin(ReplicaListMixin, FastListMixin, admin.ModelAdmin):
    list_display = ("at", "outcome", "client_network", "short_reference_hash", "language")
    # The languages from settings and dates by fixed choices: neither reads the log for its
    # values (a date hierarchy or a list of the languages found would scan it on each view).
    list_filter = ("outcome", LanguageFilter, "at")
    search_fields = ("client_network",)
    search_help_text = _("A case reference (any spelling) or a client network such as 203.0.113.0")

    @admin.display(description=_("reference (keyed hash)"))
    def short_reference_hash(self, obj: StatusLookup) -> str:
        return obj.reference_hash[:12]

    def get_search_results(self, request, queryset, search_term):
        if search_term.strip():
            by_reference = queryset.filter(
                reference_hash=reference_hash(reference_key(search_term))
            )
            if by_reference.exists():
                return by_reference, False
        return super().get_search_results(request, queryset, search_term)

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
