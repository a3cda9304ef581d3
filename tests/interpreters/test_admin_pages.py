"""Booking and confirming through the admin's own pages, as the coordinator and as a
caseworker of another unit; recording an interview held with an unconfirmed interpreter."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.urls import reverse

from casework.interpreters import services
from casework.models import AuditEvent, InterpreterBooking

pytestmark = pytest.mark.django_db


def test_the_coordinator_books_from_the_calendar_and_confirms(
    client, coordinator, dari_interpreter, interview
):
    client.force_login(coordinator)
    url = reverse("admin:casework_interpreterbooking_create") + f"?interview={interview.pk}"
    page = client.get(url)
    assert page.status_code == 200
    assert "Farid Ahmadi · category A" in page.content.decode()
    booked = client.post(
        url,
        {
            "interview": interview.pk,
            "language": "prs",
            "dialect": "Herati",
            "interpreter": dari_interpreter.pk,
            "ends_at": "",
        },
    )
    booking = InterpreterBooking.objects.get()
    assert booked.status_code == 302
    assert booked["Location"] == reverse(
        "admin:casework_interpreterbooking_change", args=[booking.pk]
    )
    assert (booking.state, booking.dialect, booking.starts_at) == (
        "requested",
        "Herati",
        interview.scheduled_at,
    )
    change = client.get(booked["Location"])
    assert "Confirm booking" in change.content.decode()
    confirm = reverse("admin:casework_interpreterbooking_transition", args=[booking.pk, "confirm"])
    assert client.post(confirm, {"csrfmiddlewaretoken": "-"}).status_code == 302
    booking.refresh_from_db()
    assert booking.state == "confirmed"
    assert AuditEvent.objects.get(action="booking.confirm").actor == coordinator


def test_another_units_caseworker_cannot_open_the_booking_page(client, outsider, interview):
    client.force_login(outsider)
    url = reverse("admin:casework_interpreterbooking_create") + f"?interview={interview.pk}"
    assert client.get(url).status_code == 404


def test_held_with_an_unconfirmed_interpreter_asks_for_the_reason(
    client, caseworker, dari_interpreter, interview
):
    services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=interview, language="prs"
    )
    url = reverse(
        "admin:casework_application_interview_held", args=[interview.application_id, interview.pk]
    )
    with time_machine.travel(interview.scheduled_at + dt.timedelta(hours=2)):
        client.force_login(caseworker)  # signed in on the day (a session a week old expired)
        asked = client.post(url, {})
        assert asked.status_code == 200
        assert "has not confirmed" in asked.content.decode()
        assert 'name="reason"' in asked.content.decode()
        interview.refresh_from_db()
        assert interview.held_at is None
        done = client.post(url, {"reason": "The interpreter came without confirming."})
    assert done.status_code == 302
    interview.refresh_from_db()
    assert interview.held_at is not None
    assert AuditEvent.objects.get(action="interview_held").reason.startswith("The interpreter")
