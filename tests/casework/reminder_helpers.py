"""Helpers shared by the reminder tests: cases with deadlines built through the services."""

from __future__ import annotations

import datetime as dt

import time_machine
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import (
    application_assign,
    application_decide,
    application_lodge,
    interview_schedule,
)
from casework.models import Application, Deadline, Reminder
from tests.factories import ApplicationFactory, PersonFactory, deliver

OSLO = dt.timezone(dt.timedelta(hours=1))  # Norway in winter (CET)
T0 = dt.datetime(2026, 1, 5, 10, 0, tzinfo=OSLO)  # a Monday


def lodged_case(
    *, registrar, caseworker, unit, at: dt.datetime = T0, language: str = "uk", **person
) -> Application:
    """A protection application lodged at ``at`` through the service and assigned."""
    with time_machine.travel(at, tick=False):
        app = application_lodge(
            actor=registrar,
            person=PersonFactory(preferred_language=language, **person),
            kind="protection",
            unit=unit,
            lodged_on=timezone.localdate(),
        )
        return application_assign(actor=caseworker, application=app, assignee=caseworker)


def rejected_case(
    *, caseworker, decider, unit, at: dt.datetime = T0, delivered: bool = True
) -> Application:
    """A case rejected (normal track) at ``at`` and, unless ``delivered=False``, recorded as
    delivered to the applicant at the same moment: its appeal deadline runs 3 weeks."""
    app = ApplicationFactory(
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=at - dt.timedelta(days=3),
    )
    with time_machine.travel(at, tick=False):
        app = application_decide(
            actor=decider, application=app, outcome="rejected", grounds="Not credible."
        )
        if delivered:
            app = deliver(app, by=caseworker, at=at)
        return app


def held_case(*, caseworker, unit, at: dt.datetime = T0, days_ahead: int = 30) -> Application:
    """A case under examination put on hold at ``at``, to be reviewed ``days_ahead`` later."""
    from casework.applications.services import application_transition

    app = ApplicationFactory(state=State.EXAMINED, unit=unit, assigned_to=caseworker)
    with time_machine.travel(at, tick=False):
        return application_transition(
            actor=caseworker,
            application=app,
            name="put_on_hold",
            reason="Waiting for country information.",
            review_on=timezone.localdate() + dt.timedelta(days=days_ahead),
        )


def interview_case(*, caseworker, unit, at: dt.datetime = T0, days_ahead: int = 10):
    app = ApplicationFactory(state=State.SUBMITTED, unit=unit, assigned_to=caseworker)
    with time_machine.travel(at, tick=False):
        return interview_schedule(
            actor=caseworker,
            application=app,
            scheduled_at=at + dt.timedelta(days=days_ahead),
            location="UDI, Oslo",
            language="ara",
        )


def reminders_of(deadline: Deadline, kind: str | None = None) -> list[tuple[str, str, str]]:
    qs = Reminder.objects.filter(deadline=deadline)
    if kind:
        qs = qs.filter(kind=kind)
    return sorted(qs.values_list("kind", "recipient", "channel"))
