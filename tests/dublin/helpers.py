"""Set-ups of Dublin cases for the tests: a case on the Dublin track in the caseworker's
unit, and requests prepared, sent and accepted through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

import time_machine
from django.utils import timezone

from casework.dublin.services import dublin_request_prepare, dublin_request_transition
from tests.factories import ApplicationFactory

OSLO = dt.timezone(dt.timedelta(hours=2))  # summer time in Europe/Oslo


def at(day: str, hhmmss: str = "12:00:00") -> dt.datetime:
    """A local moment (Europe/Oslo) as an aware datetime."""
    naive = dt.datetime.fromisoformat(f"{day}T{hhmmss}")
    return timezone.make_aware(naive)


def dublin_case(caseworker: Any, *, lodged_on: dt.date, state: str = "examined", **kw: Any):
    return ApplicationFactory(
        track="dublin", state=state, lodged_on=lodged_on, assigned_to=caseworker, **kw
    )


def prepared(caseworker: Any, app: Any, *, now: dt.datetime, **kw: Any):
    fields = {"member_state": "SE", "kind": "take_charge", "legal_ground": "art_12", **kw}
    with time_machine.travel(now, tick=False):
        return dublin_request_prepare(actor=caseworker, application=app, **fields)


def sent(caseworker: Any, request: Any, *, now: dt.datetime):
    with time_machine.travel(now, tick=False):
        return dublin_request_transition(
            actor=caseworker, request=request, name="send", sent_at=now
        )


def accepted(caseworker: Any, request: Any, *, now: dt.datetime):
    with time_machine.travel(now, tick=False):
        return dublin_request_transition(
            actor=caseworker, request=request, name="accept", answered_at=now
        )
