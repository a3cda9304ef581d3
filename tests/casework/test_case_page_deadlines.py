"""The case page shows the reminders engineer's deadline panel, within its query budget."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from tests.factories import ApplicationFactory, DeadlineFactory, ReminderFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> tuple[int, object]:
    # Measured at steady state: the first request of a process also fills Django's
    # content-type cache (one query), which a caseworker's page pays once, not per page.
    client.get(url)
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return len([q for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]), response


@pytest.mark.parametrize("open_deadlines", [2, 6])
def test_case_page_lists_open_deadlines_with_their_reminders_in_bounded_queries(
    open_deadlines, client, unit, caseworker, decider
):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    now = timezone.now()
    overdue = DeadlineFactory(
        application=app, source="casework.interview", due_at=now - dt.timedelta(days=1)
    )
    ReminderFactory(deadline=overdue, status="sent")
    for n in range(open_deadlines - 1):
        upcoming = DeadlineFactory(
            application=app, source="casework.examination_target", due_at=now + dt.timedelta(30 + n)
        )
        ReminderFactory(deadline=upcoming, status="sent")
    DeadlineFactory(application=app, source="casework.appeal", closed_at=now)  # closed: not shown
    client.force_login(decider)
    count, response = _queries(client, reverse("admin:casework_application_change", args=[app.pk]))
    assert response.status_code == 200
    page = response.content.decode()
    assert 'id="deadline-panel"' in page
    assert "Open deadlines" not in page  # the old, simple list is gone
    assert page.count('class="deadline-overdue"') == 1
    assert page.count("/email: sent") == open_deadlines  # each row names its reminders
    # The 13 of the page without deadlines (tests/casework/test_admin.py) plus one query for
    # all the reminders, however many deadlines the case has.
    assert count <= 14


def test_case_page_without_deadlines_says_so(client, unit, caseworker, decider):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    client.force_login(decider)
    page = client.get(reverse("admin:casework_application_change", args=[app.pk]))
    assert "No open deadlines." in page.content.decode()


def test_deadline_and_reminder_admins_are_scoped(client, unit, other_unit, caseworker):
    mine = DeadlineFactory(application=ApplicationFactory(unit=unit))
    theirs = DeadlineFactory(application=ApplicationFactory(unit=other_unit))
    addressed = DeadlineFactory(
        application=ApplicationFactory(unit=other_unit), recipient_user=caseworker
    )
    ReminderFactory(deadline=mine, recipient="person:1")
    ReminderFactory(deadline=theirs, recipient="person:2")
    client.force_login(caseworker)
    listed = client.get(reverse("admin:casework_deadline_changelist")).context["cl"].result_list
    assert {d.pk for d in listed} == {mine.pk, addressed.pk}
    response = client.get(reverse("admin:casework_reminder_changelist"), {"recipient": "all"})
    assert {r.deadline_id for r in response.context["cl"].result_list} == {mine.pk}
    url = reverse("admin:casework_deadline_change", args=[theirs.pk])
    assert client.get(url).status_code == 302  # "does not exist", not another unit's case
