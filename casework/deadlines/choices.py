"""Enumerations of reminders: their status and the channels that carry them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class Channel(models.TextChoices):
    """The built-in reminder channels; others register in ``casework.deadlines.channels`` (no
    choices on
    the model field, so a new channel needs no migration)."""

    EMAIL = "email", _("e-mail")
    ADMIN = "admin", _("admin panel")
