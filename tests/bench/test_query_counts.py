"""Query counts found by the benchmarks (docs/performance.md): counts belong in tests, times
in bench/.

A decision and a sweep each take a fixed, small number of statements; these tests pin the
numbers so that a new round trip is a visible, deliberate change. Before that work a
decision took 32 statements (8 of them savepoints) and a sweep about 60.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from casework.applications.choices import ApplicationKind, State, Track
from casework.applications.services import (
    application_assign,
    application_decide,
    application_lodge,
    application_start_examination,
    interview_waive,
)
from casework.deadlines import registry as deadlines
from casework.deadlines.channels import Channel, register_channel, unregister_channel
from casework.deadlines.reminders import reminders_create_due
from casework.deadlines.services import deadline_set
from casework.models import AuditEvent, Deadline, Decision, Reminder
from casework.staff.roles import role_names
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory, deliver

POSTGRES = connection.vendor == "postgresql"
SAVEPOINTS = ("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO SAVEPOINT")


def _split(captured: list[dict]) -> tuple[list[str], list[str]]:
    """(statements, savepoint statements) of a captured block."""
    sqls = [q["sql"] for q in captured]
    return [s for s in sqls if not s.startswith(SAVEPOINTS)], [
        s for s in sqls if s.startswith(SAVEPOINTS)
    ]


def _listing(statements: list[str]) -> str:
    return "\n".join(f"  {i}. {s[:150]}" for i, s in enumerate(statements, 1))


def _examined_case(*, registrar, caseworker, decider, unit, kind: str, track: str = Track.NORMAL):
    """A case lodged through the service (so its deadlines exist), assigned, under examination,
    ready for a decision (protection: the interview waived)."""
    app = application_lodge(
        actor=registrar, person=PersonFactory(), kind=kind, track=track, unit=unit
    )
    app = application_assign(actor=caseworker, application=app, assignee=caseworker)
    app = application_start_examination(actor=caseworker, application=app)
    if kind != ApplicationKind.COLLECTIVE:
        app = interview_waive(actor=decider, application=app, reason="Too ill.")
    return app


def test_a_decision_like_the_benchmarks_takes_seven_statements_and_no_savepoint(
    unit, registrar, caseworker, decider
):
    """The bench's decision: a collective-protection case accepted through the service."""
    app = _examined_case(
        registrar=registrar,
        caseworker=caseworker,
        decider=decider,
        unit=unit,
        kind=ApplicationKind.COLLECTIVE,
    )
    assert app.deadlines.filter(closed_at=None, source="casework.queue_notice").exists()
    role_names(decider)  # loaded once per request, cached on the user (as in the bench)
    with CaptureQueriesContext(connection) as ctx:
        app = application_decide(
            actor=decider, application=app, outcome="collective", grounds="Temporary protection."
        )
    statements, savepoints = _split(ctx.captured_queries)
    # lock (with the person); UPDATE, history row, decision and audit event (one statement on
    # PostgreSQL, four on SQLite); the transition's deadlines: close the queue notice and
    # cancel its pending reminders, open the applicant's decision notice with its reminder
    # rows and the reminder to record its delivery (one statement on PostgreSQL,
    # ``deadlines_move``; five on SQLite); the settlement target (reception's receiver), work
    # permits (integration's), next_deadline. The residence
    # permit the decision gives (Immigration Act § 60; ``casework.permits``) adds one: the
    # permit row, its own audit event ("permit.granted") and its expiry deadline (holder and
    # unit reminded) in one statement on PostgreSQL, three on SQLite. The decision it refers
    # to is the one just written (its key known), the holder the locked person and the
    # expiry deadline's recipient the case's assigned caseworker by id: none is read again.
    assert len(statements) == (7 if POSTGRES else 16), _listing(statements)
    assert len(savepoints) == 2  # the service's own transaction inside the test's; no other
    # and everything the decision stands for is there
    assert app.state == State.ACCEPTED
    assert Decision.objects.filter(application=app, outcome="collective").count() == 1
    assert AuditEvent.objects.filter(application=app, action="accept").count() == 1
    assert app.history.filter(state=State.ACCEPTED).exists()
    assert not app.deadlines.filter(closed_at=None, source="casework.queue_notice").exists()
    settlement = app.deadlines.get(source="reception.settlement_target", closed_at=None)
    delivery = app.deadlines.get(source="casework.decision_delivery", closed_at=None)
    app.refresh_from_db()
    assert app.next_deadline == min(settlement.due_at, delivery.due_at)


