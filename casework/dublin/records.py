"""What Dublin transitions change beyond their own record (``Effect``s of the declarations):
the case sent to examination on its merits when the transfer period ended, and the transfer
suspended when the appeals body lets the applicant stay during the appeal."""

from __future__ import annotations

from typing import Any

from casework.staff.users import AnyUser

# The application's transition that makes Norway responsible, by the state the case is in:
# before a decision the case only leaves the Dublin track; after a Dublin decision it is
# examined again, on the merits (``casework.applications.workflow``).
TO_MERITS = {
    "submitted": "take_responsibility",
    "examined": "take_responsibility",
    "rejected": "reopen_on_merits",
    "appealed": "reopen_on_merits",
}


class MovesCaseToMerits:
    """The transfer period ended: Norway is responsible (Dublin III art. 29(2)), and the case
    leaves the Dublin track through the application's own declared transition."""

    def apply(self, record: Any, actor: AnyUser | None, values: dict[str, Any]) -> None:
        from casework.applications.services import APPLICATIONS
        from casework.transitions.services import transition_make

        app = record.application
        move = TO_MERITS.get(app.state)
        if move is not None and app.track == "dublin":
            transition_make(workflow=APPLICATIONS, actor=None, record=app, name=move)


class SuspendsTransfer:
    """The appeals body granted the stay: the accepted request's transfer period waits for
    the final decision on the appeal (art. 29(1))."""

    def apply(self, record: Any, actor: AnyUser | None, values: dict[str, Any]) -> None:
        from casework.dublin.services import dublin_request_transition

        dublin_request_transition(actor=None, request=record.request, name="suspend_transfer")
