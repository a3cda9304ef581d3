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
    # The appeal lodged with the Directorate, which prepares it and may reverse its own
    # decision (Immigration Act § 76, Public Administration Act § 33; the numbers are not in
    # the reference notes [U], the path is) before sending it on.
    UNDER_REVIEW = "under_review", _("under the Directorate's review of the appeal")
    # At the appeals board: forwarded by the Directorate (and every appeal lodged before the
    # Directorate's review was recorded, which went straight to the board).
    APPEALED = "appealed", _("appealed")
    WITHDRAWN = "withdrawn", _("withdrawn")
    # Put on hold (berostilt) from one of the states before it, to which it goes back.
    ON_HOLD = "on_hold", _("on hold")


# The states a case can be put on hold from (and goes back to).
HOLDABLE_STATES = (State.SUBMITTED, State.EXAMINED, State.UNDER_REVIEW, State.APPEALED)


OPEN_STATES = (*HOLDABLE_STATES, State.ON_HOLD)


class Instance(models.TextChoices):
    FIRST = "first", _("first instance")
    APPEAL = "appeal", _("appeal")
    # A decision reversing an earlier one (omgjøring): the Directorate's on reviewing an
    # appeal (Public Administration Act § 33 [U]), or on a request to reverse (§ 35 [U]).
    # Apart from the first instance, so that waiting times and first-instance tables count
    # each case once.
    REVERSAL = "reversal", _("reversal")


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
    # The Directorate reversed its own decision on reviewing the appeal (Public
    # Administration Act § 33 second paragraph [U]): the appeals board never had it.
    REVERSED = "reversed", _("reversed by the Directorate")
