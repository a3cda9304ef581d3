"""A model without a table that carries the permission to see the statistics."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Statistics(models.Model):
    """No table: it holds the permission to see the statistics page in the admin."""

    class Meta:
        managed = False
        default_permissions = ("view",)
        verbose_name = _("statistics")
        verbose_name_plural = _("statistics")

    def __str__(self) -> str:
        return str(self._meta.verbose_name)
