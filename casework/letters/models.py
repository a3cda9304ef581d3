"""A letter to the applicant, and the record of the day it reached them.

A letter is written once: its facts (what the template was filled with) and its PDF are set
when it is created, its sending (channel, time, by whom) once, and after that nothing on it
changes (``Letter.save`` refuses, the service refuses, the admin offers no field). A mistake is
corrected by a new letter whose ``corrects`` names the old one; both stay, as both were sent.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.letters.choices import Channel, LetterKind


class LetterImmutable(Exception):
    """A sent letter was about to change: correct it with a new letter instead."""


def letter_upload_to(instance: Any, filename: str) -> str:
    """A name that says nothing about the person: the file lives under MEDIA_ROOT (private)."""
    import uuid

    return f"letters/{uuid.uuid4().hex}.pdf"


class Letter(models.Model):
    """One letter of a case, as rendered and (once sent) as sent."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="letters",
        verbose_name=_("application"),
    )
    kind = models.CharField(max_length=24, choices=LetterKind.choices, verbose_name=_("kind"))
    # The applicant's language beside the binding Norwegian text ("nb": Norwegian only).
    language = models.CharField(max_length=8, verbose_name=_("language"))
    # What the template was filled with (dates as ISO text), so the letter can be read back.
    facts = models.JSONField(default=dict, blank=True, verbose_name=_("facts"))
    pdf = models.FileField(upload_to=letter_upload_to, blank=True, verbose_name=_("PDF"))
    pdf_sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("PDF checksum"))
    corrects = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="corrections",
        verbose_name=_("corrects"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))
    channel = models.CharField(
        max_length=12, choices=Channel.choices, blank=True, verbose_name=_("sent by channel")
    )
    sent_at = models.DateTimeField(null=True, blank=True, verbose_name=_("sent at"))
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("sent by"),
    )

    class Meta:
        app_label = "casework"
        ordering = ["-created_at", "-id"]
        verbose_name = _("letter")
        verbose_name_plural = _("letters")
        indexes = [models.Index(fields=["application", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.created_at:%Y-%m-%d})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        """Refuse to write over a letter that was sent (whatever path tried it)."""
        if (
            self.pk is not None
            and type(self).objects.filter(pk=self.pk, sent_at__isnull=False).exists()
        ):
            raise LetterImmutable(str(_("A letter that was sent cannot be changed.")))
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise LetterImmutable(str(_("Letters are never deleted.")))

    @property
    def is_sent(self) -> bool:
        return self.sent_at is not None


class LetterDelivery(models.Model):
    """The day a sent letter reached the applicant or their lawyer (Public Administration Act
    § 29: the appeal deadline runs from it), from the channel's receipt or as staff confirmed."""

    letter = models.OneToOneField(
        Letter, on_delete=models.PROTECT, related_name="delivery", verbose_name=_("letter")
    )
    delivered_on = models.DateField(verbose_name=_("reached the applicant on"))
    channel = models.CharField(max_length=12, choices=Channel.choices, verbose_name=_("channel"))
    # Who confirmed it: the channel's receipt, the police officer, the lawyer.
    confirmed_by = models.CharField(max_length=200, verbose_name=_("confirmed by"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    recorded_at = models.DateTimeField(default=timezone.now, verbose_name=_("recorded at"))

    class Meta:
        app_label = "casework"
        verbose_name = _("letter delivery")
        verbose_name_plural = _("letter deliveries")

    def __str__(self) -> str:
        return f"{self.delivered_on:%Y-%m-%d}"
