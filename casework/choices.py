"""Enumerations of the casework domain, named as the authority's statistics name them."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class DatePrecision(models.TextChoices):
    """A birth date may be known only to the year (registered as 1 January of that year)."""

    DAY = "day", _("day")
    YEAR = "year", _("year only")


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("passport")
    NATIONAL_ID = "national_id", _("national identity card")
    BIRTH_CERTIFICATE = "birth_certificate", _("birth certificate")
    TRAVEL_DOCUMENT = "travel_document", _("travel document")
    OTHER = "other", _("other document")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("spouse or partner")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")


class ApplicationKind(models.TextChoices):
    PROTECTION = "protection", _("protection (asylum)")
    COLLECTIVE = "collective", _("collective temporary protection")
    RESETTLEMENT = "resettlement", _("resettlement (UNHCR quota)")


class Track(models.TextChoices):
    NORMAL = "normal", _("normal procedure")
    FAST = "fast", _("fast track")
    DUBLIN = "dublin", _("Dublin procedure")


class State(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    EXAMINED = "examined", _("under examination")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    APPEALED = "appealed", _("appealed")
    WITHDRAWN = "withdrawn", _("withdrawn")


OPEN_STATES = (State.SUBMITTED, State.EXAMINED, State.APPEALED)


class Instance(models.TextChoices):
    FIRST = "first", _("first instance")
    APPEAL = "appeal", _("appeal")


class Outcome(models.TextChoices):
    """Decision outcomes as the Directorate of Immigration counts them (UDI statistics)."""

    REFUGEE_CONVENTION = "refugee_convention", _("refugee status (Refugee Convention)")
    REFUGEE_OTHER = "refugee_other", _("refugee status (other protection)")
    HUMANITARIAN = "humanitarian", _("residence on humanitarian grounds")
    MINOR_LIMITED = "minor_limited", _("limited permit, unaccompanied minor")
    REJECTED = "rejected", _("rejected on the merits")
    DUBLIN = "dublin", _("Dublin transfer")
    SAFE_THIRD_COUNTRY = "safe_third_country", _("safe third country")
    WITHDRAWN = "withdrawn", _("withdrawn or dismissed")
    COLLECTIVE = "collective", _("collective protection")


# The three outcomes that count as positive "on the merits" (UDI's definition).
MERITS_POSITIVE = (Outcome.REFUGEE_CONVENTION, Outcome.REFUGEE_OTHER, Outcome.HUMANITARIAN)
MERITS_NEGATIVE = (Outcome.REJECTED, Outcome.MINOR_LIMITED)
POSITIVE = (*MERITS_POSITIVE, Outcome.COLLECTIVE)
ACCEPT_OUTCOMES = POSITIVE
REJECT_OUTCOMES = (
    Outcome.MINOR_LIMITED,
    Outcome.REJECTED,
    Outcome.DUBLIN,
    Outcome.SAFE_THIRD_COUNTRY,
)


class AppealOutcome(models.TextChoices):
    GRANTED = "granted", _("granted")
    DISMISSED = "dismissed", _("dismissed")
    REMITTED = "remitted", _("sent back for new examination")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("dismissed")


class ReminderStatus(models.TextChoices):
    PENDING = "pending", _("pending")
    SENDING = "sending", _("being sent")
    SENT = "sent", _("sent")
    FAILED = "failed", _("failed")
    CANCELLED = "cancelled", _("cancelled")


class Channel(models.TextChoices):
    """The built-in reminder channels; others register in ``casework.channels`` (no choices on
    the model field, so a new channel needs no migration)."""

    EMAIL = "email", _("e-mail")
    ADMIN = "admin", _("admin panel")


class Role(models.TextChoices):
    """Staff roles. Each is a Django group created by a data migration."""

    CASEWORKER = "Caseworker", _("caseworker")
    DECISION_MAKER = "Decision-maker", _("decision-maker")
    APPEALS = "Appeals body", _("appeals body")
    REGISTRAR = "Police registration", _("police registration")
    RECEPTION = "Reception officer", _("reception officer")
    INTEGRATION = "Integration officer", _("integration officer")
    AUDITOR = "Auditor", _("auditor")
