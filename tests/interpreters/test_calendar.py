"""The week's calendar in the admin: what a caseworker and the coordinator see, the filters,
week navigation, and a query count that does not grow with the week."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.interpreters import services
from casework.models import AccessLog
from tests.factories import ApplicationFactory, InterviewFactory

from .conftest import at

pytestmark = pytest.mark.django_db


def _week(day: dt.datetime) -> str:
    monday = day.date() - dt.timedelta(days=day.date().weekday())
    return monday.isoformat()


def test_the_caseworker_sees_the_weeks_interviews_with_room_interpreter_and_lawyer(
    client, caseworker, dari_interpreter, interview, other_unit
):
    services.booking_request(
        actor=caseworker, interpreter=dari_interpreter, interview=interview, language="prs"
    )
    elsewhere = ApplicationFactory(unit=other_unit, state="examined")
    InterviewFactory(application=elsewhere, scheduled_at=at(11), location="ROOM-BERGEN")
    client.force_login(caseworker)
    url = reverse("admin:casework_calendar") + f"?week={_week(interview.scheduled_at)}"
    page = client.get(url)
    assert page.status_code == 200
    html = page.content.decode()
    assert interview.application.display_reference in html
    assert "Farid Ahmadi" in html and "requested" in html
    assert interview.location in html
    assert "ROOM-BERGEN" not in html  # another unit's case
    logged = AccessLog.objects.filter(user=caseworker, query__startswith="calendar").get()
    assert logged.object_ids == [interview.application_id]


def test_the_lawyer_column_names_the_appointed_lawyer(
    client, coordinator, caseworker, interview, other_unit, unit
):
    """The lawyer is the one of the case's current appointment (the register), whether or
    not they were recorded present; an ended appointment leaves the column empty. The unit
    and caseworker filters keep their rows' lawyers."""
    from django.utils import timezone

    from casework.lawyers.models import Appointment, Lawyer

    lawyer = Lawyer.objects.create(name="Hedda Gabler", bar_number="B-9", region="east")
    appointment = Appointment.objects.create(
        application=interview.application, lawyer=lawyer, reason="minor"
    )
    elsewhere = ApplicationFactory(unit=other_unit, state="examined")
    InterviewFactory(application=elsewhere, scheduled_at=at(11), location="ROOM-BERGEN")
    other = Lawyer.objects.create(name="Ejlert Loevborg", bar_number="B-8", region="west")
    Appointment.objects.create(application=elsewhere, lawyer=other, reason="minor")
    client.force_login(coordinator)
    base = reverse("admin:casework_calendar") + f"?week={_week(interview.scheduled_at)}"

    def lawyers(query: str = "") -> list[str]:
        html = client.get(base + query).content.decode()
        return [part.split("</dd>")[0] for part in html.split("<dt>Lawyer</dt><dd>")[1:]]

    assert sorted(lawyers()) == ["Ejlert Loevborg", "Hedda Gabler"]
    assert lawyers(f"&unit={unit.pk}") == ["Hedda Gabler"]
    assert lawyers(f"&caseworker={caseworker.pk}") == ["Hedda Gabler"]
    Appointment.objects.filter(pk=appointment.pk).update(ends_on=timezone.localdate())
    assert lawyers(f"&unit={unit.pk}") == ["none appointed"]


def test_the_coordinator_sees_every_unit_and_filters_by_unit(
    client, coordinator, interview, other_unit, unit
):
    elsewhere = ApplicationFactory(unit=other_unit, state="examined")
    InterviewFactory(application=elsewhere, scheduled_at=at(11), location="ROOM-BERGEN")
    client.force_login(coordinator)
    base = reverse("admin:casework_calendar") + f"?week={_week(interview.scheduled_at)}"
    html = client.get(base).content.decode()
    assert "ROOM-BERGEN" in html and interview.location in html
    assert "Book an interpreter" in html
    only_oslo = client.get(f"{base}&unit={unit.pk}").content.decode()
    assert "ROOM-BERGEN" not in only_oslo and interview.location in only_oslo


def test_filter_by_caseworker_and_week_navigation(client, coordinator, caseworker, interview):
    client.force_login(coordinator)
    week = _week(interview.scheduled_at)
    base = reverse("admin:casework_calendar")
    mine = client.get(f"{base}?week={week}&caseworker={caseworker.pk}").content.decode()
    assert interview.location in mine
    nobody = client.get(f"{base}?week={week}&caseworker={coordinator.pk}").content.decode()
    assert interview.location not in nobody
    next_week = (dt.date.fromisoformat(week) + dt.timedelta(days=7)).isoformat()
    assert f"week={next_week}" in mine
    assert interview.location not in client.get(f"{base}?week={next_week}").content.decode()


def test_the_calendars_queries_do_not_grow_with_the_week(
    client, coordinator, caseworker, dari_interpreter, case, django_assert_max_num_queries
):
    client.force_login(coordinator)
    url = reverse("admin:casework_calendar") + f"?week={_week(at(9))}"
    client.get(url)  # warm the session and permission caches

    def count() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        with CaptureQueriesContext(connection) as ctx:
            assert client.get(url).status_code == 200
        return len(ctx.captured_queries)

    InterviewFactory(application=case, scheduled_at=at(7), language="prs")
    few = count()  # one interview: the week's query and its bookings' query
    for hour in range(8, 16):
        interview = InterviewFactory(application=case, scheduled_at=at(hour), language="prs")
        if hour % 4 == 0:
            services.booking_request(
                actor=caseworker,
                interpreter=dari_interpreter,
                interview=interview,
                language="prs",
                ends_at=at(hour, 30),
            )
    many = count()
    assert many == few, (few, many)
    with django_assert_max_num_queries(15):
        client.get(url)


def test_staff_without_interviews_may_not_open_the_calendar(client, reception_officer):
    client.force_login(reception_officer)
    assert client.get(reverse("admin:casework_calendar")).status_code == 403
