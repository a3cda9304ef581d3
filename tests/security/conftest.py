"""Fixtures for the security tests: a small world of two units and people in and out of scope."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest
from django.utils import timezone

from casework.applications.choices import State
from casework.models import Application, AuditEvent, DuplicateFlag, Person
from tests.factories import ApplicationFactory, PersonFactory


@dataclass
class World:
    p_here: Person
    p_there: Person
    p_appealed: Person
    p_intake: Person
    app_here: Application
    app_there: Application
    app_appealed: Application
    flag_here: DuplicateFlag
    flag_there: DuplicateFlag
    event_here: AuditEvent
    event_there: AuditEvent


@pytest.fixture
def world(unit, other_unit, lawyer_user) -> World:
    """Oslo (``unit``) has one case; Bergen (``other_unit``) one ordinary and one appealed.
    The signed-in lawyer of the role fixtures is appointed on Bergen's ordinary case."""
    from casework.lawyers.models import Appointment, Lawyer

    p_here = PersonFactory(given_name="Amina", family_name="Rahimi", nationality="AF")
    p_there = PersonFactory(given_name="Yusuf", family_name="Rahman", nationality="SY")
    p_appealed = PersonFactory(given_name="Olena", family_name="Rahmanova", nationality="UA")
    p_intake = PersonFactory(given_name="Hamid", family_name="Rasuli", nationality="ER")
    app_here = ApplicationFactory(unit=unit, person=p_here)
    app_there = ApplicationFactory(unit=other_unit, person=p_there)
    app_appealed = ApplicationFactory(
        unit=other_unit,
        person=p_appealed,
        state=State.APPEALED,
        appealed_at=timezone.now() - dt.timedelta(days=2),
    )
    counsel = Lawyer.objects.create(
        name="Hedda Gabler", bar_number="B-WORLD", region="west", user=lawyer_user
    )
    Appointment.objects.create(application=app_there, lawyer=counsel, reason="chosen")
    flag_here = DuplicateFlag.objects.create(person=p_here, candidate=p_intake, score=0.9)
    flag_there = DuplicateFlag.objects.create(person=p_there, candidate=p_appealed, score=0.9)
    event_here = AuditEvent.objects.create(
        application=app_here, person=p_here, action="note", reason="GROUNDS-HERE persecution"
    )
    event_there = AuditEvent.objects.create(
        application=app_there, person=p_there, action="note", reason="GROUNDS-THERE"
    )
    return World(
        p_here,
        p_there,
        p_appealed,
        p_intake,
        app_here,
        app_there,
        app_appealed,
        flag_here,
        flag_there,
        event_here,
        event_there,
    )


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a private directory of this test."""
    settings.MEDIA_ROOT = tmp_path / "private"
    return settings.MEDIA_ROOT
