"""The lawful life of an asylum application, in one file: every transition declared once.

States and transitions: submitted -> examined (the assigned caseworker opens the examination)
-> accepted | rejected (a decision-maker decides, once the interview is held, waived with a
reason, or not required for collective protection); rejected -> under review (the appeal is
lodged with the Directorate, within the appeal deadline or admitted late with a reason);
under review -> accepted (the Directorate reverses its own decision) | appealed (forwarded to
the appeals board); appealed -> accepted | rejected (final) | examined (remitted) by the
appeals body; submitted or examined -> withdrawn.

The Directorate's review (Immigration Act § 76 second paragraph [U], Public Administration
Act § 33 [U]): an appeal is lodged with the body that made the decision, which prepares it and
may reverse its decision itself (omgjøring) if it finds the appeal well founded; otherwise it
sends the case on to the appeals board (Utlendingsnemnda), which decides as before. The
reference notes confirm this path (lodged with the Directorate, which may reverse; otherwise
the board decides finally) but not the paragraph numbers: those marked [U] here and below are
to be checked against the legal text. Appeals
lodged before this review was recorded are in "appealed": at the appeals board, as they were.

Each transition's declaration (``casework.transitions.declaration.transition``) says who
may make it (an object permission asked with the case, so that a group grant alone never
passes the unit rule), its guards and their sentences, the input it takes, the rows it writes
(``records.py``), the deadlines it opens and closes, and its label. The methods are pure:
they check what only the case can tell and change it in memory; the generic transition
service locks, saves, audits and moves the deadlines.

On hold (berostilt): a case in any state before a final decision (submitted, examined, under
review, appealed) can be put on hold with a reason and a review date, and is taken off hold
back to exactly the state it left; the review date is a deadline that reminds the unit. The
Immigration Act § 34 allows an individual asylum application by a person with collective
protection to be put on hold for up to three years; the general practice of holding cases
(for example while the situation in a country of origin is unclear) is not checked here
against a legal text, so no legal limit is enforced beyond a review date ahead.

After a final rejection the applicant may ask for it to be reversed on new information
(omgjøringsbegjæring, Public Administration Act § 35 [U]): the request is recorded on the
rejected case, which stays rejected, and decided by the body whose rejection stands: granted
(a new decision, delivered like any other) or refused. The request does not stop the
departure deadline, nor a return (the case stays "rejected", so nothing that follows the
rejection changes).

Appeal deadlines (Public Administration Act § 29): 3 weeks from notification; 1 week when
the claim was found manifestly unfounded (the fast track; Immigration Act § 94 a); a request
to stay during a Dublin appeal within 48 hours.

Notification is the day the written decision reached the applicant or their lawyer, not the
day it was made: a decision is delivered afterwards (digital mailbox, the police, the lawyer,
in person) and that day is recorded by ``record_notification``, which sets the appeal
deadline. Until then the case waits for delivery and its caseworker is reminded to record it.
The appeals body's final decision is the exception: it is notified when made.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import (
    ACCEPT_OUTCOMES,
    HOLDABLE_STATES,
    REJECT_OUTCOMES,
    AppealOutcome,
    ApplicationKind,
    Instance,
    NotificationChannel,
    Outcome,
    State,
    Track,
)
from casework.applications.records import (
    DecidesAppeal,
    EndsEarlierPermits,
    GrantsPermit,
    RecordsAppeal,
    RecordsDecision,
    RecordsNotification,
    permit_rules,
)
from casework.core.exceptions import TransitionInvalid
from casework.deadlines.registry import (
    APPEAL,
    APPEAL_NOTICE,
    DECISION_NOTICE,
    DELIVERY,
    DELIVERY_RECORD_PERIOD,
    EVENT_WINDOW,
    EXAMINATION_TARGET,
    HOLD_REVIEW,
    QUEUE_NOTICE,
    QUEUE_NOTICE_PERIOD,
)
from casework.permits.choices import PermitType
from casework.transitions.declaration import (
    BACK,
    BOOLEAN,
    BOTH,
    CHOICE,
    DATE,
    DATETIME,
    INTEGER,
    LONG_TEXT,
    REASON,
    SAME,
    TEXT,
    TICKED,
    Input,
    closes,
    declarations,
    guard,
    opens,
    require,
    transition,
)

if TYPE_CHECKING:
    from casework.applications.models import Application

APPEAL_PERIOD = dt.timedelta(weeks=3)
APPEAL_PERIOD_MANIFESTLY_UNFOUNDED = dt.timedelta(weeks=1)
DUBLIN_STAY_REQUEST_PERIOD = dt.timedelta(hours=48)


def appeal_deadline_for(
    *, track: str, notified_at: dt.datetime, manifestly_unfounded: bool = False
) -> dt.datetime:
    """When the appeal period ends for a rejection notified at ``notified_at``.

    Periods counted in weeks end at the end of the same weekday (Public Administration Act
    § 30): notified on a Monday, the 3 weeks run to the end of the Monday three weeks on.
    The Dublin 48 hours run from the moment of notification.
    """
    if track == Track.DUBLIN:
        return notified_at + DUBLIN_STAY_REQUEST_PERIOD
    period = (
        APPEAL_PERIOD_MANIFESTLY_UNFOUNDED
        if manifestly_unfounded or track == Track.FAST
        else APPEAL_PERIOD
    )
    local = timezone.localtime(notified_at)
    last_day = local.date() + period
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=local.tzinfo)
    return end


@guard(_("A caseworker must be assigned before the examination starts."))
def has_assigned_caseworker(app: Any) -> bool:
    return app.assigned_to_id is not None


@guard(
    _(
        "The asylum interview must be held first, unless it is not required (collective "
        "protection) or waived with a recorded reason."
    )
)
def interview_requirement_met(app: Any) -> bool:
    return (
        app.kind == ApplicationKind.COLLECTIVE
        or app.interview_held_at is not None
        or bool(app.interview_waived_reason.strip())
    )


@guard(_("The appeals body has dismissed the appeal: the decision is final."))
def not_final(app: Any) -> bool:
    return not app.is_final


def delivery_pending(app: Any) -> bool:
    """Whether the case's decision is made but not yet recorded as delivered: the status page
    says it is being delivered, and no appeal deadline runs yet."""
    return (
        app.state in (State.ACCEPTED, State.REJECTED)
        and app.decided_at is not None
        and app.notified_at is None
    )


@guard(_("The delivery of this decision is already recorded."))
def awaits_delivery(app: Any) -> bool:
    return app.decided_at is not None and app.notified_at is None


# --- the inputs transitions take ------------------------------------------------------------


def _outcomes(outcomes: tuple[str, ...]) -> list[tuple[str, Any]]:
    return [(str(o), Outcome(o).label) for o in outcomes]


ACCEPT_OUTCOME = Input(
    "outcome", CHOICE, _("Outcome"), required=True, choices=_outcomes(ACCEPT_OUTCOMES)
)
REJECT_OUTCOME = ACCEPT_OUTCOME.but(choices=_outcomes(REJECT_OUTCOMES))
GROUNDS = Input(
    "grounds",
    LONG_TEXT,
    _("Grounds"),
    required=True,
    max_length=20000,
    help_text=_("The reasoning of the decision, as it will be notified to the applicant."),
    audit=REASON,
)
NOTIFIED_AT = Input(
    "notified_at",
    DATETIME,
    _("Delivered on"),
    required=True,
    help_text=_(
        "The day and time the written decision reached the applicant or their lawyer: the "
        "appeal deadline runs from it."
    ),
)
CHANNEL = Input(
    "channel",
    CHOICE,
    _("Delivered by"),
    required=True,
    choices=[
        (str(c), c.label) for c in NotificationChannel if c != NotificationChannel.AT_DECISION
    ],
)
RECEIPT = Input(
    "receipt",
    TEXT,
    _("Receipt of the channel"),
    max_length=200,
    default="",
    help_text=_("The digital mailbox's or e-mail receipt, or the police's reference."),
)
CONFIRMED_BY = Input(
    "confirmed_by",
    TEXT,
    _("Confirmed by (name and role)"),
    max_length=200,
    default="",
    help_text=_(
        "Who confirmed the delivery when there is no receipt: e.g. the lawyer, or the police "
        "officer who handed it over."
    ),
)
MANIFESTLY_UNFOUNDED = Input(
    "manifestly_unfounded",
    BOOLEAN,
    _("Manifestly unfounded (1-week appeal period)"),
    default=False,
)
ASSESSMENT = Input(
    "assessment",
    LONG_TEXT,
    _("The Directorate's assessment"),
    required=True,
    max_length=20000,
    help_text=_(
        "Why the Directorate upholds its decision after reading the appeal: sent to the "
        "appeals board with the case."
    ),
    audit=REASON,
)
REASON_INPUT = Input("reason", LONG_TEXT, _("Reason"), required=True, max_length=5000, audit=REASON)
LODGED_BY = Input(
    "lodged_by",
    TEXT,
    _("Lodged by"),
    max_length=120,
    default=lambda: gettext("the applicant"),
    help_text=_("The applicant, or their lawyer (name of the law firm)."),
)
LATE_REASON = Input(
    "late_reason",
    LONG_TEXT,
    _("Reason to admit a late appeal"),
    max_length=5000,
    default="",
    help_text=_("Only needed when the appeal deadline has passed."),
    audit=BOTH,
)
LODGED_AT = Input(
    "lodged_at",
    DATETIME,
    _("Lodged at"),
    default=timezone.now,
    help_text=_("When the appeal was lodged; empty: now."),
    in_admin=False,
)

# The permit the decision gives (``casework.permits.terms``): empty inputs take the defaults of
# the outcome; a choice outside the legal options is refused with the rule (``permit_rules``).
# The types a decision on an asylum application gives (family permits: the integration app).
DECISION_PERMIT_TYPES = tuple(t for t in PermitType if t != PermitType.FAMILY)
PERMIT_TYPE = Input(
    "permit_type",
    CHOICE,
    _("Permit type"),
    default="",
    choices=[(str(t), t.label) for t in DECISION_PERMIT_TYPES],
    help_text=_("Empty: the type the outcome gives."),
)
PERMIT_MONTHS = Input(
    "permit_months",
    INTEGER,
    _("Permit length (months)"),
    min_value=1,
    help_text=_(
        "Empty: 3 years, the normal length; 12 months when the identity needs further checks "
        "or for collective protection. A minor's limited permit runs until the 18th birthday."
    ),
)
IDENTITY_UNVERIFIED = Input(
    "identity_unverified",
    BOOLEAN,
    _("Identity needs further checks (a permit of 1 year or less)"),
    default=False,
    audit=TICKED,
)
PERMIT_GROUP = Input(
    "permit_group",
    TEXT,
    _("Group (collective protection)"),
    max_length=60,
    default="",
    help_text=_("The named group the permit is renewed with, e.g. Ukraine 2022."),
)
PERMIT_INPUTS = [PERMIT_TYPE, PERMIT_MONTHS, IDENTITY_UNVERIFIED]
HOLD_REASON = REASON_INPUT.but(
    help_text=_(
        "Why the case cannot go on now (e.g. the situation in the country of origin is "
        "unclear). Staff only: the applicant is told the case is on hold and the review date."
    )
)
REVIEW_ON = Input(
    "review_on",
    DATE,
    _("Review by"),
    required=True,
    help_text=_("The day the unit looks at the case again; it is reminded a week before."),
)
NEW_INFORMATION = Input(
    "new_information",
    LONG_TEXT,
    _("New information"),
    required=True,
    max_length=20000,
    help_text=_("What is new since the final decision, as the applicant or lawyer puts it."),
    audit=REASON,
)
REQUEST_LODGED_AT = LODGED_AT.but(help_text=_("When the request was lodged; empty: now."))

# A decided or withdrawn case is no longer examined, and no longer waits in the queue.
DECIDED = closes(EXAMINATION_TARGET.key, QUEUE_NOTICE.key)


def _appeal_due(app: Application, values: dict[str, Any]) -> dt.datetime | None:
    return app.appeal_deadline


def _delivery_due(app: Any, values: dict[str, Any]) -> dt.datetime:
    """The caseworker is reminded to record the delivery 14 days after the decision."""
    return (app.decided_at or timezone.now()) + DELIVERY_RECORD_PERIOD


# A decision that is delivered afterwards: its delivery is to be recorded.
AWAITS_DELIVERY = opens(DELIVERY.key, _delivery_due)


def _current_decision(app: Any) -> None:
    """The decision whose delivery is recorded: the case's latest (``record_notification``)."""
    app.current_decision = app.decisions.order_by("-decided_at", "-pk").first()


