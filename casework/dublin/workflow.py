"""The life of a Dublin request and of a request to stay during the appeal, in one file.

A request (``DublinRequest``): prepared (``services.dublin_request_prepare``: the day it must
be sent by) -> sent -> accepted | refused; refused -> re-examination requested -> accepted |
refused; sent -> accepted by silence (the system, once the reply period ended: Dublin III
art. 22(7), 25(2)); accepted -> transferred (the police) | lapsed (the system, once the
transfer period ended: art. 29(2), and Norway examines the application on its merits).
While accepted the transfer deadline may be extended (imprisonment, absconding), suspended
while the appeal has suspensive effect and restarted from the final decision on it.

A request to stay (``DublinStayRequest``): lodged (``services.dublin_stay_lodge``, within
the 48 hours) -> granted | refused by the appeals body.

Who: the Dublin unit, that is the caseworkers and decision-makers of the case's unit
(``casework.manage_dublin``); the transfer also the police (``casework.record_transfer``);
the request to stay the appeals body (``casework.decide_stay_request``). Every period comes
from the rule set of the case (``periods.py``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from casework.core.exceptions import TransitionConflict
from casework.dublin import deadlines
from casework.dublin.choices import (
    AWAITING_ANSWER,
    EXTENSION_CHOICES,
    RequestKind,
    RequestState,
    StayState,
    TransferExtension,
)
from casework.dublin.periods import REPLY, TRANSFER, end_of, period_of
from casework.dublin.records import MovesCaseToMerits, SuspendsTransfer
from casework.transitions.declaration import (
    CHOICE,
    DATETIME,
    LONG_TEXT,
    REASON,
    SAME,
    TEXT,
    Input,
    closes,
    declarations,
    guard,
    opens,
    require,
    transition,
)

if TYPE_CHECKING:
    from casework.dublin.models import DublinRuleSet

MANAGE = "casework.manage_dublin"
TRANSFERS = "casework.record_transfer"
DECIDE_STAY = "casework.decide_stay_request"
UNIT = "Dublin unit (caseworker, decision-maker of the case's unit)"

# Regulation (EC) No 1560/2003 art. 5(2): re-examination is asked within three weeks of the
# refusal. NOT VERIFIED: the project's notes do not cover it (``rulesets.py``).
REEXAMINATION_WINDOW = dt.timedelta(weeks=3)


def _when(moment: dt.datetime | None) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT") if moment else "-"


def reply_period(request: Any) -> str:
    """The reply period of ``request`` under its rule set: take charge 2 months (1 when
    urgent), take back 1 month (2 weeks after a Eurodac hit) under Dublin III."""
    qualifiers: list[str] = []
    if request.kind == RequestKind.TAKE_CHARGE and request.urgent:
        qualifiers.append("urgent")
    if request.eurodac_hit:
        qualifiers.append("eurodac")
    return period_of(request.rule_set, f"{REPLY}.{request.kind}", *qualifiers)


def transfer_due(rules: DublinRuleSet, start: dt.datetime, extension: str) -> dt.datetime:
    """The end of the transfer period from ``start``: 6 months, 1 year when imprisoned, 18
    months when absconded under Dublin III (art. 29(1)-(2))."""
    return end_of(start, period_of(rules, TRANSFER, *([extension] if extension else [])))


# --- guards -----------------------------------------------------------------------------------


@guard(
    _(
        "Re-examination must be asked within three weeks of the refusal (Regulation (EC) No "
        "1560/2003 art. 5(2))."
    )
)
def reexamination_in_time(request: Any) -> bool:
    return bool(
        request.answered_at and timezone.now() <= request.answered_at + REEXAMINATION_WINDOW
    )


@guard(
    _(
        "The transfer deadline has passed: Norway is responsible for the application and the "
        "transfer can no longer be made or extended (Dublin III art. 29(2))."
    )
)
def transfer_deadline_running(request: Any) -> bool:
    return request.transfer_due_at is None or timezone.now() <= request.transfer_due_at


@guard(
    _(
        "The appeals body let the applicant stay in Norway until the appeal is decided "
        "(suspensive effect): no transfer before then."
    )
)
def not_suspended(request: Any) -> bool:
    return not request.transfer_suspended


# --- inputs -------------------------------------------------------------------------------------

SENT_AT = Input(
    "sent_at",
    DATETIME,
    _("Sent at"),
    default=timezone.now,
    help_text=_("When the request went out through DubliNet; empty: now."),
)
ANSWERED_AT = Input(
    "answered_at",
    DATETIME,
    _("Answered at"),
    default=timezone.now,
    help_text=_("When the requested state's answer arrived; empty: now."),
)
THEIR_REFERENCE = Input("their_reference", TEXT, _("Their reference"), max_length=60, default="")
REFUSAL_REASON = Input(
    "reason",
    LONG_TEXT,
    _("Reason given"),
    required=True,
    max_length=5000,
    help_text=_("Why the requested state refused, as its answer says."),
    audit=REASON,
)
REEXAMINATION_REASON = REFUSAL_REASON.but(
    label=_("Why re-examination is asked"),
    help_text=_("The new facts or the error in the refusal."),
)
EXTENSION = Input(
    "extension",
    CHOICE,
    _("Extended because the person is"),
    required=True,
    choices=EXTENSION_CHOICES,
)
EXTENSION_NOTE = Input(
    "reason",
    LONG_TEXT,
    _("Note"),
    max_length=2000,
    default="",
    help_text=_("The prison, or when and how the absconding was found."),
    audit=REASON,
)
TRANSFERRED_AT = Input(
    "transferred_at",
    DATETIME,
    _("Transferred at"),
    default=timezone.now,
    help_text=_("When the police handed the person over; empty: now."),
)
POLICE_REFERENCE = Input(
    "police_reference", TEXT, _("Police reference"), required=True, max_length=60
)
FINAL_DECISION_AT = Input(
    "decided_at",
    DATETIME,
    _("Final decision on the appeal"),
    required=True,
)
STAY_GROUNDS = Input(
    "grounds",
    LONG_TEXT,
    _("Grounds"),
    required=True,
    max_length=5000,
    help_text=_("Why the applicant may, or may not, stay in Norway during the appeal."),
    audit=REASON,
)


def _not_future(name: str, label: Any) -> Any:
    def check(record: Any, values: dict[str, Any]) -> dict[str, Any]:
        at = values.get(name)
        if isinstance(at, dt.datetime) and at > timezone.now() + dt.timedelta(minutes=5):
            return {name: _("%(label)s cannot be in the future.") % {"label": label}}
        return {}

    return check


def sent_in_time(request: Any, values: dict[str, Any]) -> dict[str, Any]:
    """A request sent after its deadline binds nobody: the requesting state is responsible
    (Dublin III art. 21(1) third subparagraph, 23(3))."""
    errors: dict[str, Any] = _not_future("sent_at", _("Sent at"))(request, values)
    at = values.get("sent_at")
    if request is not None and isinstance(at, dt.datetime) and at > request.request_due_at:
        errors.setdefault(
            "sent_at",
            _(
                "The request had to be sent by %(due)s. Sent later, it binds no other state: "
                "Norway is responsible for the application."
            )
            % {"due": _when(request.request_due_at)},
        )
    return errors


def answered_after_sent(request: Any, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = _not_future("answered_at", _("Answered at"))(request, values)
    at = values.get("answered_at")
    if (
        request is not None
        and isinstance(at, dt.datetime)
        and request.sent_at
        and at < request.sent_at
    ):
        errors.setdefault("answered_at", _("The answer cannot come before the request was sent."))
    return errors


def transferred_in_time(request: Any, values: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, Any] = _not_future("transferred_at", _("Transferred at"))(request, values)
    at = values.get("transferred_at")
    if (
        request is not None
        and isinstance(at, dt.datetime)
        and request.transfer_due_at
        and at > request.transfer_due_at
    ):
        errors.setdefault(
            "transferred_at",
            _("The transfer deadline was %(due)s: a later transfer is not lawful.")
            % {"due": _when(request.transfer_due_at)},
        )
    return errors


def longer_extension(request: Any, values: dict[str, Any]) -> dict[str, Any]:
    """An extension only lengthens the period: imprisonment (1 year) may become absconding
    (18 months), never the other way, and never twice the same."""
    order: list[str] = [
        TransferExtension.NONE,
        TransferExtension.IMPRISONED,
        TransferExtension.ABSCONDED,
    ]
    wanted = values.get("extension")
    if request is None or wanted not in order:
        return {}
    if order.index(wanted) <= order.index(request.transfer_extension or ""):
        return {"extension": _("The transfer deadline is already extended as far as this.")}
    return {}


# --- deadlines ----------------------------------------------------------------------------------


def _reply_due(request: Any, values: dict[str, Any]) -> dt.datetime | None:
    return request.reply_due_at  # type: ignore[no-any-return]


def _transfer_due(request: Any, values: dict[str, Any]) -> dt.datetime | None:
    return request.transfer_due_at  # type: ignore[no-any-return]


REPLY_ENDS = closes(deadlines.REPLY.key)
TRANSFER_ENDS = closes(deadlines.TRANSFER.key)
TRANSFER_RUNS = opens(deadlines.TRANSFER.key, _transfer_due)


class RequestWorkflow:
    """Transitions of ``DublinRequest``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        kind: str
        urgent: bool
        eurodac_hit: bool
        rule_set: DublinRuleSet
        request_due_at: dt.datetime
        sent_at: dt.datetime | None
        reply_due_at: dt.datetime | None
        answered_at: dt.datetime | None
        implicit: bool
        reason: str
        their_reference: str
        transfer_from: dt.datetime | None
        transfer_extension: str
        transfer_suspended: bool
        transfer_due_at: dt.datetime | None
        transferred_at: dt.datetime | None
        police_reference: str
        lapsed_at: dt.datetime | None

    @transition(
        source=RequestState.PREPARED,
        target=RequestState.SENT,
        label=_("Send request"),
        done=_("Dublin request sent"),
        permission=MANAGE,
        inputs=[SENT_AT],
        validators=[sent_in_time],
        deadlines=[*closes(deadlines.REQUEST.key), opens(deadlines.REPLY.key, _reply_due)],
        audited_fields=("reply_due_at",),
        role=UNIT,
    )
    def send(self, *, sent_at: dt.datetime) -> None:
        """Send the request within its period (Dublin III art. 21(1), 23(2)); the reply
        period runs from it (art. 22(1), 25(1))."""
        self.sent_at = sent_at
        self.reply_due_at = end_of(sent_at, reply_period(self))

    @transition(
        source=list(AWAITING_ANSWER),
        target=RequestState.ACCEPTED,
        label=_("Record acceptance"),
        done=_("Dublin request accepted"),
        permission=MANAGE,
        inputs=[ANSWERED_AT, THEIR_REFERENCE],
        validators=[answered_after_sent],
        deadlines=[*REPLY_ENDS, TRANSFER_RUNS],
        audited_fields=("transfer_due_at",),
        role=UNIT,
    )
    def accept(self, *, answered_at: dt.datetime, their_reference: str = "") -> None:
        """The requested state accepts: the transfer period runs from its answer (art. 29(1))."""
        self.answered_at = answered_at
        self.their_reference = their_reference or self.their_reference
        self.transfer_from = answered_at
        self.transfer_due_at = transfer_due(self.rule_set, answered_at, self.transfer_extension)

    @transition(
        source=list(AWAITING_ANSWER),
        target=RequestState.REFUSED,
        label=_("Record refusal"),
        done=_("Dublin request refused"),
        permission=MANAGE,
        inputs=[ANSWERED_AT, REFUSAL_REASON],
        validators=[answered_after_sent],
        deadlines=REPLY_ENDS,
        role=UNIT,
    )
    def refuse(self, *, answered_at: dt.datetime, reason: str) -> None:
        """The requested state refuses, with its reasons (art. 22(1), 25(1))."""
        self.answered_at = answered_at
        self.reason = require(reason, "reason", _("Reason given"))

    @transition(
        source=RequestState.REFUSED,
        target=RequestState.REEXAMINATION,
        label=_("Ask for re-examination"),
        done=_("Re-examination of the Dublin request asked"),
        permission=MANAGE,
        guards=[reexamination_in_time],
        inputs=[REEXAMINATION_REASON],
        deadlines=[opens(deadlines.REPLY.key, _reply_due)],
        audited_fields=("reply_due_at",),
        role=UNIT,
    )
    def request_reexamination(self, *, reason: str) -> None:
        """Ask the requested state to look at its refusal again (Regulation (EC) No 1560/2003
        art. 5(2)): it answers within two weeks; its silence is not acceptance (CJEU C-47/17).
        Neither period is in the project's notes: not verified (``rulesets.py``)."""
        self.reason = require(reason, "reason", _("Why re-examination is asked"))
        self.reply_due_at = end_of(
            timezone.now(), period_of(self.rule_set, f"{REPLY}.reexamination")
        )

    @transition(
        source=RequestState.SENT,
        target=RequestState.ACCEPTED,
        label=_("Accept by silence"),
        done=_("Dublin request accepted by silence (no answer in time)"),
        permission=None,
        deadlines=[*REPLY_ENDS, TRANSFER_RUNS],
        audited_fields=("transfer_due_at",),
        role="system",
    )
    def accept_by_silence(self) -> None:
        """No answer within the reply period is acceptance (Dublin III art. 22(7), 25(2)):
        the transfer period runs from the day the answer was due."""
        if self.reply_due_at is None or timezone.now() <= self.reply_due_at:
            raise TransitionConflict(gettext("The requested state still has time to answer."))
        self.implicit = True
        self.transfer_from = self.reply_due_at
        self.transfer_due_at = transfer_due(self.rule_set, self.reply_due_at, "")

    @transition(
        source=RequestState.ACCEPTED,
        target=SAME,
        label=_("Extend transfer deadline"),
        done=_("Transfer deadline extended"),
        permission=MANAGE,
        guards=[transfer_deadline_running],
        inputs=[EXTENSION, EXTENSION_NOTE],
        validators=[longer_extension],
        deadlines=[TRANSFER_RUNS],
        audited_fields=("transfer_due_at",),
        role=UNIT,
    )
    def extend_transfer(self, *, extension: str, reason: str = "") -> None:
        """Imprisonment extends the transfer period to 1 year, absconding to 18 months from
        the same start (Dublin III art. 29(2)); the requested state is told before the six
        months end."""
        self.transfer_extension = extension
        if self.transfer_from is not None and not self.transfer_suspended:
            self.transfer_due_at = transfer_due(self.rule_set, self.transfer_from, extension)

    @transition(
        source=RequestState.ACCEPTED,
        target=RequestState.TRANSFERRED,
        label=_("Record transfer"),
        done=_("Transferred by the police"),
        permission=TRANSFERS,
        guards=[not_suspended, transfer_deadline_running],
        inputs=[TRANSFERRED_AT, POLICE_REFERENCE],
        validators=[transferred_in_time],
        deadlines=TRANSFER_ENDS,
        role="police registration, caseworker, decision-maker (the Dublin unit)",
    )
    def transfer(self, *, transferred_at: dt.datetime, police_reference: str) -> None:
        """The police (PU) handed the person over to the responsible state (art. 29(1))."""
        self.transferred_at = transferred_at
        self.police_reference = require(police_reference, "police_reference", _("Police reference"))

    @transition(
        source=RequestState.ACCEPTED,
        target=RequestState.LAPSED,
        label=_("Transfer deadline passed"),
        done=_("Transfer deadline passed: Norway is responsible"),
        permission=None,
        effects=[MovesCaseToMerits()],
        deadlines=TRANSFER_ENDS,
        role="system",
    )
    def lapse(self) -> None:
        """The transfer was not made in time: responsibility passes to Norway (art. 29(2)),
        which examines the application on its merits."""
        if self.transfer_suspended or self.transfer_due_at is None:
            raise TransitionConflict(gettext("The transfer period is not running."))
        if timezone.now() <= self.transfer_due_at:
            raise TransitionConflict(gettext("The transfer period has not ended."))
        self.lapsed_at = timezone.now()

    @transition(
        source=RequestState.ACCEPTED,
        target=SAME,
        label=_("Suspend transfer during the appeal"),
        done=_("Transfer suspended: the applicant may stay during the appeal"),
        permission=None,
        deadlines=TRANSFER_ENDS,
        role="system",
    )
    def suspend_transfer(self) -> None:
        """The appeal has suspensive effect: the transfer period starts again only from the
        final decision on it (art. 29(1))."""
        self.transfer_suspended = True
        self.transfer_due_at = None

    @transition(
        source=RequestState.ACCEPTED,
        target=SAME,
        label=_("Restart transfer period"),
        done=_("Transfer period runs from the final decision on the appeal"),
        permission=None,
        inputs=[FINAL_DECISION_AT],
        deadlines=[TRANSFER_RUNS],
        audited_fields=("transfer_due_at",),
        role="system",
    )
    def restart_transfer(self, *, decided_at: dt.datetime) -> None:
        """The appeal that had suspensive effect is decided: six months (or the extended
        period) from that final decision (art. 29(1))."""
        if not self.transfer_suspended:
            raise TransitionConflict(gettext("The transfer was not suspended."))
        self.transfer_suspended = False
        self.transfer_from = decided_at
        self.transfer_due_at = transfer_due(self.rule_set, decided_at, self.transfer_extension)


