"""Staff: the authority's units and what it knows of a staff user beyond Django's user."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from casework.staff.choices import StaffLanguage


class Unit(models.Model):
    """An office of the authority (e.g. a regional asylum unit); cases are routed to one."""

    code = models.SlugField(unique=True, verbose_name=_("code"))
    name = models.CharField(max_length=120, verbose_name=_("name"))

    class Meta:
        verbose_name = _("unit")
        verbose_name_plural = _("units")

    def __str__(self) -> str:
        return self.name


class StaffProfile(models.Model):
    """What the authority knows of a staff user beyond Django's user: their unit, language."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="staff_profile",
        verbose_name=_("user"),
    )
    unit = models.ForeignKey(
        Unit, null=True, blank=True, on_delete=models.SET_NULL, verbose_name=_("unit")
    )
    # The staff interface's language (``casework.staff.language``) and that of the user's
    # reminders; blank follows the browser's Accept-Language.
    language = models.CharField(
        _("language"),
        max_length=8,
        blank=True,
        default=StaffLanguage.BROWSER,
        choices=StaffLanguage.choices,
    )

    class Meta:
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self) -> str:
        return f"{self.user} ({self.unit or '-'})"
