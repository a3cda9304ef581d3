"""Bulk imports of arrivals (police registration) run in the background."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ImportJob(models.Model):
    """A bulk import of arrivals from a CSV file, run in the background, its progress kept here.

    The uploaded file holds personal data: it is stored under MEDIA_ROOT (private) and deleted
    when the import finishes. Errors name the line, the field and the reason, never the value.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("waiting to start")
        RUNNING = "running", _("running")
        DONE = "done", _("finished")
        FAILED = "failed", _("failed")

    file = models.FileField(upload_to="imports/", blank=True, verbose_name=_("file"))
    original_name = models.CharField(max_length=200, blank=True, verbose_name=_("original name"))
    status = models.CharField(
        max_length=8, choices=Status.choices, default=Status.PENDING, verbose_name=_("status")
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    started_at = models.DateTimeField(null=True, blank=True, verbose_name=_("started at"))
    finished_at = models.DateTimeField(null=True, blank=True, verbose_name=_("finished at"))
    total_rows = models.PositiveIntegerField(default=0, verbose_name=_("total rows"))
    processed_rows = models.PositiveIntegerField(default=0, verbose_name=_("processed rows"))
    created_count = models.PositiveIntegerField(default=0, verbose_name=_("created count"))
    skipped_count = models.PositiveIntegerField(
        default=0,
        help_text=_("Rows already imported (same external id)."),
        verbose_name=_("skipped count"),
    )
    error_count = models.PositiveIntegerField(default=0, verbose_name=_("error count"))
    errors = models.JSONField(default=list, blank=True, verbose_name=_("errors"))
    message = models.TextField(blank=True, verbose_name=_("message"))

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return _("import #%(n)s (%(status)s)") % {"n": self.pk, "status": self.get_status_display()}

    @property
    def percent(self) -> int:
        return int(100 * self.processed_rows / self.total_rows) if self.total_rows else 0
