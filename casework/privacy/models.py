"""The access log: every staff read of personal data."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AccessLog(models.Model):
    """One row each time staff open, list, search, export or download personal data.

    Who, when, what (model and ids: one id for a page, a compact list for a list) and why
    (an optional purpose). GDPR art. 5(2) and 32: the authority must be able to show who has
    read an applicant's file. Append-only for everyone: ``save`` of an existing row raises,
    the admin offers no change or delete, and on PostgreSQL a trigger refuses UPDATE and
    DELETE on the table (migration ``0003_accesslog``). Written by ``casework.privacy.access``.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("opened")
        LIST = "list", _("listed")
        SEARCH = "search", _("searched")
        EXPORT = "export", _("exported")
        DOWNLOAD = "download", _("downloaded a document")

    at = models.DateTimeField(
        default=timezone.now, db_index=True, editable=False, verbose_name=_("at")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("user"),
    )
    action = models.CharField(max_length=8, choices=Action.choices, verbose_name=_("action"))
    model = models.CharField(max_length=64, help_text=_("app_label.model"), verbose_name=_("model"))
    object_id = models.BigIntegerField(null=True, blank=True, verbose_name=_("object id"))
    object_ids = models.JSONField(default=list, blank=True, verbose_name=_("object ids"))
    count = models.PositiveIntegerField(default=0, verbose_name=_("count"))
    query = models.CharField(
        max_length=200,
        blank=True,
        help_text=_("The shape of a search, never its words."),
        verbose_name=_("query"),
    )
    purpose = models.CharField(max_length=300, blank=True, verbose_name=_("purpose"))
    via = models.CharField(max_length=8, default="admin", verbose_name=_("via"))

    class Meta:
        verbose_name = _("access log")
        verbose_name_plural = _("access logs")
        ordering = ["-at", "-id"]
        indexes = [
            models.Index(fields=["model", "object_id", "at"]),
            # A member of staff's own reads, newest first: the log's list for everyone but
            # auditors (``casework.privacy.scopes``).
            models.Index(fields=["user", "at"], name="accesslog_user_at"),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.action} {self.model}"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise RuntimeError("The access log is append-only.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise RuntimeError("The access log is append-only.")
