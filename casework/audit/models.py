"""The audit trail: one append-only, typed event for every change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models.fields.json import KeyTransform
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


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
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "casework.Person",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="events",
        verbose_name=_("person"),
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("actor"),
    )
    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("at"))
    action = models.CharField(max_length=48, verbose_name=_("action"))
    source_state = models.CharField(max_length=16, blank=True, verbose_name=_("source state"))
    target_state = models.CharField(max_length=16, blank=True, verbose_name=_("target state"))
    reason = models.TextField(blank=True, verbose_name=_("reason"))
    changes = models.JSONField(default=dict, blank=True, verbose_name=_("changes"))

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["application", "at"]),
            # The trail's action filter: its options read by index probes
            # (``casework.core.statements.distinct_values``) and one action's newest events.
            models.Index(fields=["action", "at"], name="auditevent_action_at"),
            # The events of a record that is not a case (a work permit, a family
            # reunification, a programme): its timeline and its erasure find them by
            # ``changes["subject"]``.
            models.Index(KeyTransform("subject", "changes"), name="auditevent_subject"),
        ]

    def __str__(self) -> str:
        return f"{self.action} {self.source_state}->{self.target_state}".strip()

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("Audit events are append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("Audit events are append-only.")
