"""Enumerations of Dublin cases: the request's kind and legal ground, its states, the
answers, the transfer deadline's extensions and the request to stay during the appeal."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class RequestKind(models.TextChoices):
    """Take charge (the other state is responsible and has not examined the application) or
    take back (the person applied there, or their application is under examination there)."""

    TAKE_CHARGE = "take_charge", _("take charge")
    TAKE_BACK = "take_back", _("take back")


class LegalGround(models.TextChoices):
    """The criterion that makes the requested state responsible (Dublin III chapter III and
    art. 18(1); the AMMR's articles have other numbers for the same criteria)."""

    FAMILY = "art_8_11", _("family members there (art. 8–11)")
    RESIDENCE_DOCUMENT = "art_12", _("residence document or visa issued there (art. 12)")
    IRREGULAR_ENTRY = "art_13", _("irregular entry or stay there (art. 13)")
    VISA_WAIVED_ENTRY = "art_14", _("entry there without a visa requirement (art. 14)")
    DEPENDENT = "art_16", _("dependent person (art. 16)")
    DISCRETION = "art_17", _("discretionary clause (art. 17(2))")
    APPLICATION_PENDING = "art_18_1_b", _("application under examination there (art. 18(1)(b))")
    APPLICATION_WITHDRAWN = "art_18_1_c", _("application withdrawn there (art. 18(1)(c))")
    APPLICATION_REJECTED = "art_18_1_d", _("application rejected there (art. 18(1)(d))")


class RequestState(models.TextChoices):
    PREPARED = "prepared", _("to be sent")
    SENT = "sent", _("sent, awaiting the answer")
    REFUSED = "refused", _("refused")
    REEXAMINATION = "reexamination", _("re-examination requested")
    ACCEPTED = "accepted", _("accepted")
    TRANSFERRED = "transferred", _("transferred")
    LAPSED = "lapsed", _("transfer deadline passed: Norway responsible")


class TransferExtension(models.TextChoices):
    """Why the transfer deadline was extended (Dublin III art. 29(2))."""

    NONE = "", _("not extended")
    IMPRISONED = "imprisoned", _("imprisoned")
    ABSCONDED = "absconded", _("absconded")


class StayState(models.TextChoices):
    """The request to stay in Norway while the appeal is heard (suspensive effect)."""

    LODGED = "lodged", _("lodged, awaiting the appeals body")
    GRANTED = "granted", _("granted: stays during the appeal")
    REFUSED = "refused", _("refused: may be transferred")


# The states in which the requested state's answer is still awaited.
AWAITING_ANSWER = (RequestState.SENT, RequestState.REEXAMINATION)


# The states bound by the Dublin Regulation: the EU's member states and the four associated
# states (Norway takes part by agreement, so it is never the requested state).
DUBLIN_STATES = (
    "AT", "BE", "BG", "CH", "CY", "CZ", "DE", "DK", "EE", "ES", "FI", "FR", "GR", "HR",
    "HU", "IE", "IS", "IT", "LI", "LT", "LU", "LV", "MT", "NL", "PL", "PT", "RO", "SE",
    "SI", "SK",
)  # fmt: skip


# The extensions a person records (the model's blank "not extended" is the default only).
EXTENSION_CHOICES = [(str(c.value), c.label) for c in TransferExtension if c]
