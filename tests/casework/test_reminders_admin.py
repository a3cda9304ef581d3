"""The reminders admin: filters, failure reasons, resend, scoping, and the deadline panels."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.template import Context, Template

from casework.deadlines.reminders import reminder_deliver, sweep
from casework.models import Reminder
from tests.casework.reminder_helpers import rejected_case

pytestmark = pytest.mark.django_db

URL = "/admin/casework/reminder/"


@pytest.fixture
def case_with_reminders(unit, caseworker, decider):
    app = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    deadline = app.deadlines.get(source="casework.appeal")
    with time_machine.travel(deadline.due_at - dt.timedelta(days=2), tick=False):
        sweep(enqueue=False)
    # The decision's notice to the applicant is left out: this list is about the deadline's.
    Reminder.objects.exclude(deadline=deadline).delete()
    for reminder in Reminder.objects.filter(deadline=deadline):
        reminder_deliver(reminder_id=reminder.pk)
    failed = Reminder.objects.get(deadline=deadline, channel="admin")
    Reminder.objects.filter(pk=failed.pk).update(
        status="failed", attempts=6, failure="SMTPRecipientsRefused: mailbox unavailable"
    )
    return app


def test_caseworker_lists_reminders_and_filters_the_failed_with_their_reason(
    client, caseworker, case_with_reminders
):
    client.force_login(caseworker)
    page = client.get(URL)
    assert page.status_code == 200
    assert page.content.decode().count(case_with_reminders.display_reference) == 3
    failed = client.get(URL, {"status__exact": "failed"}).content.decode()
    assert failed.count(case_with_reminders.display_reference) == 1
    assert "SMTPRecipientsRefused: mailbox unavailable" in failed
    for params in ({"channel": "email"}, {"kind": "soon"}, {"due": "week"}, {"due": "overdue"}):
        assert client.get(URL, params).status_code == 200
    by_channel = client.get(URL, {"channel": "email"}).content.decode()
    assert by_channel.count(case_with_reminders.display_reference) == 2
    ref = case_with_reminders.display_reference  # its appeal deadline (January) has passed
    assert client.get(URL, {"due": "overdue"}).content.decode().count(ref) == 3
    assert client.get(URL, {"due": "week"}).content.decode().count(ref) == 0


def test_resend_action_creates_a_new_linked_delivery(client, caseworker, case_with_reminders):
    client.force_login(caseworker)
    ids = list(Reminder.objects.values_list("pk", flat=True))
    response = client.post(
        URL, {"action": "resend", "_selected_action": ids, "index": 0}, follow=True
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "3 reminders will be sent again." in body
    resends = Reminder.objects.filter(resend_of__isnull=False)
    assert resends.count() == 3
    assert set(resends.values_list("status", "resend")) == {("pending", 1)}


def test_outsider_sees_no_reminders_of_another_units_case(client, outsider, case_with_reminders):
    client.force_login(outsider)
    page = client.get(URL)
    assert page.status_code == 200
    assert case_with_reminders.display_reference not in page.content.decode()


def test_decision_maker_cannot_change_or_delete_reminders(client, decider, case_with_reminders):
    client.force_login(decider)
    reminder = Reminder.objects.first()
    page = client.get(f"{URL}{reminder.pk}/change/")
    assert page.status_code == 200  # view only
    assert 'name="_save"' not in page.content.decode()
    assert client.post(f"{URL}{reminder.pk}/delete/").status_code == 403


def test_start_page_shows_my_overdue_and_due_soon_deadlines_only(
    client, caseworker, other_caseworker, unit, decider
):
    mine = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    theirs = rejected_case(caseworker=other_caseworker, decider=decider, unit=unit)
    due = mine.deadlines.get(source="casework.appeal").due_at

    def start_page(at: dt.datetime) -> str:
        with time_machine.travel(at):
            client.force_login(caseworker)
            response = client.get("/admin/")
        assert response.status_code == 200
        return response.content.decode()

    assert "Nothing overdue or due soon." in start_page(due - dt.timedelta(days=30))
    page = start_page(due - dt.timedelta(days=2))
    assert "My deadlines: overdue and due soon" in page
    assert mine.display_reference in page and "due soon" in page
    assert theirs.display_reference not in page
    page = start_page(due + dt.timedelta(hours=1))
    assert mine.display_reference in page and "overdue" in page


def test_case_deadline_panel_lists_open_deadlines_with_their_reminders(case_with_reminders):
    html = Template("{% load casework_deadlines %}{% deadline_panel app %}").render(
        Context({"app": case_with_reminders})
    )
    assert "appeal deadline" in html
    assert "soon/email: sent" in html and "soon/admin: failed" in html
    # the queue notice is a notice, not a deadline: not listed
    assert "still in the queue" not in html