def test_a_rejection_takes_four_statements_and_no_reminder_statement_before_one_is_due(
    unit, registrar, caseworker, decider
):
    app = _examined_case(
        registrar=registrar,
        caseworker=caseworker,
        decider=decider,
        unit=unit,
        kind=ApplicationKind.PROTECTION,
    )
    with CaptureQueriesContext(connection) as ctx:
        app = application_decide(
            actor=decider, application=app, outcome="rejected", grounds="No risk on return."
        )
    statements, savepoints = _split(ctx.captured_queries)
    # lock; UPDATE, history, decision and audit (one statement on PostgreSQL); close the
    # examination target, queue notice and any appeal deadline, open the reminder to record
    # the delivery and the applicant's decision notice with its reminder rows (one statement
    # on PostgreSQL, five on SQLite); next_deadline (the decider's roles were loaded when
    # they waived the interview). Work permits need no statement: until the decision is
    # delivered no departure deadline runs. Nor a residence permit: an outcome that gives
    # none does not read the decision back for one.
    assert len(statements) == (4 if POSTGRES else 11), _listing(statements)
    assert len(savepoints) == 2
    reminders = [s for s in statements if 'INSERT INTO "casework_reminder"' in s]
    assert len(reminders) == 1 and "casework.decision_notice" in reminders[0]
    # not delivered yet: no appeal deadline, a reminder to record the delivery in 14 days
    assert app.appeal_deadline is None
    delivery = app.deadlines.get(source="casework.decision_delivery", closed_at=None)
    assert delivery.due_at == app.decided_at + dt.timedelta(days=14)
    assert app.next_deadline == delivery.due_at
    assert set(app.deadlines.filter(closed_at=None).values_list("source", flat=True)) == {
        "casework.decision_delivery",
        "casework.received_notice",  # notices stay open: the sweep reads only their window
        "casework.decision_notice",
    }

    role_names(caseworker)
    with CaptureQueriesContext(connection) as ctx:
        app = deliver(app, by=caseworker, at=timezone.now())
    statements, savepoints = _split(ctx.captured_queries)
    # lock; the current decision; UPDATE, history and audit (one statement on PostgreSQL);
    # the decision's delivery; close the delivery reminder and open the appeal deadline (one
    # statement on PostgreSQL, ``deadlines_move``); the departure deadline (the same day: the
    # end of the appeal period); work permits,
    # next_deadline; and the appointed lawyer (a delivery to the lawyer records them as the
    # notification's recipient)
    assert len(statements) == (9 if POSTGRES else 13), _listing(statements)
    assert len(savepoints) == 2
    assert not [s for s in statements if 'INSERT INTO "casework_reminder"' in s]
    appeal = app.deadlines.get(source="casework.appeal", closed_at=None)
    departure = app.deadlines.get(source="casework.departure", closed_at=None)
    assert departure.due_at == appeal.due_at
    # the appeal deadline: 3 weeks from notification, to the end of that day
    notified = timezone.localtime(app.decisions.get().notified_at).date()
    assert timezone.localtime(appeal.due_at).date() == notified + dt.timedelta(weeks=3)
    assert app.next_deadline == appeal.due_at
    assert not app.deadlines.filter(source="casework.decision_delivery", closed_at=None).exists()