def delivery_rules(app: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A delivery is recorded as it happened: after the decision was made, not in the future,
    confirmed by the channel's receipt or by a named person."""
    errors: dict[str, Any] = {}
    at = values.get("notified_at")
    if isinstance(at, dt.datetime):
        if at > timezone.now() + dt.timedelta(minutes=5):
            errors["notified_at"] = _("A delivery cannot be recorded in the future.")
        elif app is not None and app.decided_at is not None and at < app.decided_at:
            errors["notified_at"] = _("The decision cannot have been delivered before it was made.")
    if not values.get("receipt") and not values.get("confirmed_by"):
        errors["confirmed_by"] = _(
            "Give the channel's receipt, or the name and role of who confirmed the delivery."
        )
    return errors


def _next_queue_notice(app: Any, values: dict[str, Any]) -> dt.datetime:
    return timezone.now() + QUEUE_NOTICE_PERIOD


def _tell_now(app: Any, values: dict[str, Any]) -> dt.datetime:
    """An event notice to the applicant, sent at once (``registry.event``)."""
    return timezone.now() + EVENT_WINDOW


# The applicant is told of every decision (where to get it; the appeal deadline when rejected).
TELL_DECISION = opens(DECISION_NOTICE.key, _tell_now)


def _review_due(app: Any, values: dict[str, Any]) -> dt.datetime | None:
    """The hold's review date, at the start of the working day (09:00, local time)."""
    day = app.hold_review_on
    if day is None:  # pragma: no cover - every hold has one
        return None
    return timezone.make_aware(dt.datetime.combine(day, dt.time(9)))


# A hold's review date is a deadline of the unit's; taken off hold, it is no longer due.
HOLD_REVIEWED = opens(HOLD_REVIEW.key, _review_due)


def review_date_rules(app: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A hold's review date lies ahead: a hold with no date to look at it again is not one."""
    day = values.get("review_on")
    if isinstance(day, dt.date) and day <= timezone.localdate():
        return {"review_on": _("The review date must be after today.")}
    return {}


@guard(_("The state the case left when it was put on hold is not recorded."))
def hold_recorded(app: Any) -> bool:
    return app.held_from in HOLDABLE_STATES


@guard(
    _(
        "Only a final rejection can be asked to be reversed: while the appeal deadline runs, "
        "the applicant appeals instead."
    )
)
def finally_rejected(app: Any) -> bool:
    """Final: the appeals board dismissed the appeal, or the appeal deadline passed unused
    (the rejection is then no longer appealable, Public Administration Act § 29)."""
    if app.is_final:
        return True
    return app.appeal_deadline is not None and app.appeal_deadline < timezone.now()


@guard(_("No request to reverse this decision is waiting for an answer."))
def reversal_request_pending(app: Any) -> bool:
    return app.reversal_requested_at is not None


def appeal_is_late(app: Any, lodged_at: dt.datetime) -> bool:
    """Whether an appeal lodged at ``lodged_at`` is late: after the appeal deadline (Public
    Administration Act § 31 admits a late appeal only for a reason). A reason typed for an
    appeal lodged in time changes nothing: in time is in time."""
    return bool(app.appeal_deadline and lodged_at > app.appeal_deadline)


def dublin_outcome_on_dublin_track(app: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A Dublin transfer is the outcome of a case in the Dublin procedure only (Immigration
    Act § 32, Immigration Regulations § 7-4): on any other track it is refused, never a quiet
    change of track; the case's track and its outcome stay consistent."""
    if values.get("outcome") == Outcome.DUBLIN and app is not None and app.track != Track.DUBLIN:
        return {
            "outcome": _(
                "A Dublin transfer is decided only on a case in the Dublin procedure, and this "
                "case is not: the outcome is refused. Choose another outcome."
            )
        }
    return {}


def _appeal_lateness(app: Any) -> dict[str, Any]:
    return {"late": appeal_is_late(app, app.appealed_at)}


class ApplicationWorkflow:
    """Transitions of ``casework.Application``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        state: str
        kind: str
        track: str
        decided_at: dt.datetime | None
        notified_at: dt.datetime | None
        appeal_deadline: dt.datetime | None
        appealed_at: dt.datetime | None
        is_final: bool
        person: Any
        held_from: str
        hold_reason: str
        hold_review_on: dt.date | None
        reversal_requested_at: dt.datetime | None

    @transition(
        source=State.SUBMITTED,
        target=State.EXAMINED,
        label=_("Start examination"),
        done=_("Examination started"),
        permission="casework.start_examination",
        guards=[has_assigned_caseworker],
        role="caseworker",
    )
    def start_examination(self) -> None:
        """The assigned caseworker opens the examination (interview and assessment)."""

    @transition(
        source=State.EXAMINED,
        target=State.ACCEPTED,
        label=_("Accept"),
        done=_("Decision: accepted"),
        permission="casework.decide_application",
        guards=[interview_requirement_met],
        inputs=[ACCEPT_OUTCOME, GROUNDS, *PERMIT_INPUTS, PERMIT_GROUP],
        validators=[permit_rules],
        writes=[RecordsDecision(Instance.FIRST)],
        effects=[EndsEarlierPermits(after_appeal_only=True), GrantsPermit()],
        deadlines=[*DECIDED, TELL_DECISION, AWAITS_DELIVERY],
        role="decision-maker",
    )
    def accept(self, *, outcome: str, grounds: str) -> None:
        """Grant protection or another permit at first instance (Immigration Act §§ 28, 38, 34),
        with the permit's type and length chosen within the legal options (Immigration
        Regulations § 10-13; ``casework.permits.terms``); the permit is recorded with the
        decision. The decision is delivered afterwards (``record_notification``)."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = None

    @transition(
        source=State.EXAMINED,
        target=State.REJECTED,
        label=_("Reject"),
        done=_("Decision: rejected"),
        permission="casework.decide_application",
        guards=[interview_requirement_met],
        inputs=[REJECT_OUTCOME, GROUNDS, MANIFESTLY_UNFOUNDED, IDENTITY_UNVERIFIED],
        validators=[permit_rules, dublin_outcome_on_dublin_track],
        writes=[RecordsDecision(Instance.FIRST)],
        effects=[EndsEarlierPermits(after_appeal_only=True), GrantsPermit()],
        deadlines=[*DECIDED, *closes(APPEAL.key), TELL_DECISION, AWAITS_DELIVERY],
        role="decision-maker",
    )
    def reject(self, *, outcome: str, grounds: str) -> None:
        """Refuse at first instance. The appeal deadline runs from notification (Public
        Administration Act § 29): it is set when the delivery is recorded
        (``record_notification``), not now."""
        self._check_outcome(outcome, REJECT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = None
        self.appeal_deadline = None

    @transition(
        source=[State.ACCEPTED, State.REJECTED],
        target=SAME,
        label=_("Record delivery"),
        done=_("Decision delivered"),
        permission="casework.record_notification",
        guards=[awaits_delivery],
        inputs=[NOTIFIED_AT, CHANNEL, RECEIPT, CONFIRMED_BY],
        validators=[delivery_rules],
        effects=[RecordsNotification()],
        deadlines=[*closes(DELIVERY.key), opens(APPEAL.key, _appeal_due)],
        audited_fields=("appeal_deadline",),
        prepare=_current_decision,
        role="caseworker",
    )
    def record_notification(self, *, notified_at: dt.datetime) -> None:
        """Record the day the decision reached the applicant or their lawyer (Public
        Administration Act § 29): a rejection's appeal deadline (or the Dublin 48 hours to ask
        to stay) runs from it, and so does the departure deadline after a final rejection."""
        self.notified_at = notified_at
        decision = getattr(self, "current_decision", None)
        if self.state == State.REJECTED and not self.is_final:
            self.appeal_deadline = appeal_deadline_for(
                track=self.track,
                notified_at=notified_at,
                manifestly_unfounded=bool(decision and decision.manifestly_unfounded),
            )

    @transition(
        source=State.REJECTED,
        target=State.UNDER_REVIEW,
        label=_("Lodge appeal"),
        done=_("Appeal lodged"),
        permission="casework.lodge_appeal",
        guards=[not_final],
        inputs=[LODGED_BY, LATE_REASON, LODGED_AT],
        writes=[RecordsAppeal()],
        # An appeal lodged shows the decision reached them: no reminder to record it any more.
        deadlines=[*closes(QUEUE_NOTICE.key, APPEAL.key, DELIVERY.key)],
        audited=_appeal_lateness,
        role="caseworker",
    )
    def appeal(self, *, lodged_at: dt.datetime, late_reason: str = "") -> None:
        """Lodge the applicant's (or lawyer's) appeal, within the deadline unless admitted late.

        It is lodged with the Directorate, which made the decision (Immigration Act § 76 [U],
        Public Administration Act § 32 [U]): the Directorate reviews it first
        (``reverse_on_review`` or ``forward_appeal``)."""
        if appeal_is_late(self, lodged_at) and not late_reason.strip():
            deadline = date_format(timezone.localtime(self.appeal_deadline), "DATETIME_FORMAT")
            raise TransitionInvalid(
                {
                    "late_reason": _(
                        "The appeal deadline passed on %(deadline)s. A late appeal is admitted "
                        "only with a recorded reason."
                    )
                    % {"deadline": deadline}
                }
            )
        self.appealed_at = lodged_at

    @transition(
        source=State.UNDER_REVIEW,
        target=State.ACCEPTED,
        label=_("Reverse the decision (Directorate)"),
        done=_("Decision reversed by the Directorate"),
        permission="casework.review_appeal",
        inputs=[ACCEPT_OUTCOME, GROUNDS, *PERMIT_INPUTS, PERMIT_GROUP],
        validators=[permit_rules],
        writes=[RecordsDecision(Instance.REVERSAL)],
        effects=[DecidesAppeal(AppealOutcome.REVERSED), EndsEarlierPermits(), GrantsPermit()],
        deadlines=[*DECIDED, TELL_DECISION, AWAITS_DELIVERY],
        role="decision-maker",
    )
    def reverse_on_review(self, *, outcome: str, grounds: str) -> None:
        """The Directorate finds the appeal well founded and reverses its own decision
        (omgjøring; Public Administration Act § 33 second paragraph [U], Immigration Act
        § 76 [U]):
        a new decision granting a permit, which is delivered and notified like any other
        (``record_notification``). The appeal ends here: the appeals board never gets it."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = None
        self.appeal_deadline = None

    @transition(
        source=State.UNDER_REVIEW,
        target=State.APPEALED,
        label=_("Forward to the appeals board"),
        done=_("Appeal forwarded to the appeals board"),
        permission="casework.review_appeal",
        inputs=[ASSESSMENT],
        deadlines=[opens(APPEAL_NOTICE.key, _tell_now)],
        role="decision-maker",
    )
    def forward_appeal(self, *, assessment: str) -> None:
        """The Directorate upholds its decision and sends the case, with its assessment of the
        appeal, to the appeals board (Public Administration Act § 33 fourth paragraph [U]); the
        applicant is told the board has it (``APPEAL_NOTICE``)."""
        require(assessment, "assessment", _("The Directorate's assessment"))

    @transition(
        source=State.APPEALED,
        target=State.ACCEPTED,
        label=_("Grant appeal"),
        done=_("Appeal granted"),
        permission="casework.decide_appeal",
        inputs=[ACCEPT_OUTCOME, GROUNDS, *PERMIT_INPUTS, PERMIT_GROUP],
        validators=[permit_rules],
        writes=[RecordsDecision(Instance.APPEAL)],
        effects=[DecidesAppeal(AppealOutcome.GRANTED), EndsEarlierPermits(), GrantsPermit()],
        deadlines=[*DECIDED, TELL_DECISION, AWAITS_DELIVERY],
        role="appeals body",
    )
    def grant_appeal(self, *, outcome: str, grounds: str) -> None:
        """The appeals body (UNE) reverses the rejection; the decision is delivered afterwards."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = None
        self.appeal_deadline = None

    @transition(
        source=State.APPEALED,
        target=State.REJECTED,
        label=_("Dismiss appeal"),
        done=_("Appeal dismissed (final)"),
        permission="casework.decide_appeal",
        inputs=[GROUNDS],
        writes=[RecordsDecision(Instance.APPEAL, outcome=Outcome.REJECTED, notified_now=True)],
        effects=[DecidesAppeal(AppealOutcome.DISMISSED)],
        deadlines=[*DECIDED, *closes(APPEAL.key, DELIVERY.key), TELL_DECISION],
        role="appeals body",
    )
    def dismiss_appeal(self, *, grounds: str) -> None:
        """The appeals body upholds the rejection. Final: no further administrative appeal.
        Its decision is notified when made (the departure deadline runs from it)."""
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = self.decided_at
        self.appeal_deadline = None
        self.is_final = True

    @transition(
        source=State.APPEALED,
        target=State.EXAMINED,
        label=_("Remit for new examination"),
        done=_("Sent back for new examination"),
        permission="casework.decide_appeal",
        inputs=[REASON_INPUT],
        effects=[DecidesAppeal(AppealOutcome.REMITTED)],
        deadlines=[opens(QUEUE_NOTICE.key, _next_queue_notice)],
        role="appeals body",
    )
    def remit(self, *, reason: str) -> None:
        """The appeals body sends the case back to first instance for a new examination."""
        require(reason, "reason", _("Reason"))
        self.appeal_deadline = None
        self.decided_at = None
        self.notified_at = None

    @transition(
        source=[State.SUBMITTED, State.EXAMINED],
        target=State.WITHDRAWN,
        label=_("Withdraw"),
        done=_("Withdrawn"),
        permission="casework.withdraw_application",
        inputs=[REASON_INPUT],
        writes=[RecordsDecision(Instance.FIRST, outcome=Outcome.WITHDRAWN)],
        effects=[EndsEarlierPermits(after_appeal_only=True)],
        deadlines=DECIDED,
        role="caseworker",
    )
    def withdraw(self, *, reason: str) -> None:
        """The applicant withdraws, or the case is dismissed (e.g. the applicant left)."""
        require(reason, "reason", _("Reason"))
        self.decided_at = timezone.now()

    @transition(
        source=[State.SUBMITTED, State.EXAMINED],
        target=SAME,
        label=_("Norway responsible: leave the Dublin track"),
        done=_("Norway is responsible: the application is examined on its merits"),
        permission=None,
        audited_fields=("track",),
        role="system",
    )
    def take_responsibility(self) -> None:
        """The Dublin transfer was not made in time (Dublin III art. 29(2)): Norway is
        responsible, and the case, not yet decided, continues on the normal track."""
        self._leave_dublin_track()

    @transition(
        source=[State.REJECTED, State.UNDER_REVIEW, State.APPEALED],
        target=State.EXAMINED,
        label=_("Norway responsible: examine on the merits"),
        done=_("Norway is responsible: the application is examined on its merits"),
        permission=None,
        deadlines=[
            *closes(APPEAL.key, DELIVERY.key),
            opens(QUEUE_NOTICE.key, _next_queue_notice),
        ],
        audited_fields=("track",),
        role="system",
    )
    def reopen_on_merits(self) -> None:
        """The Dublin decision can no longer be carried out (Dublin III art. 29(2)): Norway
        is responsible, and the application is examined again, on its merits. So too while
        the appeal of that decision is with the Directorate's review or the appeals board:
        the appeal is about a transfer that can no longer happen."""
        self._leave_dublin_track()
        self._forget_dublin_decision()

    @transition(
        source=State.ON_HOLD,
        target=SAME,
        label=_("Norway responsible: examine on the merits once off hold"),
        done=_(
            "Norway is responsible: the application is examined on its merits once taken off hold"
        ),
        permission=None,
        guards=[hold_recorded],
        deadlines=[*closes(APPEAL.key, DELIVERY.key)],
        audited_fields=("track", "held_from"),
        role="system",
    )
    def take_responsibility_on_hold(self) -> None:
        """The Dublin transfer period ended while the case was on hold (Dublin III art.
        29(2)): Norway is responsible all the same. The hold keeps its reason and review
        date; the case leaves the Dublin track now, and where it was held after the Dublin
        decision (under the Directorate's review of the appeal, or at the appeals board) that
        decision no longer stands, so taken off hold it goes to examination on the merits."""
        self._leave_dublin_track()
        if self.held_from in (State.UNDER_REVIEW, State.APPEALED):
            self._forget_dublin_decision()
            self.held_from = State.EXAMINED

    def _forget_dublin_decision(self) -> None:
        self.decided_at = None
        self.notified_at = None
        self.appeal_deadline = None
        self.is_final = False

    def _leave_dublin_track(self) -> None:
        if self.track != Track.DUBLIN:
            raise TransitionInvalid({"track": _("The case is not in the Dublin procedure.")})
        self.track = Track.NORMAL

    @transition(
        source=HOLDABLE_STATES,
        target=State.ON_HOLD,
        label=_("Put on hold"),
        done=_("Put on hold"),
        permission="casework.hold_application",
        inputs=[HOLD_REASON, REVIEW_ON],
        validators=[review_date_rules],
        deadlines=[HOLD_REVIEWED],
        audited_fields=("held_from",),
        role="caseworker, decision-maker or appeals body",
    )
    def put_on_hold(self, *, reason: str, review_on: dt.date) -> None:
        """Put the case on hold (berostillelse) until it can go on, with the reason and the
        day the unit looks at it again (Immigration Act § 34: an individual application by a
        holder of collective protection may be held for up to three years). Its other
        deadlines stay as they are: taken off hold, it is where it was."""
        require(reason, "reason", _("Reason"))
        self.held_from = self.state
        self.hold_reason = reason
        self.hold_review_on = review_on

    @transition(
        source=State.ON_HOLD,
        target=SAME,
        label=_("Change the review date"),
        done=_("Hold review date changed"),
        permission="casework.hold_application",
        guards=[hold_recorded],
        inputs=[REASON_INPUT, REVIEW_ON],
        validators=[review_date_rules],
        deadlines=[HOLD_REVIEWED],
        audited_fields=("hold_review_on",),
        role="caseworker, decision-maker or appeals body",
    )
    def move_hold_review(self, *, reason: str, review_on: dt.date) -> None:
        """The unit looked at the held case and keeps it on hold until a later review date."""
        require(reason, "reason", _("Reason"))
        self.hold_review_on = review_on

    @transition(
        source=State.ON_HOLD,
        target=BACK,
        returns_to=HOLDABLE_STATES,
        label=_("Take off hold"),
        done=_("Taken off hold"),
        permission="casework.hold_application",
        guards=[hold_recorded],
        inputs=[REASON_INPUT],
        deadlines=closes(HOLD_REVIEW.key),
        audited_fields=("held_from",),
        role="caseworker, decision-maker or appeals body",
    )
    def resume(self, *, reason: str) -> str:
        """The case goes on: back to exactly the state it left when it was put on hold."""
        require(reason, "reason", _("Reason"))
        back = self.held_from
        self.hold_review_on = None
        self.hold_reason = ""
        # ``held_from`` stays until the next hold: the audit event names where it went back.
        return back

    @transition(
        source=State.REJECTED,
        target=SAME,
        label=_("Lodge a request for reversal"),
        done=_("Request for reversal lodged"),
        permission="casework.lodge_reversal_request",
        guards=[finally_rejected],
        inputs=[NEW_INFORMATION, LODGED_BY, REQUEST_LODGED_AT],
        audited_fields=("reversal_requested_at",),
        role="caseworker",
    )
    def lodge_reversal_request(self, *, lodged_at: dt.datetime) -> None:
        """The applicant or their lawyer asks for the final rejection to be reversed on new
        information (omgjøringsbegjæring, Public Administration Act § 35 [U]). The case stays
        rejected: the request does not stop the departure deadline nor a return, and moves no
        deadline (domain: it "does not stop a forced return"). A second request while one is
        pending adds to it and keeps the first day."""
        if self.reversal_requested_at is None:
            self.reversal_requested_at = lodged_at

    @transition(
        source=State.REJECTED,
        target=State.ACCEPTED,
        label=_("Grant the request for reversal"),
        done=_("Decision reversed on request"),
        permission="casework.decide_reversal_request",
        guards=[reversal_request_pending],
        inputs=[ACCEPT_OUTCOME, GROUNDS, *PERMIT_INPUTS, PERMIT_GROUP],
        validators=[permit_rules],
        writes=[RecordsDecision(Instance.REVERSAL)],
        effects=[EndsEarlierPermits(), GrantsPermit()],
        deadlines=[*DECIDED, TELL_DECISION, AWAITS_DELIVERY],
        role="decision-maker or appeals body",
    )
    def grant_reversal_request(self, *, outcome: str, grounds: str) -> None:
        """The body whose rejection stands reverses it on the new information (Public
        Administration Act § 35 [U]): a new decision granting a permit, delivered like any other.
        The rejection no longer stands, so the case is no longer final."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.notified_at = None
        self.appeal_deadline = None
        self.is_final = False
        self.reversal_requested_at = None

    @transition(
        source=State.REJECTED,
        target=SAME,
        label=_("Refuse the request for reversal"),
        done=_("Request for reversal refused"),
        permission="casework.decide_reversal_request",
        guards=[reversal_request_pending],
        inputs=[GROUNDS],
        deadlines=[TELL_DECISION],
        role="decision-maker or appeals body",
    )
    def refuse_reversal_request(self, *, grounds: str) -> None:
        """The new information does not change the decision: the rejection stands, with its
        departure deadline as it was. The applicant is told (the decision notice); whether
        such a refusal can itself be appealed is not checked here against a legal text, so
        nothing is offered for it."""
        require(grounds, "grounds", _("Grounds"))
        self.reversal_requested_at = None

    def _assessed_adult(self) -> bool:
        """The latest age assessment (``casework.vulnerability``) found the person an adult:
        the limited permit of utlendingsforskriften § 8-8 is then not open to them."""
        latest = (
            self.person.age_assessments.order_by("-assessed_on", "-pk")
            .values_list("outcome", flat=True)
            .first()
        )
        return bool(latest == "adult")

    def _check_outcome(self, outcome: str, allowed: tuple[str, ...]) -> None:
        if outcome not in allowed:
            raise TransitionInvalid({"outcome": _("This outcome does not fit this decision.")})
        if outcome == Outcome.MINOR_LIMITED and self._assessed_adult():
            raise TransitionInvalid(
                {
                    "outcome": _(
                        "The limited permit until 18 is for unaccompanied minors; the age "
                        "assessment found this applicant an adult."
                    )
                }
            )
        if allowed is ACCEPT_OUTCOMES and (outcome == Outcome.COLLECTIVE) != (
            self.kind == ApplicationKind.COLLECTIVE
        ):
            raise TransitionInvalid(
                {
                    "outcome": _(
                        "Collective protection is the outcome for, and only for, "
                        "collective-protection applications."
                    )
                }
            )


TRANSITIONS = declarations(ApplicationWorkflow)
