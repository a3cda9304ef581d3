"""Enumerations of the resettlement quota and UNHCR's referrals."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ReferralState(models.TextChoices):
    """Where a UNHCR referral stands (``workflow.py``)."""

    REFERRED = "referred", _("referred by UNHCR")
    SELECTED = "selected", _("selected")
    NOT_SELECTED = "not_selected", _("not selected")
    ARRIVED = "arrived", _("arrived in Norway")
    WITHDRAWN = "withdrawn", _("withdrawn")


# A referral in these states holds a place of its quota year.
PLACE_STATES = (ReferralState.SELECTED, ReferralState.ARRIVED)


class Priority(models.TextChoices):
    """UNHCR's submission priority (Resettlement Handbook): emergency, departure within days;
    urgent, within about six weeks; normal, within about a year [S]."""

    NORMAL = "normal", _("normal")
    URGENT = "urgent", _("urgent")
    EMERGENCY = "emergency", _("emergency")


class SelectionMethod(models.TextChoices):
    """How the Directorate selects among the referred refugees: by a selection mission that
    interviews them where they are, or on the papers UNHCR sends (dossier)."""

    MISSION = "mission", _("selection mission")
    DOSSIER = "dossier", _("dossier (on the papers)")