def test_a_dublin_rejection_reminds_at_once_in_one_statement(unit, registrar, caseworker, decider):
    """48 hours to ask to stay: the 5-day reminder is due at once, all its rows in one INSERT."""
    app = _examined_case(
        registrar=registrar,
        caseworker=caseworker,
        decider=decider,
        unit=unit,
        kind=ApplicationKind.PROTECTION,
        track=Track.DUBLIN,
    )
    application_decide(
        actor=decider, application=app, outcome="dublin", grounds="Responsible state: SE."
    )
    with CaptureQueriesContext(connection) as ctx:
        deliver(app, by=caseworker, at=timezone.now())
    statements, _savepoints = _split(ctx.captured_queries)
    inserts = [s for s in statements if 'INSERT INTO "casework_reminder"' in s]
    # delivered now: one INSERT for all the appeal deadline's rows
    assert len(inserts) == 1, _listing(statements)
    assert "casework.appeal" in inserts[0]
    appeal = app.deadlines.get(source="casework.appeal")
    assert sorted(Reminder.objects.filter(deadline=appeal).values_list("recipient", "channel")) == [
        (f"person:{app.person_id}", "email"),
        (f"user:{caseworker.pk}", "admin"),
        (f"user:{caseworker.pk}", "email"),
    ]


class _PagerChannel(Channel):
    """Test-only: a channel whose eligibility is a QuerySet filter, not SQL."""

    name = "pager"
    audiences = frozenset({"staff"})

    def eligible(self, deadlines, audience):
        return deadlines.filter(recipient_user__is_active=True)

    def send(self, reminder) -> None:
        return None


@pytest.fixture
def more_sources_and_a_channel():
    extra = [
        deadlines.register(
            deadlines.DeadlineSource(
                key=f"tests.extra{i}",
                label="test",
                reminders=(deadlines.soon(days=2), deadlines.overdue()),
            )
        )
        for i in range(5)
    ]
    register_channel(_PagerChannel)
    yield extra
    unregister_channel(_PagerChannel.name)
    for spec in extra:
        deadlines.unregister(spec.key)


def _sweep_statements(now: dt.datetime) -> tuple[list[str], int]:
    with CaptureQueriesContext(connection) as ctx:
        created = reminders_create_due(now=now)
    statements, savepoints = _split(ctx.captured_queries)
    assert not savepoints
    return statements, created.total


def test_a_sweep_is_one_statement_whatever_the_sources_and_channels(
    unit, registrar, caseworker, decider, more_sources_and_a_channel
):
    with time_machine.travel(timezone.now() - dt.timedelta(days=60), tick=False):
        app = _examined_case(
            registrar=registrar,
            caseworker=caseworker,
            decider=decider,
            unit=unit,
            kind=ApplicationKind.PROTECTION,
        )
        app = application_decide(
            actor=decider, application=app, outcome="rejected", grounds="No risk on return."
        )
        deliver(app, by=caseworker)
        due_now = timezone.now() + dt.timedelta(days=60, hours=12)
        for spec in more_sources_and_a_channel:
            deadline_set(
                source=spec.key,
                object_id=app.pk,
                due_at=due_now,
                person=app.person,
                recipient_user=caseworker,
            )
    recurring = sum(1 for spec in deadlines.sources().values() if spec.every)
    statements, created = _sweep_statements(timezone.now())
    # PostgreSQL: one WITH (the INSERT and the recurring deadlines' UPDATE); SQLite has no
    # data-modifying WITH: the INSERT, then one UPDATE per recurring source.
    assert len(statements) == (1 if POSTGRES else 1 + recurring), _listing(statements)
    # each extra source's "soon" and the case's overdue appeal and departure deadlines, to the
    # caseworker on admin, e-mail and pager (the applicant is not told of these; "overdue" is
    # for staff)
    assert created == (5 + 2) * 3
    assert Reminder.objects.filter(channel="pager").count() == 7
    again, created_again = _sweep_statements(timezone.now())
    assert (len(again), created_again) == (len(statements), 0)


def test_a_reminder_kind_at_remind_from_fires_from_the_rows_own_date_until_due(unit, caseworker):
    """``on_remind_from``: a date the source computed (here set on the row), not an offset."""
    spec = deadlines.register(
        deadlines.DeadlineSource(
            key="tests.calendar",
            label="test",
            reminders=(deadlines.on_remind_from(to=(deadlines.STAFF,)),),
        )
    )
    try:
        due = timezone.now() + dt.timedelta(days=40)
        deadline = deadline_set(source=spec.key, object_id=1, due_at=due, recipient_user=caseworker)
        Deadline.objects.filter(pk=deadline.pk).update(remind_from=due - dt.timedelta(days=30))
        assert reminders_create_due(now=due - dt.timedelta(days=31)).total == 0
        assert reminders_create_due(now=due - dt.timedelta(days=30)).counts == {
            (spec.key, "soon"): 2
        }
        Reminder.objects.filter(deadline=deadline).delete()
        assert reminders_create_due(now=due + dt.timedelta(seconds=1)).total == 0
    finally:
        deadlines.unregister(spec.key)


