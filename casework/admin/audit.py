"""The audit trail in the admin: read-only, scoped to the cases the reader may see, logged."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from casework.admin.base import (
    FastListMixin,
    ReadOnlyAdmin,
    ReplicaListMixin,
    ScopedAdminMixin,
    event_title,
)
from casework.audit.models import AuditEvent
from casework.core.replica import replica_alias
from casework.core.statements import distinct_values
from casework.privacy.access import AccessLoggedAdminMixin
from casework.transitions.services import state_label


class ActionFilter(admin.SimpleListFilter):
    """The actions found in the trail, each in words (``event_title``), not as its code; read
    by index probes (``distinct_values``), not by a scan of every event."""

    title = _("action")
    parameter_name = "action"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        actions = distinct_values(AuditEvent, "action", using=replica_alias())
        return sorted(((a, event_title(a)) for a in actions), key=lambda c: str(c[1]))

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(action=value) if value else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(
    ReplicaListMixin, AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, ReadOnlyAdmin
):
    """The append-only trail: read here, written only by services."""

    list_display = ("at", "what", "application", "actor", "from_state", "to_state")
    list_filter = (ActionFilter,)
    list_select_related = ("application", "actor")
    ordering = ("-at", "-id")
    search_fields = ("=application__reference",)

    # Words, not codes: the action as its transition (or title) says it, the states' labels.
    @admin.display(description=_("what"), ordering="action")
    def what(self, obj: AuditEvent) -> Any:
        return event_title(obj.action)

    @admin.display(description=_("from"))
    def from_state(self, obj: AuditEvent) -> Any:
        return state_label(obj.action, obj.source_state) or "–"

    @admin.display(description=_("to"))
    def to_state(self, obj: AuditEvent) -> Any:
        return state_label(obj.action, obj.target_state) or "–"
