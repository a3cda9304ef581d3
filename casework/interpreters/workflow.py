"""The life of an interpreter booking, in one file: every transition declared once.

requested -> confirmed (the interpreter said yes) -> no_show (they did not come);
requested or confirmed -> cancelled (with the reason). A booking is made (requested) by
``services.booking_request``, which keeps one interpreter out of two overlapping sessions.

Who: the interpreter coordinator, or the caseworkers and decision-makers of the case's unit
(``casework.manage_booking``, an object rule in ``rules.py``). The Interpreting Act (2022)
makes the authority responsible for using a qualified interpreter; the booking's trail shows
who booked whom, when it was confirmed and why it was cancelled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.interpreters.choices import BookingState
from casework.transitions.declaration import (
    DATETIME,
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
    import datetime as dt

MANAGE = "casework.manage_booking"
ROLE = "interpreter coordinator, caseworker, decision-maker, appeals body"


@guard(_("The interpreter is no longer active in the register."))
def interpreter_active(booking: Any) -> bool:
    return bool(booking.interpreter.active)


@guard(_("A no-show can be recorded only once the session has begun."))
def session_begun(booking: Any) -> bool:
    return bool(booking.starts_at <= timezone.now())


CANCEL_REASON = Input(
    "reason",
    LONG_TEXT,
    _("Reason"),
    required=True,
    max_length=2000,
    help_text=_("Why the booking is cancelled (the interview moved, the interpreter is ill…)."),
    audit=REASON,
)
# The session's new time and place when the interview it interprets is moved (given by the
# system: ``services.bookings_follow_interview``).
NEW_START = Input("starts_at", DATETIME, _("Starts at"), required=True)
NEW_END = Input("ends_at", DATETIME, _("Ends at"), required=True)
NEW_PLACE = Input("location", TEXT, _("Place"), max_length=200, default="")
NO_SHOW_NOTE = CANCEL_REASON.but(
    required=False, default="", help_text=_("What happened, if known.")
)


class BookingWorkflow:
    """Transitions of ``InterpreterBooking``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        starts_at: dt.datetime
        ends_at: dt.datetime
        location: str
        reason: str

    @transition(
        source=BookingState.REQUESTED,
        target=BookingState.CONFIRMED,
        label=_("Confirm booking"),
        done=_("Interpreter confirmed"),
        permission=MANAGE,
        guards=[interpreter_active],
        role=ROLE,
    )
    def confirm(self) -> None:
        """The interpreter accepted the booking: the session may go ahead with them."""

    @transition(
        source=[BookingState.REQUESTED, BookingState.CONFIRMED],
        target=BookingState.CANCELLED,
        label=_("Cancel booking"),
        done=_("Interpreter booking cancelled"),
        permission=MANAGE,
        inputs=[CANCEL_REASON],
        role=ROLE,
    )
    def cancel(self, *, reason: str) -> None:
        """Release the interpreter's time (the session moved or was called off), with why."""
        self.reason = require(reason, "reason", _("Reason"))

    @transition(
        source=[BookingState.REQUESTED, BookingState.CONFIRMED],
        target=BookingState.REQUESTED,
        label=_("Move with the interview"),
        done=_("Interpreter booking moved with the interview: to be confirmed again"),
        permission=None,
        inputs=[NEW_START, NEW_END, NEW_PLACE, CANCEL_REASON.but(required=False, default="")],
        role="system",
    )
    def reschedule(
        self, *, starts_at: dt.datetime, ends_at: dt.datetime, location: str = "", reason: str = ""
    ) -> None:
        """The interview moved: the booking holds the interpreter's new time instead of the
        old one (never both), and asks them again: a yes to the old time is no yes to the new
        one (Interpreting Act 2022: the authority answers for the interpreter it uses)."""
        self.starts_at = starts_at
        self.ends_at = ends_at
        if location:
            self.location = location
        self.reason = reason

    @transition(
        source=BookingState.CONFIRMED,
        target=BookingState.NO_SHOW,
        label=_("Record no-show"),
        done=_("Interpreter did not come"),
        permission=MANAGE,
        guards=[session_begun],
        inputs=[NO_SHOW_NOTE],
        role=ROLE,
    )
    def record_no_show(self, *, reason: str = "") -> None:
        """The confirmed interpreter did not come: kept for follow-up with the register."""
        self.reason = reason


TRANSITIONS = declarations(BookingWorkflow)
