"""Lists: filters, search, ordering, cursor pages, and a flat number of queries per page."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.applications.choices import State
from casework.people.identity import format_reference
from tests.factories import (
    ApplicationFactory,
    AuditEventFactory,
    DecisionFactory,
    InterviewFactory,
    PersonFactory,
    ReminderFactory,
)

# The token and the user's roles and permissions are one statement on PostgreSQL.
PAGE_QUERIES = 3 if connection.vendor == "postgresql" else 4


def _ids(response) -> list[int]:
    assert response.status_code == 200, response.content[:300]
    return [row["id"] for row in response.json()["results"]]


@pytest.mark.django_db
def test_application_filters(api, unit, auditor, caseworker):
    today = timezone.localdate()
    a = ApplicationFactory(
        unit=unit, kind="protection", track="fast", lodged_on=today - dt.timedelta(days=40)
    )
    b = ApplicationFactory(
        unit=unit,
        kind="collective",
        state=State.EXAMINED,
        assigned_to=caseworker,
        person=PersonFactory(nationality="UA"),
        lodged_on=today - dt.timedelta(days=5),
    )
    c = ApplicationFactory(unit=unit, track="dublin", state=State.REJECTED, lodged_on=today)
    type(c).objects.filter(pk=c.pk).update(next_deadline=timezone.now() + dt.timedelta(days=1))
    client = api(auditor)

    def ids(query: str) -> set[int]:
        return set(_ids(client.get(f"/api/v1/applications/?{query}")))

    assert ids("state=examined") == {b.pk}
    assert ids("state=examined&state=rejected") == {b.pk, c.pk}
    assert ids("kind=collective") == {b.pk}
    assert ids("track=fast") == {a.pk}
    assert ids("nationality=ua") == {b.pk}
    assert ids(f"assigned_to={caseworker.pk}") == {b.pk}
    assert ids(f"lodged_on_after={today - dt.timedelta(days=10)}") == {b.pk, c.pk}
    assert ids(f"lodged_on_before={today - dt.timedelta(days=35)}") == {a.pk}
    deadline = (timezone.now() + dt.timedelta(days=2)).isoformat()
    assert ids("deadline_before=" + deadline.replace("+", "%2B")) == {c.pk}
    assert ids(f"search={format_reference(a.reference).lower()}") == {a.pk}
    assert ids(f"search={b.person.registration_number}") == {b.pk}
    assert ids("search=nothing-like-it") == set()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "query",
    [
        "state=flying",
        "lodged_on_after=yesterday",
        "assigned_to=abc",
        "deadline_before=soon",
        "page_size=abc",
        "ordering=password",
        "nationality=" + "X" * 300,
        "search=" + "9" * 500,
    ],
)
def test_bad_list_parameters_never_500(api, auditor, query):
    ApplicationFactory()
    response = api(auditor).get(f"/api/v1/applications/?{query}")
    assert response.status_code in (200, 400)


@pytest.mark.django_db
def test_cursor_pages_walk_everything_once_in_order(api, auditor):
    apps = [ApplicationFactory() for _ in range(7)]
    client = api(auditor)
    seen: list[int] = []
    url = "/api/v1/applications/?page_size=3&ordering=lodged_on"
    while url:
        body = client.get(url).json()
        seen += [row["id"] for row in body["results"]]
        url = body["next"]
    assert sorted(seen) == sorted(a.pk for a in apps) and len(seen) == 7
    newest_first = _ids(client.get("/api/v1/applications/?page_size=100"))
    assert newest_first == sorted(newest_first, reverse=True)


@pytest.mark.django_db
def test_a_page_never_counts_the_whole_table(api, auditor):
    for _ in range(3):
        ApplicationFactory()
    with CaptureQueriesContext(connection) as ctx:
        api(auditor).get("/api/v1/applications/?page_size=2")
    sql = " ".join(q["sql"].upper() for q in ctx.captured_queries)
    assert "COUNT(" not in sql and "OFFSET" not in sql


def _fill(n: int, unit, caseworker) -> dict:
    app = None
    for _ in range(n):
        app = ApplicationFactory(unit=unit, assigned_to=caseworker)
        InterviewFactory(application=app)
        DecisionFactory(application=app)
        AuditEventFactory(application=app, person=app.person, actor=caseworker)
        ReminderFactory(recipient=f"user:{caseworker.pk}")
    for _ in range(n):
        InterviewFactory(application=app)
        DecisionFactory(application=app)
        AuditEventFactory(application=app, person=app.person, actor=caseworker)
    return {"app": app.pk}


LISTS = [
    "/api/v1/applications/",
    "/api/v1/people/",
    "/api/v1/reminders/",
    "/api/v1/applications/{app}/interviews/",
    "/api/v1/applications/{app}/decisions/",
    "/api/v1/applications/{app}/events/",
]


@pytest.mark.django_db
@pytest.mark.parametrize("url", LISTS)
def test_queries_per_page_do_not_grow_with_its_size(
    api, unit, caseworker, url, django_assert_max_num_queries
):
    ctx = _fill(50, unit, caseworker)
    client = api(caseworker)
    client.get("/api/v1/reminders/")  # warm the per-process caches (content types)
    for size in (5, 50):
        with django_assert_max_num_queries(7):
            response = client.get(url.format(**ctx) + f"?page_size={size}")
        assert len(response.json()["results"]) == size


@pytest.mark.django_db
def test_an_application_page_costs_three_queries_whatever_its_size(
    api, unit, caseworker, django_assert_num_queries
):
    """The token with the user's roles and permissions (on PostgreSQL one statement; elsewhere
    the token, then roles and permissions in one query), the page itself (with the
    applicant), the access-log row. Six before the roles and permissions were read together;
    a size-dependent count would be an N+1."""
    for _ in range(101):
        ApplicationFactory(unit=unit, state=State.SUBMITTED)
    client = api(caseworker)
    client.get("/api/v1/reminders/")  # warm the per-process caches (content types)
    for size in (25, 100):
        with django_assert_num_queries(PAGE_QUERIES):
            response = client.get(f"/api/v1/applications/?state=submitted&page_size={size}")
        assert len(response.json()["results"]) == size
        assert "interview_waived_reason" in response.json()["results"][0]  # a caseworker's


@pytest.mark.django_db
def test_a_role_without_special_categories_gets_the_page_without_them(
    api, registrar, django_assert_num_queries
):
    """The field map is built once per serializer class; what a role may not see is still
    dropped per request (registration officers get no waiver reasons)."""
    ApplicationFactory(interview_waived_reason="Ill.")
    client = api(registrar)
    client.get("/api/v1/reminders/")
    with django_assert_num_queries(PAGE_QUERIES):
        rows = client.get("/api/v1/applications/").json()["results"]
    assert rows and "interview_waived_reason" not in rows[0]
