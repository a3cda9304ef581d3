"""The asylum interview: waiving it ends the booking, and it is never held before its day."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import (
    application_appeal,
    application_decide,
    interview_record_held,
    interview_schedule,
    interview_waivable,
    interview_waive,
)
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.choices import ReminderStatus
from casework.models import Application, AuditEvent, Reminder
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def change_url(app: Application) -> str:
    return reverse("admin:casework_application_change", args=[app.pk])


def _booked_case(unit, caseworker, *, days: float = 2):
    """An examined case with an interview booked ``days`` ahead (its reminder already due)."""
    app = ApplicationFactory(state=State.EXAMINED, unit=unit, assigned_to=caseworker)
    interview = interview_schedule(
        actor=caseworker,
        application=app,
        scheduled_at=timezone.now() + dt.timedelta(days=days),
        location="UDI Oslo",
        language="ara",
    )
    app.refresh_from_db()
    return app, interview


def test_waiving_cancels_the_booked_interview_and_closes_its_deadline(unit, caseworker, decider):
    app, interview = _booked_case(unit, caseworker)
    deadline = app.deadlines.get(source="casework.interview")
    assert app.next_deadline == interview.scheduled_at
    assert Reminder.objects.filter(deadline=deadline, status=ReminderStatus.PENDING).exists()

    app = interview_waive(actor=decider, application=app, reason="The applicant is too ill.")

    deadline.refresh_from_db()
    interview.refresh_from_db()
    assert deadline.closed_at is not None
    assert interview.cancelled and interview.held_at is None
    # nobody is reminded of an interview that will not take place
    assert not Reminder.objects.filter(deadline=deadline, status=ReminderStatus.PENDING).exists()
    app.refresh_from_db()
    assert app.next_deadline != interview.scheduled_at
    event = AuditEvent.objects.get(application=app, action="interview_waived")
    assert event.changes == {"cancelled_interviews": [interview.pk]}


def test_a_decided_and_appealed_case_does_not_point_at_a_waived_interview(
    unit, caseworker, decider
):
    app, interview = _booked_case(unit, caseworker, days=10)
    interview_waive(actor=decider, application=app, reason="Cannot be interviewed.")
    app = application_decide(actor=decider, application=app, outcome="rejected", grounds="No.")
    app = application_appeal(actor=caseworker, application=app)
    app.refresh_from_db()
    assert app.state == State.UNDER_REVIEW
    assert not app.deadlines.filter(source="casework.interview", closed_at=None).exists()
    assert app.next_deadline != interview.scheduled_at


def test_the_interview_is_waived_once_and_the_button_goes(client, unit, caseworker, decider):
    app, _interview = _booked_case(unit, caseworker)
    client.force_login(decider)
    waive_url = reverse("admin:casework_application_interview_waive", args=[app.pk])
    assert "Waive interview" in client.get(change_url(app)).content.decode()

    response = client.post(waive_url, {"reason": "The applicant is too ill."}, follow=True)
    assert "The interview is waived." in response.content.decode()
    app.refresh_from_db()
    assert not interview_waivable(application=app, user=decider)
    page = client.get(change_url(app)).content.decode()
    assert "Waive interview" not in page

    # a second waiver (an old tab) is refused with a sentence, and changes nothing
    again = client.post(waive_url, {"reason": "Again."}, follow=True)
    assert "already waived" in again.content.decode()
    app.refresh_from_db()
    assert app.interview_waived_reason == "The applicant is too ill."
    with pytest.raises(TransitionConflict, match="already waived"):
        interview_waive(actor=decider, application=app, reason="Again.")


def test_an_interview_is_not_recorded_as_held_before_its_day(client, unit, caseworker):
    app, interview = _booked_case(unit, caseworker, days=5)
    with pytest.raises(TransitionInvalid) as err:
        interview_record_held(actor=caseworker, interview=interview)
    assert "cannot be recorded as held before that day" in str(err.value.message_dict["held_at"])
    with pytest.raises(TransitionInvalid):
        interview_record_held(
            actor=caseworker,
            interview=interview,
            held_at=interview.scheduled_at - dt.timedelta(days=3),
        )
    app.refresh_from_db()
    assert app.interview_held_at is None
    assert not AuditEvent.objects.filter(application=app, action="interview_held").exists()

    # through the case page: a message, not a server error, and nothing recorded
    client.force_login(caseworker)
    held_url = reverse("admin:casework_application_interview_held", args=[app.pk, interview.pk])
    response = client.post(held_url, follow=True)
    assert response.status_code == 200
    assert "cannot be recorded as held before that day" in response.content.decode()
    app.refresh_from_db()
    assert app.interview_held_at is None

    # on its day (earlier than booked, the same day) it is recorded
    with time_machine.travel(timezone.localtime(interview.scheduled_at).replace(hour=8)):
        interview_record_held(actor=caseworker, interview=interview)
    app.refresh_from_db()
    assert app.interview_held_at is not None


def test_an_interview_is_not_recorded_as_held_in_the_future(unit, caseworker):
    app, interview = _booked_case(unit, caseworker, days=0)
    with pytest.raises(TransitionInvalid, match="in the future"):
        interview_record_held(
            actor=caseworker, interview=interview, held_at=timezone.now() + dt.timedelta(days=2)
        )


def test_the_api_refuses_a_held_date_before_the_booking(unit, caseworker):
    app, interview = _booked_case(unit, caseworker, days=5)
    client = client_for(caseworker)
    response = client.patch(
        f"/api/v1/applications/{app.pk}/interviews/{interview.pk}/", {}, format="json"
    )
    assert response.status_code == 400
    assert "held_at" in response.json()


def test_the_migration_closes_interview_deadlines_left_open_by_earlier_waivers(
    unit, caseworker, decider
):
    from importlib import import_module

    from django.apps import apps

    migration = import_module("casework.migrations.0010_close_waived_interviews")
    waived, interview = _booked_case(unit, caseworker)
    pending, still_booked = _booked_case(unit, caseworker)
    # as an earlier waiver left it: the reason recorded, the booking and its deadline open
    Application.objects.filter(pk=waived.pk).update(
        interview_waived_reason="Too ill.", state=State.REJECTED
    )

    migration.close_waived_interviews(apps, None)

    waived.refresh_from_db()
    interview.refresh_from_db()
    assert interview.cancelled
    assert not waived.deadlines.filter(source="casework.interview", closed_at=None).exists()
    assert waived.next_deadline != interview.scheduled_at
    assert not Reminder.objects.filter(
        deadline__application=waived,
        deadline__source="casework.interview",
        status=ReminderStatus.PENDING,
    ).exists()
    # a case still waiting for its interview keeps it
    pending.refresh_from_db()
    assert pending.deadlines.filter(source="casework.interview", closed_at=None).exists()
    assert pending.next_deadline == still_booked.scheduled_at
