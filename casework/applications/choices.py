"""Enumerations of applications: kinds, tracks, states, instances and outcomes.

Outcomes follow the authority's statistics: grant rate on the merits = the three positive
outcomes / (those + merits rejections + limited minor permits).
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


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
    Outcome.REJECTED,
    Outcome.MINOR_LIMITED,
    Outcome.DUBLIN,
    Outcome.SAFE_THIRD_COUNTRY,
)


class NotificationChannel(models.TextChoices):
    """How a decision reached the applicant or their lawyer (Public Administration Act § 27:
    in writing; rejections are usually handed over by the police or the appointed lawyer)."""

    DIGITAL = "digital", _("digital mailbox or e-mail")
    POLICE = "police", _("printed and handed over by the police")
    LAWYER = "lawyer", _("handed to the lawyer")
    IN_PERSON = "in_person", _("in person")
    # Cases decided before delivery was recorded on its own, and the appeals body's final
    # decision, whose notification is the act itself: notified when made.
    AT_DECISION = "at_decision", _("notified when the decision was made")


class AppealOutcome(models.TextChoices):
    GRANTED = "granted", _("granted")
    DISMISSED = "dismissed", _("dismissed")
    REMITTED = "remitted", _("sent back for new examination")
