"""Admin for the status-page lookup log: read-only, for spotting people probing others' cases.

The log stores keyed hashes, not references: searching for a case reference hashes it the same
way, so an auditor can see every try at one case without the table ever holding it in clear.
"""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from casework.admin.base import ReplicaListMixin
from casework.status.models import StatusLookup
from casework.status.views import reference_hash, reference_key


@admin.register(StatusLookup)
class StatusLookupAdmin(ReplicaListMixin, admin.ModelAdmin):
    list_display = ("at", "outcome", "client_network", "short_reference_hash", "language")
    list_filter = ("outcome", "language", "at")
    search_fields = ("client_network",)
    search_help_text = _("A case reference (any spelling) or a client network such as 203.0.113.0")
    date_hierarchy = "at"
    show_full_result_count = False

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
