"""The caseworker's admin: what each role sees, what each button does, what a forged POST gets."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from casework.applications.choices import State
from casework.models import Application, AuditEvent, Decision, Person
from casework.people.identity import name_key
from tests.admin_forms import form_on, post_form
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

pytestmark = pytest.mark.django_db

LIST = "/admin/casework/application/"


def change_url(app: Application) -> str:
    return reverse("admin:casework_application_change", args=[app.pk])


def transition_url(app: Application, name: str) -> str:
    return reverse("admin:casework_application_transition", args=[app.pk, name])


def rows(response) -> list[str]:
    return [a.display_reference for a in response.context["cl"].result_list]


def test_the_list_opens_on_my_cases(client, unit, caseworker, other_caseworker):
    mine = ApplicationFactory(unit=unit, assigned_to=caseworker)
    theirs = ApplicationFactory(unit=unit, assigned_to=other_caseworker)
    client.force_login(caseworker)
    response = client.get(LIST)
    assert response.status_code == 200
    assert rows(response) == [mine.display_reference]
    assert "My cases" in response.content.decode()
    everything = client.get(LIST + "?assigned=all")
    assert set(rows(everything)) == {mine.display_reference, theirs.display_reference}


def test_filters_for_state_kind_and_overdue_deadlines(client, unit, caseworker):
    now = timezone.now()
    overdue = ApplicationFactory(
        unit=unit, state=State.REJECTED, next_deadline=now - dt.timedelta(1)
    )
    soon = ApplicationFactory(unit=unit, next_deadline=now + dt.timedelta(days=3))
    later = ApplicationFactory(unit=unit, kind="collective", next_deadline=now + dt.timedelta(60))
    client.force_login(caseworker)
    assert rows(client.get(LIST + "?assigned=all&deadline=overdue")) == [overdue.display_reference]
    assert rows(client.get(LIST + "?assigned=all&deadline=7")) == [soon.display_reference]
    assert rows(client.get(LIST + "?assigned=all&kind=collective")) == [later.display_reference]
    assert rows(client.get(LIST + "?assigned=all&state=rejected")) == [overdue.display_reference]
    page = client.get(LIST + "?assigned=all").content.decode()
    assert "deadline-overdue" in page  # the next deadline is shown, overdue marked


def test_search_by_reference_registration_number_and_name(client, unit, caseworker):
    person = PersonFactory(given_name="Amina", family_name="Rahimi")
    app = ApplicationFactory(unit=unit, person=person)
    ApplicationFactory(unit=unit)
    client.force_login(caseworker)
    typed = app.display_reference.lower().replace("-", " ")
    assert rows(client.get(LIST, {"assigned": "all", "q": typed})) == [app.display_reference]
    number = person.registration_number
    assert rows(client.get(LIST, {"assigned": "all", "q": number})) == [app.display_reference]
    assert rows(client.get(LIST, {"assigned": "all", "q": "rahim"})) == [app.display_reference]


def test_other_units_cases_are_not_listed_nor_reachable(client, unit, other_unit, caseworker):
    foreign = ApplicationFactory(unit=other_unit)
    client.force_login(caseworker)
    assert rows(client.get(LIST + "?assigned=all")) == []
    response = client.get(change_url(foreign))
    assert response.status_code == 302  # the admin's "does not exist", never the case
    assert client.get(transition_url(foreign, "withdraw")).status_code == 404


def real_queries(client, url: str) -> tuple[int, object]:
    """Queries one request makes, without the test transaction's SAVEPOINT bookkeeping (which
    production, in autocommit, does not issue)."""
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    sql = [q["sql"] for q in ctx.captured_queries]
    return len([s for s in sql if "SAVEPOINT" not in s.upper()]), response


@pytest.mark.parametrize("size", [5, 40])
def test_the_list_costs_a_bounded_number_of_queries(size, client, unit, caseworker):
    for _ in range(size):
        ApplicationFactory(unit=unit, assigned_to=caseworker)
    client.force_login(caseworker)
    count, response = real_queries(client, LIST)
    assert len(rows(response)) == size
    assert count <= 11


def test_the_list_never_counts_the_whole_table(client, unit, caseworker):
    ApplicationFactory(unit=unit, assigned_to=caseworker)
    client.force_login(caseworker)
    with CaptureQueriesContext(connection) as ctx:
        client.get(LIST)
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert counts and all("LIMIT" in sql.upper() for sql in counts)


def test_the_case_page_offers_only_what_this_user_may_do(client, unit, caseworker, decider):
    app = ApplicationFactory(
        unit=unit, state=State.EXAMINED, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client.force_login(caseworker)
    page = client.get(change_url(app)).content.decode()
    assert "Withdraw" in page and transition_url(app, "accept") not in page
    client.force_login(decider)
    page = client.get(change_url(app)).content.decode()
    assert transition_url(app, "accept") in page and transition_url(app, "reject") in page
    assert transition_url(app, "withdraw") not in page


def test_a_button_whose_guard_is_unmet_says_why(client, unit, caseworker):
    app = ApplicationFactory(unit=unit)
    client.force_login(caseworker)
    page = client.get(change_url(app)).content.decode()
    assert "A caseworker must be assigned before the examination starts." in page
    assert "Assign to me" in page


@pytest.mark.parametrize("interviews", [1, 6])
def test_the_case_page_costs_a_bounded_number_of_queries(
    interviews, client, unit, caseworker, decider
):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    for _ in range(interviews):
        InterviewFactory(application=app)
    client.force_login(decider)
    # Measured at steady state: the first request of a process also fills Django's
    # content-type cache (one query), which a caseworker's page pays once, not per page.
    client.get(change_url(app))
    count, response = real_queries(client, change_url(app))
    assert response.status_code == 200
    # 11, plus the access-log row and "who has looked at this case" (tests/security)
    assert count <= 13


def test_a_decision_through_the_admin(client, unit, caseworker, decider):
    app = ApplicationFactory(
        unit=unit, state=State.EXAMINED, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client.force_login(decider)
    form = client.get(transition_url(app, "reject"))
    assert form.status_code == 200 and "Manifestly unfounded" in form.content.decode()
    response = client.post(
        transition_url(app, "reject"),
        {"version": app.version, "outcome": "rejected", "grounds": "Not credible."},
        follow=True,
    )
    assert "The case is now rejected" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.REJECTED
    assert AuditEvent.objects.filter(application=app, action="reject", actor=decider).exists()


def test_missing_grounds_are_shown_on_the_form(client, unit, caseworker, decider):
    app = ApplicationFactory(
        unit=unit, state=State.EXAMINED, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client.force_login(decider)
    response = client.post(
        transition_url(app, "accept"), {"version": app.version, "outcome": "refugee_convention"}
    )
    assert response.status_code == 200
    assert "This field is required" in response.content.decode()
    app.refresh_from_db()
    assert app.state == State.EXAMINED


@pytest.mark.parametrize("who", ["caseworker", "reception", "auditor", "appeals"])
def test_a_forged_decision_post_is_refused_and_leaves_no_trace(
    who, client, unit, role_users, caplog
):
    app = ApplicationFactory(
        unit=unit,
        state=State.EXAMINED,
        assigned_to=role_users["caseworker"],
        interview_held_at=timezone.now(),
    )
    events = AuditEvent.objects.count()
    client.force_login(role_users[who])
    response = client.post(
        transition_url(app, "accept"),
        {"version": app.version, "outcome": "refugee_convention", "grounds": "Forged."},
    )
    assert response.status_code in (403, 404)
    app.refresh_from_db()
    assert app.state == State.EXAMINED
    assert AuditEvent.objects.count() == events and not Decision.objects.exists()


def test_a_stale_page_gets_a_conflict_not_a_second_decision(client, unit, caseworker, decider):
    app = ApplicationFactory(
        unit=unit, state=State.EXAMINED, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    seen = app.version
    client.force_login(decider)
    client.post(
        transition_url(app, "accept"),
        {"version": seen, "outcome": "refugee_convention", "grounds": "First."},
    )
    response = client.post(
        transition_url(app, "reject"),
        {"version": seen, "outcome": "rejected", "grounds": "Second."},
        follow=True,
    )
    assert "Another user changed this case first" in response.content.decode()
    assert Decision.objects.filter(application=app).count() == 1


def test_the_state_cannot_be_changed_through_the_change_form(client, unit, caseworker):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    client.force_login(caseworker)
    response = client.post(change_url(app), {"state": "accepted", "kind": "collective"})
    assert response.status_code == 403
    app.refresh_from_db()
    assert (app.state, app.kind) == (State.SUBMITTED, "protection")


def test_a_person_edited_in_the_admin_goes_through_person_update(client, unit, caseworker):
    """The edit is audited (field names, not values), the name key follows the name, and the
    fields ``person_update`` refuses are not on the form: a forged one changes nothing."""
    person = PersonFactory(given_name="Amina", family_name="Rahimi", external_id="POL-1")
    ApplicationFactory(person=person, unit=unit)
    client.force_login(caseworker)
    url = reverse("admin:casework_person_change", args=[person.pk])
    assert {"external_id", "stateless"}.isdisjoint(form_on(client, url))
    post_form(
        client,
        url,
        {"family_name": "Rahimova", "email": "amina@example.invalid", "external_id": "FORGED"},
    )
    person.refresh_from_db()
    assert (person.family_name, person.email, person.external_id) == (
        "Rahimova",
        "amina@example.invalid",
        "POL-1",
    )
    assert person.name_key == name_key("Amina", "Rahimova")
    event = AuditEvent.objects.get(person=person, action="person_changed")
    assert (event.actor, event.changes) == (caseworker, {"fields": ["family_name", "email"]})


def test_bulk_assign_to_a_caseworker(client, unit, caseworker, other_caseworker):
    apps = [ApplicationFactory(unit=unit) for _ in range(3)]
    client.force_login(caseworker)
    data = {"action": "assign_to_caseworker", ACTION_CHECKBOX_NAME: [a.pk for a in apps]}
    page = client.post(LIST + "?assigned=all", data)
    assert page.status_code == 200 and "Assign cases to a caseworker" in page.content.decode()
    client.post(LIST + "?assigned=all", {**data, "apply": "1", "assignee": other_caseworker.pk})
    assert set(
        Application.objects.filter(pk__in=[a.pk for a in apps]).values_list(
            "assigned_to", flat=True
        )
    ) == {other_caseworker.pk}
    assert AuditEvent.objects.filter(action="assigned").count() == 3


def test_interview_scheduled_and_held_from_the_case_page(client, unit, caseworker, decider):
    app = ApplicationFactory(unit=unit, state=State.EXAMINED, assigned_to=caseworker)
    client.force_login(caseworker)
    when = (timezone.localtime() + dt.timedelta(days=5)).strftime("%Y-%m-%dT%H:%M")
    client.post(
        reverse("admin:casework_application_interview", args=[app.pk]),
        {"scheduled_at": when, "location": "UDI Oslo", "language": "ara", "interpreter": "on"},
    )
    interview = app.interviews.get()
    assert app.deadlines.filter(source="casework.interview", closed_at=None).exists()
    held_url = reverse("admin:casework_application_interview_held", args=[app.pk, interview.pk])
    with time_machine.travel(interview.scheduled_at + dt.timedelta(hours=1)):
        client.force_login(caseworker)  # five days on: a new working day, a new session
        client.post(held_url)
    app.refresh_from_db()
    assert app.interview_held_at is not None


def test_lodging_and_registering_through_the_admin_use_the_services(client, unit, registrar):
    client.force_login(registrar)
    response = client.post(
        "/admin/casework/person/add/",
        {
            "given_name": "Yonas",
            "family_name": "Tesfaye",
            "date_of_birth": "1990-02-20",
            "dob_precision": "day",
            "sex": "male",
            "nationality": "ER",
            "preferred_language": "ti",
            "documents-TOTAL_FORMS": "0",
            "documents-INITIAL_FORMS": "0",
            "household_links-TOTAL_FORMS": "0",
            "household_links-INITIAL_FORMS": "0",
            "applications-TOTAL_FORMS": "0",
            "applications-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    person = Person.objects.get(family_name="Tesfaye")
    assert len(person.registration_number) == 12
    assert AuditEvent.objects.filter(person=person, action="person_registered").exists()
    response = client.post(
        "/admin/casework/application/add/",
        {"person": person.pk, "kind": "protection", "track": "normal", "lodged_on": "2026-11-02"},
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    app = Application.objects.get(person=person)
    assert app.state == State.SUBMITTED
    assert AuditEvent.objects.filter(application=app, action="lodged").exists()
