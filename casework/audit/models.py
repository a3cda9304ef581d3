"""The audit trail: one append-only, typed event for every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class AuditEvent(models.Model):
    """One row per change of a case: who, when, what, from which state to which, and why.

    Append-only: it is never updated or deleted, in code or in the admin.
    """

    application = models.ForeignKey(
        "casework.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
    )
    person = models.ForeignKey(
        "casework.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=timezone.now, db_index=True)
    action = models.CharField(max_length=48)
    source_state = models.CharField(max_length=16, blank=True)
    target_state = models.CharField(max_length=16, blank=True)
    reason = models.TextField(blank=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["application", "at"])]

    def __str__(self) -> str:
        return f"{self.action} {self.source_state}->{self.target_state}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")
