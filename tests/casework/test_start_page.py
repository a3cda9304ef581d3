"""The start page answers "what do I do now" for each role; every figure opens its list."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import interview_schedule
from tests.factories import ApplicationFactory, DeadlineFactory, ReminderFactory

pytestmark = pytest.mark.django_db

FIGURE = re.compile(
    r'<a href="(?P<url>[^"]+)"><strong class="start-count">(?P<n>\d+)\+?</strong> '
    r"(?P<label>[^<]+)</a>"
)


def figures(client) -> dict[str, tuple[int, str]]:
    """The start page's figures: label -> (count, link)."""
    response = client.get("/admin/")
    assert response.status_code == 200
    html = response.content.decode()
    return {
        m["label"].strip(): (int(m["n"]), m["url"].replace("&amp;", "&"))
        for m in FIGURE.finditer(html)
    }


def listed(client, url: str) -> int:
    """How many rows the list behind a figure shows (its filters applied)."""
    response = client.get(url)
    assert response.status_code == 200, url
    assert not response.context.get("errors"), url
    return response.context["cl"].result_count


@pytest.fixture
def work(unit, other_unit, caseworker, other_caseworker):
    now = timezone.now()
    mine = dict(unit=unit, assigned_to=caseworker)
    cases = {
        "examined": ApplicationFactory(state=State.EXAMINED, **mine),
        "examined_overdue": ApplicationFactory(
            state=State.EXAMINED, next_deadline=now - dt.timedelta(days=1), **mine
        ),
        "submitted_soon": ApplicationFactory(
            state=State.SUBMITTED, next_deadline=now + dt.timedelta(days=3), **mine
        ),
        "appealed": ApplicationFactory(state=State.APPEALED, **mine),
        "final": ApplicationFactory(state=State.REJECTED, is_final=True, **mine),
        "colleague": ApplicationFactory(
            state=State.EXAMINED, unit=unit, assigned_to=other_caseworker
        ),
        "unassigned": ApplicationFactory(state=State.SUBMITTED, unit=unit),
        "unassigned_elsewhere": ApplicationFactory(state=State.SUBMITTED, unit=other_unit),
        "ready": ApplicationFactory(
            state=State.EXAMINED,
            unit=unit,
            assigned_to=other_caseworker,
            interview_held_at=now - dt.timedelta(days=1),
        ),  # fmt: skip
    }
    interview_schedule(
        actor=caseworker,
        application=cases["examined"],
        scheduled_at=now + dt.timedelta(days=2),
        location="UDI Oslo",
        language="ara",
    )
    return cases


def test_a_caseworker_sees_their_work_and_each_figure_opens_its_list(client, caseworker, work):
    client.force_login(caseworker)
    shown = figures(client)
    assert shown["under examination"][0] == 2
    assert shown["submitted"][0] == 1
    assert shown["appealed"][0] == 1
    assert shown["Cases with an overdue deadline"][0] == 1
    assert shown["Interviews this week"][0] == 1
    assert shown["Unassigned cases in my unit"][0] == 1  # not the other unit's
    # each figure is a link to a list, filtered so that it shows exactly those rows
    for label, (count, url) in shown.items():
        if "/casework/application/" in url or "/casework/deadline/" in url:
            assert listed(client, url) == count, label


def test_the_start_page_is_not_a_wall_of_deadlines(client, caseworker, unit):
    now = timezone.now()
    for i in range(30):
        app = ApplicationFactory(unit=unit, assigned_to=caseworker)
        DeadlineFactory(
            source="casework.examination_target",
            object_id=app.pk,
            application=app,
            recipient_user=caseworker,
            due_at=now - dt.timedelta(days=1 + i),
            remind_from=now - dt.timedelta(days=20 + i),
        )
    client.force_login(caseworker)
    html = client.get("/admin/").content.decode()
    assert html.count('class="deadline-overdue"') <= 5
    more = re.search(r'<a href="([^"]+)">and (\d+) more</a>', html)
    assert more and more[2] == "25"
    assert listed(client, more[1].replace("&amp;", "&")) == 30
    assert figures(client)["Overdue"][0] == 30


def test_each_role_sees_its_own_work(
    client, unit, caseworker, decider, appeals, registrar, auditor, work
):
    client.force_login(decider)
    ready = figures(client)["Ready for a decision"]
    assert ready[0] == 1 and listed(client, ready[1]) == 1
    client.force_login(appeals)
    appeals_figure = figures(client)["Appeals to decide"]
    assert appeals_figure[0] == 1 and listed(client, appeals_figure[1]) == 1
    client.force_login(registrar)
    html = client.get("/admin/").content.decode()
    assert "Register a person" in html and "Lodge an application" in html
    assert figures(client)["Submitted, not yet assigned"][0] == 2
    client.force_login(auditor)
    by_state = figures(client)
    assert by_state["under examination"][0] == 4
    assert listed(client, by_state["under examination"][1]) == 4


@pytest.mark.parametrize("cases", [1, 20])
def test_the_start_page_costs_the_same_whatever_the_work(client, caseworker, unit, cases):
    for _ in range(cases):
        ApplicationFactory(unit=unit, assigned_to=caseworker, state=State.EXAMINED)
    client.force_login(caseworker)
    client.get("/admin/")
    with CaptureQueriesContext(connection) as ctx:
        client.get("/admin/")
    assert len(ctx.captured_queries) <= 22, [q["sql"][:80] for q in ctx.captured_queries]


# --- the reminders list ---------------------------------------------------------------------


def test_reminders_open_on_mine_by_name_soonest_due_first(
    client, unit, caseworker, other_caseworker
):
    now = timezone.now()
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)

    def reminder(user, days):
        deadline = DeadlineFactory(application=app, due_at=now + dt.timedelta(days=days))
        return ReminderFactory(deadline=deadline, recipient=f"user:{user.pk}")

    later, sooner = reminder(caseworker, 9), reminder(caseworker, 2)
    app = ApplicationFactory(unit=unit, assigned_to=other_caseworker)
    theirs = reminder(other_caseworker, 1)  # a colleague's, on the colleague's case
    applicant = ReminderFactory(  # the colleague's applicant
        deadline=DeadlineFactory(application=app, due_at=now + dt.timedelta(days=5)),
        recipient=f"person:{app.person_id}",
    )
    client.force_login(caseworker)
    response = client.get("/admin/casework/reminder/")
    rows = list(response.context["cl"].result_list)
    assert rows == [sooner, later]  # mine, soonest due first; not the colleague's
    html = response.content.decode()
    assert caseworker.get_full_name() in html and f"user:{caseworker.pk}" not in html

    everything = client.get("/admin/casework/reminder/", {"recipient": "all"})
    rows = list(everything.context["cl"].result_list)
    assert rows == [theirs, sooner, applicant, later]
    html = everything.content.decode()
    assert other_caseworker.get_full_name() in html and "the applicant" in html
    assert f"person:{app.person_id}" not in html
