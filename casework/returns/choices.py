"""Enumerations of the return records."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReturnState(models.TextChoices):
    """Where a return stands (``workflow.py``). A record starts as obliged to leave: the
    rejection's departure deadline runs or has passed and the person has not left."""

    OBLIGED = "obliged", _("obliged to leave")
    APPLIED = "applied", _("assisted return applied for")
    GRANTED = "granted", _("assisted return granted")
    REFUSED = "refused", _("assisted return refused")
    TRAVELLED = "travelled", _("travelled (assisted return)")
    FORCED_REQUESTED = "forced_requested", _("forced return requested")
    FORCED_RETURNED = "forced_returned", _("forced return carried out")
    WHEREABOUTS_UNKNOWN = "unknown", _("whereabouts unknown")


# How a return ended: each closes the reception placement and lapses the work permit.
ENDINGS = (ReturnState.TRAVELLED, ReturnState.FORCED_RETURNED, ReturnState.WHEREABOUTS_UNKNOWN)
OPEN_STATES = tuple(s for s in ReturnState.values if s not in ENDINGS)


class ReturnType(models.TextChoices):
    """The kind of return the statistics count (UDI and the police publish returns by kind)."""

    ASSISTED = "assisted", _("assisted return")
    FORCED = "forced", _("forced return")
    UNKNOWN = "unknown", _("whereabouts unknown")


# The type each ending counts as.
TYPE_OF_ENDING = {
    ReturnState.TRAVELLED: ReturnType.ASSISTED,
    ReturnState.FORCED_RETURNED: ReturnType.FORCED,
    ReturnState.WHEREABOUTS_UNKNOWN: ReturnType.UNKNOWN,
}
