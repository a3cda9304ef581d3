"""Enumerations of reception: centre types, operators, how a placement ended, resident status."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CentreKind(models.TextChoices):
    """UDI's types of reception facility (udi.no "Asylum reception centres: the various types").

    Unaccompanied minors under 15 are not in this list: child welfare (Bufetat) cares for them
    in its own care centres (omsorgssentre).
    """

    ARRIVAL = "arrival", _("national arrival centre")
    TRANSIT = "transit", _("transit centre")
    ORDINARY = "ordinary", _("ordinary reception centre")
    INTEGRATION = "integration", _("integration reception centre")
    MINORS = "minors", _("centre for unaccompanied minors aged 15-18")
    CUSTOMISED_CARE = "customised_care", _("customised care unit")


class OperatorKind(models.TextChoices):
    """UDI tenders the operation of centres to municipalities, non-profits and companies."""

    MUNICIPAL = "municipal", _("municipal")
    NON_PROFIT = "non_profit", _("non-profit")
    PRIVATE = "private", _("private")


class PlacementEnd(models.TextChoices):
    TRANSFER = "transfer", _("transferred to another centre")
    DISCHARGE = "discharge", _("discharged")


class DischargeReason(models.TextChoices):
    SETTLED = "settled", _("settled in a municipality")
    LIVES_PRIVATELY = "private", _("moved to a private address")
    DEPARTED = "departed", _("left Norway (return or transfer)")
    ABSCONDED = "absconded", _("whereabouts unknown")
    OTHER = "other", _("other reason")


class ResidentStatus(models.TextChoices):
    """UDI's statistics of residents in reception by where their case stands."""

    WAITING = "waiting", _("waiting for a decision")
    AWAITING_SETTLEMENT = "awaiting_settlement", _("granted, waiting for settlement")
    OBLIGED_TO_LEAVE = "obliged_to_leave", _("obliged to leave")
    OTHER = "other", _("other (no application on record)")
