"""The life of a return record, in one file: every transition declared once.

- obliged to leave -> assisted return applied for (``apply_assisted``) -> granted
  (``grant_assisted``) or refused (``refuse_assisted``); granted -> travelled
  (``record_travel``);
- obliged to leave, applied for, refused or whereabouts unknown -> forced return requested
  (``request_forced``) -> carried out (``carry_out_forced``);
- any open state -> whereabouts unknown (``record_whereabouts_unknown``).

Who (object rules in ``rules.py``; the police are the role "police registration", which
already registers applicants: the police's immigration unit, PU, both registers and returns):

- the case's caseworkers and decision-makers, and the police, open a return, record an
  application for assisted return, record the departure IOM reports, and record that the
  person's whereabouts are unknown;
- the Directorate decides assisted return (a decision-maker of the case's unit); IOM carries
  it out;
- forced return is requested by the case's unit or the police once the departure deadline has
  passed (Immigration Act § 90), and carried out by the police alone.

Each ending (travelled, carried out, whereabouts unknown) closes the person's open reception
placement and lapses their temporary work permit (``EndsStay``: the signal ``return_ended``,
to which reception and integration answer with their own services) and ends the reminders of
the departure deadline.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.core.exceptions import TransitionInvalid
from casework.returns.choices import ReturnState, ReturnType
from casework.returns.departure import DEPARTURE, departure_deadline
from casework.transitions.declaration import (
    DATETIME,
    INTEGER,
    LONG_TEXT,
    REASON,
    TEXT,
    Input,
    declarations,
    guard,
    require,
    transition,
)

if TYPE_CHECKING:
    from casework.applications.models import Application
    from casework.staff.users import AnyUser

S = ReturnState
RECORD = "casework.record_return"
DECIDE = "casework.decide_assisted_return"
REQUEST_FORCED = "casework.request_forced_return"
CARRY_OUT = "casework.carry_out_return"
RECORDERS = "caseworker, decision-maker, police registration"


@guard(_("The departure deadline has not passed: forced return may be requested only after it."))
def departure_passed(record: Any) -> bool:
    due = departure_deadline(record.application)
    return due is not None and due <= timezone.now()


def _not_future(values: dict[str, Any], name: str) -> dict[str, Any]:
    when = values.get(name)
    if isinstance(when, dt.datetime) and when > timezone.now() + dt.timedelta(minutes=5):
        return {name: _("This cannot be in the future.")}
    return {}


def applied_in_past(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    return _not_future(values, "applied_at")


def ended_in_past(record: Any, values: dict[str, Any]) -> dict[str, Any]:
    return _not_future(values, "ended_at")


def _country(code: str) -> str:
    code = (code or "").strip().upper()
    if code and (len(code) != 2 or not code.isalpha()):
        raise TransitionInvalid({"destination": _("Give the country as its ISO code (IQ, AF).")})
    return code


APPLIED_AT = Input(
    "applied_at",
    DATETIME,
    _("Applied for at"),
    default=timezone.now,
    help_text=_("When the person applied (empty: now). Before the deadline, more support."),
)
SUPPORT = Input(
    "support_nok",
    INTEGER,
    _("Reintegration support (NOK)"),
    min_value=0,
    max_value=1_000_000,
    help_text=_("Depends on the country and on applying before the departure deadline."),
)
GROUNDS = Input("grounds", LONG_TEXT, _("Grounds"), required=True, max_length=4000, audit=REASON)
ENDED_AT = Input("ended_at", DATETIME, _("When"), default=timezone.now, help_text=_("Empty: now."))
DESTINATION = Input(
    "destination",
    TEXT,
    _("Destination country"),
    max_length=2,
    default="",
    help_text=_("ISO code; empty: the country of nationality."),
)
NOTE = Input("reason", LONG_TEXT, _("What is known"), max_length=4000, default="", audit=REASON)
FORCED_REASON = NOTE.but(label=_("Reason"), help_text=_("Why the police are asked to act."))


def _ending(record: Any) -> dict[str, Any]:
    """What an ending's audit event keeps: the type of return and the destination's code."""
    return {"ended_as": record.ended_as, "destination": str(record.destination or "")}


class EndsStay:
    """A return ended: the person left or disappeared. Tell reception and integration (their
    services end the placement and the work permit) and end the departure reminders."""

    def apply(
        self, record: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        from casework.deadlines.services import deadline_close
        from casework.returns.signals import return_ended

        application = record.application
        deadline_close(source=DEPARTURE.key, object_id=application.pk, application=application)
        return_ended.send(
            sender=type(record),
            record=record,
            application=application,
            person=record.person,
            ending=record.state,
            ended_on=timezone.localtime(record.ended_at).date(),
            whereabouts_unknown=record.state == S.WHEREABOUTS_UNKNOWN,
            actor=actor,
        )


ENDS = EndsStay()
OPEN = [S.OBLIGED, S.APPLIED, S.GRANTED, S.REFUSED, S.FORCED_REQUESTED]


class ReturnWorkflow:
    """Transitions of ``Return``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        application: Application
        state: str
        departure_deadline: dt.datetime | None
        applied_at: dt.datetime | None
        applied_before_deadline: bool | None
        support_nok: int | None
        decided_at: dt.datetime | None
        forced_requested_at: dt.datetime | None
        destination: Any
        ended_at: dt.datetime | None
        ended_as: str
        reason: str

    @transition(
        source=S.OBLIGED,
        target=S.APPLIED,
        label=_("Record application for assisted return"),
        done=_("Assisted return applied for"),
        permission=RECORD,
        inputs=[APPLIED_AT],
        validators=[applied_in_past],
        audited_fields=("departure_deadline", "applied_before_deadline"),
        role=RECORDERS,
    )
    def apply_assisted(self, *, applied_at: dt.datetime) -> None:
        """The person applied for assisted return (IOM's programme). Whether it was before the
        departure deadline is recorded: the support is higher then (udi.no)."""
        due = departure_deadline(self.application) or self.departure_deadline
        self.departure_deadline = due
        self.applied_at = applied_at
        self.applied_before_deadline = due is None or applied_at <= due

    @transition(
        source=S.APPLIED,
        target=S.GRANTED,
        label=_("Grant assisted return"),
        done=_("Assisted return granted"),
        permission=DECIDE,
        inputs=[SUPPORT],
        actor_field="decided_by",
        audited_fields=("support_nok",),
        role="decision-maker",
    )
    def grant_assisted(self, *, support_nok: int | None = None) -> None:
        """The Directorate grants assisted return; IOM arranges the journey."""
        self.support_nok = support_nok
        self.decided_at = timezone.now()

    @transition(
        source=S.APPLIED,
        target=S.REFUSED,
        label=_("Refuse assisted return"),
        done=_("Assisted return refused"),
        permission=DECIDE,
        inputs=[GROUNDS],
        actor_field="decided_by",
        role="decision-maker",
    )
    def refuse_assisted(self, *, grounds: str) -> None:
        """The Directorate refuses (nationals of some countries are excluded from the scheme);
        the obligation to leave stands."""
        self.reason = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()

    @transition(
        source=S.GRANTED,
        target=S.TRAVELLED,
        label=_("Record departure"),
        done=_("Travelled (assisted return)"),
        permission=RECORD,
        inputs=[ENDED_AT, DESTINATION],
        validators=[ended_in_past],
        effects=[ENDS],
        audited=_ending,
        role=RECORDERS,
    )
    def record_travel(self, *, ended_at: dt.datetime, destination: str = "") -> None:
        """IOM reports that the person travelled."""
        self._end(ended_at, destination, ReturnType.ASSISTED)

    @transition(
        source=[S.OBLIGED, S.APPLIED, S.REFUSED, S.WHEREABOUTS_UNKNOWN],
        target=S.FORCED_REQUESTED,
        label=_("Request forced return"),
        done=_("Forced return requested"),
        permission=REQUEST_FORCED,
        guards=[departure_passed],
        inputs=[FORCED_REASON],
        role=RECORDERS,
    )
    def request_forced(self, *, reason: str = "") -> None:
        """The person did not leave by the departure deadline: the police are asked to return
        them (Immigration Act § 90). Also when a person whose whereabouts were unknown is
        found again."""
        self.forced_requested_at = timezone.now()
        self.reason = reason
        self.ended_at = None
        self.ended_as = ""

    @transition(
        source=S.FORCED_REQUESTED,
        target=S.FORCED_RETURNED,
        label=_("Record forced return carried out"),
        done=_("Forced return carried out"),
        permission=CARRY_OUT,
        inputs=[ENDED_AT, DESTINATION],
        validators=[ended_in_past],
        effects=[ENDS],
        audited=_ending,
        role="police registration",
    )
    def carry_out_forced(self, *, ended_at: dt.datetime, destination: str = "") -> None:
        """The police returned the person."""
        self._end(ended_at, destination, ReturnType.FORCED)

    @transition(
        source=OPEN,
        target=S.WHEREABOUTS_UNKNOWN,
        label=_("Record whereabouts unknown"),
        done=_("Whereabouts unknown"),
        permission=RECORD,
        inputs=[ENDED_AT.but(label=_("Last seen")), NOTE],
        validators=[ended_in_past],
        effects=[ENDS],
        audited=_ending,
        role=RECORDERS,
    )
    def record_whereabouts_unknown(self, *, ended_at: dt.datetime, reason: str = "") -> None:
        """The person left the reception centre and cannot be found (counted as whereabouts
        unknown, not as a return)."""
        self.reason = reason
        self._end(ended_at, "", ReturnType.UNKNOWN)

    def _end(self, ended_at: dt.datetime, destination: str, kind: str) -> None:
        self.ended_at = ended_at
        self.destination = _country(destination)
        self.ended_as = kind


TRANSITIONS = declarations(ReturnWorkflow)
