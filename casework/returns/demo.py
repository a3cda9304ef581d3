"""Demo returns: one of each kind, walked through the services as the users would.

Run by ``seed_demo`` after the cases exist: rejected cases of the demo unit whose decision
reached the applicant get a return each, so that the admin, the API and the published table
show assisted return travelled (applied for before the departure deadline) and granted
(applied for after it), refused and then forced return requested, forced return carried out,
whereabouts unknown, and one still obliged to leave.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from casework.applications.choices import State
from casework.applications.models import Application
from casework.returns.departure import departure_deadline
from casework.returns.models import Return
from casework.returns.services import return_open, return_transition

# (name, actor key, fields) steps, per demo return.
STORIES: list[list[tuple[str, str, dict[str, Any]]]] = [
    [
        ("apply_assisted", "caseworker", {"in_time": True}),
        ("grant_assisted", "decider", {"support_nok": 20000}),
        ("record_travel", "caseworker", {}),
    ],
    [
        ("apply_assisted", "caseworker", {}),
        ("grant_assisted", "decider", {"support_nok": 10000}),
    ],
    [
        ("apply_assisted", "caseworker", {}),
        ("refuse_assisted", "decider", {"grounds": "Nationals of this country are excluded."}),
        ("request_forced", "caseworker", {"reason": "Did not leave by the deadline."}),
    ],
    [
        ("request_forced", "registrar", {"reason": "Did not leave by the deadline."}),
        ("carry_out_forced", "registrar", {}),
    ],
    [("record_whereabouts_unknown", "caseworker", {"reason": "Left the centre; not found."})],
    [],
]


def returns_seed(*, users: dict[str, Any]) -> int:
    """Open and walk the demo returns (once: nothing when a return exists already)."""
    if Return.objects.exists():
        return 0
    unit_id = users["decider"].staff_profile.unit_id
    now = timezone.now()
    candidates = (
        Application.objects.filter(state=State.REJECTED, notified_at__isnull=False, unit_id=unit_id)
        .select_related("person")
        .order_by("-notified_at", "pk")[:400]
    )
    # Forced return needs a departure deadline that has passed.
    passed = [a for a in candidates if (departure_deadline(a) or now) < now]
    made = 0
    for story, app in zip(STORIES, passed, strict=False):
        record = return_open(actor=users["caseworker"], application=app)
        Return.objects.filter(pk=record.pk).update(is_demo=True)
        for name, who, fields in story:
            values = dict(fields)
            if values.pop("in_time", False) and record.departure_deadline:
                values["applied_at"] = record.departure_deadline - dt.timedelta(days=3)
            record = return_transition(actor=users[who], record=record, name=name, **values)
        made += 1
    return made
