"""Enumerations of the lawyer scheme: duty lists, regions, why a lawyer is appointed."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DutyListKind(models.TextChoices):
    """The Directorate's on-call lists (UDI RS 2018-002): for the fast procedures, where a
    lawyer must be found within hours, and the ordinary regional list."""

    FORTY_EIGHT_HOURS = "48h", _("48-hour procedure")
    MANIFESTLY_UNFOUNDED = "unfounded", _("manifestly unfounded")
    REGIONAL = "regional", _("regional list")


class Region(models.TextChoices):
    """The regions the duty lists are kept for. A configurable default [unverified]: the
    circular speaks of regional lists without fixing them here."""

    EAST = "east", _("East")
    SOUTH = "south", _("South")
    WEST = "west", _("West")
    MID = "mid", _("Mid-Norway")
    NORTH = "north", _("North")


class AppointmentReason(models.TextChoices):
    """Why a lawyer acts for the applicant (Immigration Regulations § 17-18)."""

    AFTER_REJECTION = "rejection", _("after a rejection (free, without means testing)")
    UNACCOMPANIED_MINOR = "minor", _("unaccompanied minor, before the decision")
    EXCLUSION = "exclusion", _("exclusion considered (§ 31), before the decision")
    CHOSEN = "chosen", _("chosen by the applicant")


# Reasons that give a free lawyer (fritt rettsråd) paid by the state.
FREE_REASONS = (
    AppointmentReason.AFTER_REJECTION,
    AppointmentReason.UNACCOMPANIED_MINOR,
    AppointmentReason.EXCLUSION,
)
