"""Interpreters of the register and a case with an interview to book them for."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.interpreters import services
from tests.factories import ApplicationFactory, InterviewFactory


def at(hour: int, minute: int = 0, days: int = 7) -> dt.datetime:
    """A time ``days`` from today, local."""
    day = timezone.localdate() + dt.timedelta(days=days)
    return timezone.make_aware(dt.datetime.combine(day, dt.time(hour, minute)))


@pytest.fixture
def dari_interpreter(coordinator):
    return services.interpreter_register(
        actor=coordinator,
        name="Farid Ahmadi",
        gender="male",
        region="Oslo",
        languages=[
            {"language": "prs", "qualification": "A", "dialects": "Kabuli, Herati"},
            {"language": "fas", "qualification": "C"},
        ],
    )


@pytest.fixture
def case(unit, caseworker):
    return ApplicationFactory(unit=unit, assigned_to=caseworker, state="examined")


@pytest.fixture
def interview(case):
    return InterviewFactory(application=case, scheduled_at=at(9), language="prs")
