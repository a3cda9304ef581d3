"""The departure deadline (utreisefrist): one rule, read by the status page, the notices, the
letters, the work permits and the return records.

Immigration Act § 90 sixth paragraph: a decision that rejects an application states a
deadline by which the person must leave the realm. This is where the system computes it:

- a rejection at first instance that may still be appealed: the end of the appeal period
  (``Application.appeal_deadline``), which runs from the day the decision reached the
  applicant or their lawyer (Public Administration Act § 29, ``record_notification``). An
  appeal lodged in time postpones departure until the appeal is decided;
- a final rejection (the appeals body dismissed the appeal): ``DEPARTURE_PERIOD`` after the
  final decision reached them (the appeals body's final decision is notified when made);
- anything else (accepted, under appeal, examined again, a decision not yet delivered): no
  departure deadline runs; nor in a Dublin case, where the transfer to the responsible state
  follows the regulation's own periods (Regulation (EU) No 604/2013 art. 29), not a
  departure home.

The date is never counted from the day of the decision: until its delivery is recorded there
is none. The deadline is also a registered deadline source (``DEPARTURE``), opened, moved and
closed from every transition of the case (``departure_deadline_follow``), so the applicant is
reminded and the unit sees who is past it. A request for reversal (omgjøring) does not stop it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils.translation import gettext_lazy as _

from casework.applications.choices import State, Track
from casework.deadlines.registry import STAFF, DeadlineSource, overdue, register, soon
from casework.deadlines.services import deadline_close, deadline_set

# UDI and UNE usually set three weeks from the day the final decision reached the person; a
# default to change, not a rule of the Act [S].
DEPARTURE_PERIOD = dt.timedelta(weeks=3)

DEPARTURE = register(
    DeadlineSource(
        key="casework.departure",
        label=_("departure deadline"),
        model="casework.Application",
        due_rule=_(
            "the end of the appeal period of a rejection, or 3 weeks after a final rejection "
            "reached the applicant (Immigration Act § 90 sixth paragraph)"
        ),
        # The applicant a week before; the unit the day after it passed (a return to follow up).
        reminders=(soon(days=7), overdue(days=1, to=(STAFF,))),
        notify_person=True,
        person_message=_("You must leave Norway by %(due)s. You can apply for assisted return."),
    )
)


def departure_due(
    *,
    state: str,
    is_final: bool,
    notified_at: dt.datetime | None,
    appeal_deadline: Any,
    track: str = Track.NORMAL,
) -> dt.datetime | None:
    """The departure deadline of a case with these facts (see the module), or None."""
    if state != State.REJECTED or notified_at is None or track == Track.DUBLIN:
        return None
    if is_final:
        return notified_at + DEPARTURE_PERIOD
    return appeal_deadline


def departure_deadline(application: Any) -> dt.datetime | None:
    """The departure deadline of ``application`` now, or None when none runs."""
    return departure_due(
        state=application.state,
        is_final=application.is_final,
        notified_at=application.notified_at,
        appeal_deadline=application.appeal_deadline,
        track=application.track,
    )


def departure_deadline_follow(*, application: Any, source: str, **kwargs: Any) -> None:
    """After each transition of a case (``application_transitioned``, inside its
    transaction): open or move the departure deadline when one runs; close it when the case
    leaves the rejection (an appeal, a reversal). Only a rejected case ever has one, so a
    transition that neither starts nor ends rejected writes nothing."""
    due = departure_deadline(application)
    if due is None:
        if source != State.REJECTED:
            return
        deadline_close(source=DEPARTURE.key, object_id=application.pk, application=application)
    else:
        deadline_set(
            source=DEPARTURE.key,
            object_id=application.pk,
            due_at=due,
            application=application,
            person=application.person,
        )
