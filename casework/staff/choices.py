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
    INTERPRETER_COORDINATOR = "Interpreter coordinator", _("interpreter coordinator")


class StaffLanguage(models.TextChoices):
    """The languages of the staff interface, each named in itself; blank: the browser's.

    The applicants' status pages speak more languages (``settings.LANGUAGES``); the staff
    interface is written in English and translated into Norwegian bokmål only.
    """

    BROWSER = "", _("as my browser asks")
    NB = "nb", "Norsk bokmål"
    EN = "en", "English"


STAFF_LANGUAGE_CODES = tuple(code for code in StaffLanguage.values if code)
