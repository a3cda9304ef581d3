"""The decision's prepared statements (casework.statements) write and read what the ORM and
django-simple-history would: the same rows, the same history row, the same instances."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction
from django.db.models.signals import post_save, pre_save
from django.utils import timezone
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.applications.statements import application_locked
from casework.audit.history import save_with_history
from casework.core.statements import distinct_values, insert, locked_ids
from casework.models import Application, AuditEvent, Decision
from tests.factories import ApplicationFactory, AuditEventFactory

pytestmark = pytest.mark.django_db

SAME_EXCEPT = {"history_id", "history_date", "interview_waived_reason"}


def _history_values(row) -> dict:
    return {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname not in SAME_EXCEPT
    }


def test_the_history_row_is_the_one_simple_history_writes(caseworker):
    app = ApplicationFactory(state=State.EXAMINED, assigned_to=caseworker)
    before = Application.objects.get(pk=app.pk).updated_at
    app.interview_waived_reason = "written by save_with_history"
    with transaction.atomic():
        save_with_history(app, ["interview_waived_reason"])
    saved = Application.objects.get(pk=app.pk)  # the field saved, updated_at (auto_now) moved
    assert saved.interview_waived_reason == "written by save_with_history"
    assert saved.updated_at == app.updated_at > before
    ours = app.history.latest("history_id")
    app.interview_waived_reason = "written by save()"
    app.save()  # simple-history's own path
    theirs = app.history.latest("history_id")
    assert ours.history_id != theirs.history_id
    assert ours.interview_waived_reason == "written by save_with_history"
    assert _history_values(ours) == _history_values(theirs)
    assert ours.history_type == "~" and ours.history_user_id is None
    assert ours.history_change_reason is None
    assert abs(ours.history_date - timezone.now()) < dt.timedelta(minutes=1)
    assert app.history.count() == 3  # created, ours, theirs


def test_the_history_row_names_the_request_user_and_the_change_reason(rf, caseworker, decider):
    app = ApplicationFactory(state=State.EXAMINED, assigned_to=caseworker, kind="collective")
    request = rf.post("/")
    request.user = decider
    HistoricalRecords.context.request = request  # what simple-history's middleware does
    try:
        application_decide(
            actor=decider, application=app, outcome="collective", grounds="Temporary."
        )
    finally:
        del HistoricalRecords.context.request
    row = app.history.latest("history_id")
    assert (row.state, row.history_type, row.history_user_id) == (State.ACCEPTED, "~", decider.pk)
    app.refresh_from_db()
    app._change_reason = "corrected"
    app.interview_waived_reason = "x"
    with transaction.atomic():
        save_with_history(app, ["interview_waived_reason"])
    assert app.history.latest("history_id").history_change_reason == "corrected"


def test_with_receivers_of_simple_historys_signals_it_saves_through_the_orm(caseworker):
    app = ApplicationFactory(state=State.EXAMINED, assigned_to=caseworker)
    heard = []

    def receiver(sender, history_instance, **kwargs):
        heard.append(history_instance.interview_waived_reason)

    pre_create_historical_record.connect(receiver, sender=Application.history.model)
    try:
        app.interview_waived_reason = "heard"
        with transaction.atomic():
            save_with_history(app, ["interview_waived_reason"])
    finally:
        pre_create_historical_record.disconnect(receiver, sender=Application.history.model)
    assert heard == ["heard"]
    assert app.history.latest("history_id").interview_waived_reason == "heard"


def test_the_rows_written_without_save_have_no_save_receivers_to_miss():
    """``save_with_history`` and ``insert`` send no ``pre_save``/``post_save``: a receiver
    added later for these models must be called from there too (or they must use save())."""
    for model in (AuditEvent, Decision):
        assert not pre_save.has_listeners(model) and not post_save.has_listeners(model), model
    assert not pre_save.has_listeners(Application)
    sync, asynchronous = post_save._live_receivers(Application)
    assert not asynchronous
    # Only simple-history's own receiver (casework's IndexedHistoricalRecords is one).
    assert len(sync) == 1 and isinstance(getattr(sync[0], "__self__", None), HistoricalRecords)


def test_the_locked_case_is_what_the_orm_reads(caseworker):
    app = ApplicationFactory(
        state=State.REJECTED,
        assigned_to=caseworker,
        decided_at=timezone.now(),
        appeal_deadline=timezone.now() + dt.timedelta(weeks=3),
    )
    orm = Application.objects.select_related("person").get(pk=app.pk)
    with transaction.atomic():
        locked = application_locked(app.pk)
        assert application_locked(app.pk + 1000) is None
    for f in Application._meta.concrete_fields:
        assert getattr(locked, f.attname) == getattr(orm, f.attname), f.name
    for f in type(orm.person)._meta.concrete_fields:
        assert getattr(locked.person, f.attname) == getattr(orm.person, f.attname), f.name
    assert locked.person is locked.person  # cached, no query
    assert not locked._state.adding and locked._state.db == "default"


def test_insert_writes_the_row_save_would(decider):
    app = ApplicationFactory()
    event = insert(
        AuditEvent(
            application=app,
            person_id=app.person_id,
            actor=decider,
            action="test",
            changes={"a": [1, "b"], "when": "2026-01-01"},
        )
    )
    assert event.pk is not None and not event._state.adding
    read = AuditEvent.objects.get(pk=event.pk)
    assert (read.action, read.changes, read.actor_id, read.at) == (
        "test",
        {"a": [1, "b"], "when": "2026-01-01"},
        decider.pk,
        event.at,
    )


def test_locked_ids_are_the_rows_the_filter_finds(caseworker):
    a = ApplicationFactory(state=State.EXAMINED, assigned_to=caseworker)
    ApplicationFactory(state=State.SUBMITTED, assigned_to=caseworker)
    with transaction.atomic():
        assert locked_ids(Application, assigned_to=caseworker.pk, state=State.EXAMINED) == [a.pk]
        assert locked_ids(Application, assigned_to=caseworker.pk, state=State.ACCEPTED) == []


def _prepared_statements() -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


DECISION_STATEMENTS = (
    'WITH updated AS (UPDATE "casework_application"',
    'SELECT "casework_application"."id"',
)


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("prepare", [True, False], ids=["prepared", "bound-on-the-client"])
def test_on_postgresql_a_decisions_statements_are_prepared_once_unless_turned_off(
    prepare, caseworker, decider, settings
):
    """``DB_SERVER_SIDE_PREPARE`` on: the decision's statements are prepared on the server
    once per connection. Off (behind a transaction pooler that keeps no prepared statements):
    nothing is prepared, and the decision writes the same rows."""
    from django.db import connection

    if prepare and connection.settings_dict["OPTIONS"].get("prepare_threshold") is None:
        pytest.skip(
            "this run's connections prepare nothing (DB_SERVER_SIDE_PREPARE=0 in the "
            "environment, as behind PgBouncer older than 1.21): the 'on' path runs without it"
        )
    settings.DB_SERVER_SIDE_PREPARE = prepare
    connection.close()  # a new session: nothing of earlier tests' is prepared on it
    with transaction.atomic():  # one server session throughout, behind a pooler too
        before = set(_prepared_statements())
        for _ in range(2):
            app = ApplicationFactory(
                state=State.EXAMINED, assigned_to=caseworker, kind="collective"
            )
            application_decide(
                actor=decider, application=app, outcome="collective", grounds="Temporary."
            )
        prepared = set(_prepared_statements()) - before
    found = [p for p in DECISION_STATEMENTS if any(s.startswith(p) for s in prepared)]
    assert found == (list(DECISION_STATEMENTS) if prepare else []), prepared
    assert app.decisions.get().outcome == "collective"
    assert app.history.first().history_type == "~"
    assert AuditEvent.objects.filter(application=app, action="accept").count() == 1


def test_distinct_values_are_what_the_orm_finds(caseworker):
    """The index walk lists each action once, ascending, as ``SELECT DISTINCT`` does; an
    empty table gives nothing (its ``MIN`` is null)."""
    assert distinct_values(AuditEvent, "action") == []
    app = ApplicationFactory()
    for action in ("reject", "assigned", "reject", "lodged", "assigned", "work_permit.grant"):
        AuditEventFactory(application=app, action=action)
    orm = sorted(AuditEvent.objects.order_by().values_list("action", flat=True).distinct())
    assert distinct_values(AuditEvent, "action") == orm
    assert orm == ["assigned", "lodged", "reject", "work_permit.grant"]
