"""The staff roles; each is a Django group whose permissions ``roles.py`` keeps in sync."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    """Staff roles. Each is a Django group created by a data migration."""

    CASEWORKER = "Caseworker", _("caseworker")
    DECISION_MAKER = "Decision-maker", _("decision-maker")
    APPEALS = "Appeals body", _("appeals body")
    REGISTRAR = "Police registration", _("police registration")
    RECEPTION = "Reception officer", _("reception officer")
    INTEGRATION = "Integration officer", _("integration officer")
    AUDITOR = "Auditor", _("auditor")