def _status_form(app, born) -> dict:
    return {
        "reference": app.reference,
        "day": str(born.day),
        "month": str(born.month),
        "year": str(born.year),
    }


@pytest.mark.django_db
def test_a_status_lookup_reads_the_case_once(client, settings):
    """One statement reads the case, the applicant's birth date and the next interview; then
    (inside the test's transaction; see the next test for production) the lookup log row and
    the residence provider's placement (reception), and one statement reading both waiting
    figures that beat keeps (never computing them): 4 in all, where the first profile found 5
    and the waiting figures were computed by the first lookup after they expired."""
    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "1000/h"
    born = dt.date(1990, 3, 15)
    app = ApplicationFactory(person=PersonFactory(date_of_birth=born), state=State.SUBMITTED)
    InterviewFactory(application=app, location="UDI, Oslo")
    client.post("/status/", _status_form(app, born))  # the first request loads templates
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born))
    assert "Your asylum interview is on" in response.content.decode()
    assert "UDI, Oslo" in response.content.decode()
    sql = [q["sql"] for q in ctx.captured_queries]
    figures = [s for s in sql if '"casework_waitingfigure"' in s]
    assert len(figures) == 1, sql
    sql = [s for s in sql if s not in figures]
    assert sum('FROM "casework_application"' in s for s in sql) == 1, sql
    assert not any('FROM "casework_interview"' in s.split(" LEFT JOIN ")[0] for s in sql), sql
    assert len(sql) <= 3, sql
    # A wrong birth date runs the same one statement and writes the same log row.
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born + dt.timedelta(days=1)))
    assert "We could not find a case" in response.content.decode()
    assert len(ctx.captured_queries) == 2


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_a_lookup_and_its_log_row_are_one_statement(client, settings):
    """Outside a transaction (as in production) the lookup statement writes the log row too,
    committed asynchronously for that statement only, and reads the waiting figures beat
    keeps and reception's placement (only when the birth date is right): 1 statement for a
    found case as for a wrong birth date, and the row says which."""
    from casework.models import StatusLookup

    settings.STATUS_RATE_LIMIT = settings.STATUS_REFERENCE_RATE_LIMIT = "1000/h"
    born = dt.date(1990, 3, 15)
    app = ApplicationFactory(person=PersonFactory(date_of_birth=born), state=State.SUBMITTED)
    client.post("/status/", _status_form(app, born))  # the first request loads templates
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born))
    assert app.display_reference in response.content.decode()
    sql = [q["sql"] for q in ctx.captured_queries]
    assert len(sql) == 1, _listing(sql)
    assert 'INSERT INTO "casework_statuslookup"' in sql[0], _listing(sql)
    assert '"casework_waitingfigure"' in sql[0] and '"casework_queueday"' in sql[0]
    assert '"reception_placement"' in sql[0]
    assert "cases are still waiting before yours" in response.content.decode() or (
        "case is still waiting before yours" in response.content.decode()
    )
    with CaptureQueriesContext(connection) as ctx:
        response = client.post("/status/", _status_form(app, born + dt.timedelta(days=1)))
    assert "We could not find a case" in response.content.decode()
    assert len(ctx.captured_queries) == 1, _listing([q["sql"] for q in ctx.captured_queries])
    # Outside CaptureQueriesContext the statement is prepared (casework.statements): same rows.
    response = client.post("/status/", _status_form(app, born + dt.timedelta(days=2)))
    assert "We could not find a case" in response.content.decode()
    outcomes = list(StatusLookup.objects.order_by("id").values_list("outcome", flat=True))
    assert outcomes == ["found", "found", "not_found", "not_found"]
    with connection.cursor() as cursor:  # the connection's other writes stay synchronous
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
