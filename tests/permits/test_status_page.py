"""The applicant's status page shows their permit and its expiry, in their language, once
the decision that gave it has been delivered."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.utils import translation

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.status.page import status_page_for
from tests.casework.reminder_helpers import OSLO
from tests.factories import ApplicationFactory, deliver

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO)


@pytest.fixture
def granted(caseworker, decider, unit):
    app = ApplicationFactory(
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=T0 - dt.timedelta(days=3),
    )
    with time_machine.travel(T0, tick=False):
        return application_decide(
            actor=decider, application=app, outcome="refugee_convention", grounds="Grounds."
        )


def test_no_permit_lines_while_the_decision_is_being_delivered(granted):
    with translation.override("en"):
        assert status_page_for(application=granted).permit == []


@pytest.mark.parametrize(
    ("language", "valid", "permanent"),
    [
        ("en", "Your residence permit is valid until 1 March 2029.", "from 2 March 2029"),
        ("uk", "Ваш дозвіл на проживання дійсний до 1 березня 2029 року.", "з 2 березня 2029"),
        ("so", "Ruqsaddaada deganaanshaha waxay ansax tahay ilaa", "laga bilaabo"),
    ],
)
def test_the_delivered_permit_and_its_expiry_are_shown_in_the_applicants_language(
    granted, caseworker, language, valid, permanent
):
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        app = deliver(granted, by=caseworker, at=T0 + dt.timedelta(days=1))
        with translation.override(language):
            lines = status_page_for(application=app).permit
    assert lines[0].startswith(valid)
    assert permanent in lines[1]


def test_an_expiring_permit_says_to_renew_in_time(granted, caseworker):
    with time_machine.travel(T0 + dt.timedelta(days=1), tick=False):
        app = deliver(granted, by=caseworker, at=T0 + dt.timedelta(days=1))
    with (
        time_machine.travel(dt.datetime(2029, 1, 20, 12, tzinfo=OSLO), tick=False),
        translation.override("en"),
    ):
        lines = status_page_for(application=app).permit
    assert "It expires soon" in lines[0]
    with (
        time_machine.travel(dt.datetime(2029, 3, 5, 12, tzinfo=OSLO), tick=False),
        translation.override("en"),
    ):
        lines = status_page_for(application=app).permit
    assert lines[0] == "Your residence permit expired on 1 March 2029."