class StayWorkflow:
    """Transitions of ``DublinStayRequest``; mixed into the model."""

    if TYPE_CHECKING:
        decided_at: dt.datetime | None
        grounds: str

    @transition(
        source=StayState.LODGED,
        target=StayState.GRANTED,
        label=_("Grant stay during the appeal"),
        done=_("Stay during the appeal granted (suspensive effect)"),
        permission=DECIDE_STAY,
        inputs=[STAY_GROUNDS],
        effects=[SuspendsTransfer()],
        deadlines=closes(deadlines.STAY_DECISION.key),
        role="appeals body",
    )
    def grant(self, *, grounds: str) -> None:
        """The appeals body lets the applicant stay until the appeal is decided (Immigration
        Act § 90): the transfer waits for the final decision."""
        self.grounds = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()

    @transition(
        source=StayState.LODGED,
        target=StayState.REFUSED,
        label=_("Refuse stay during the appeal"),
        done=_("Stay during the appeal refused"),
        permission=DECIDE_STAY,
        inputs=[STAY_GROUNDS],
        deadlines=closes(deadlines.STAY_DECISION.key),
        role="appeals body",
    )
    def refuse(self, *, grounds: str) -> None:
        """The appeals body refuses: the transfer may go ahead while the appeal is heard."""
        self.grounds = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()


REQUEST_TRANSITIONS = declarations(RequestWorkflow)
STAY_TRANSITIONS = declarations(StayWorkflow)
