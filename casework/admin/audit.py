"""The audit trail in the admin: read-only, scoped to the cases the reader may see, logged."""

from __future__ import annotations

from django.contrib import admin

from casework.admin.base import (
    FastListMixin,
    ReadOnlyAdmin,
    ScopedAdminMixin,
)
from casework.audit.models import AuditEvent
from casework.privacy.access import AccessLoggedAdminMixin


@admin.register(AuditEvent)
class AuditEventAdmin(AccessLoggedAdminMixin, ScopedAdminMixin, FastListMixin, ReadOnlyAdmin):
    """The append-only trail: read here, written only by services."""

    list_display = ("at", "action", "application", "actor", "source_state", "target_state")
    list_filter = ("action",)
    list_select_related = ("application", "actor")
    ordering = ("-at", "-id")
    search_fields = ("=application__reference",)
