"""What Dublin transitions change beyond their own record (``Effect``s of the declarations):
the case sent to examination on its merits when the transfer period ended, and the transfer
suspended when the appeals body lets the applicant stay during the appeal."""

from __future__ import annotations

from typing import Any

from casework.staff.users import AnyUser

# The application's transition that makes Norway responsible, by the state the case is in:
# before a decision the case only leaves the Dublin track; after a Dublin decision (rejected,
# under the Directorate's review of the appeal, at the appeals board) it is examined again,
# on the merits; on hold it leaves the track and, taken off hold, is examined on the merits.
# An accepted or withdrawn case has nothing left to examine: it stays as it is.
TO_MERITS = {
    "submitted": "take_responsibility",
    "examined": "take_responsibility",
    "rejected": "reopen_on_merits",
    "under_review": "reopen_on_merits",
    "appealed": "reopen_on_merits",
    "on_hold": "take_responsibility_on_hold",
}


def merits_move(app: Any) -> str | None:
    """The application's declared transition that takes ``app`` off the Dublin track once
    Norway is responsible, or None when there is none to make (not on the Dublin track, or
    already accepted or withdrawn)."""
    if app.track != "dublin":
        return None
    return TO_MERITS.get(app.state)


class MovesCaseToMerits:
    """The transfer period ended: Norway is responsible (Dublin III art. 29(2)), and the case
    leaves the Dublin track through the application's own declared transition."""

    def apply(
        self, record: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        from casework.applications.services import APPLICATIONS
        from casework.transitions.services import transition_make

        app = record.application
        move = merits_move(app)
        if move is not None:
            transition_make(workflow=APPLICATIONS, actor=None, record=app, name=move)


class SuspendsTransfer:
    """The appeals body granted the stay: the accepted request's transfer period waits for
    the final decision on the appeal (art. 29(1))."""

    def apply(
        self, record: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        from casework.dublin.services import dublin_request_transition

        dublin_request_transition(actor=None, request=record.request, name="suspend_transfer")
