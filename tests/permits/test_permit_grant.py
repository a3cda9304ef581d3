"""A decision's permit: on PostgreSQL its row, audit event and expiry deadline are one
statement (``statements.grant``); it writes what the ORM's way writes, column by column, and
a stale deadline row of the new permit's key is moved, not kept."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.db import connection
from django.forms.models import model_to_dict

from casework.deadlines.services import deadline_new
from casework.models import AuditEvent, Deadline
from casework.models import ResidencePermit as Permit
from casework.permits import statements
from casework.permits.deadlines import PERMIT_EXPIRY
from casework.permits.services import permit_expiry_open, permit_grant, permit_granted_rows
from casework.permits.terms import permit_terms
from tests.casework.reminder_helpers import OSLO
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO)
GRANTED = dt.date(2026, 3, 2)


def _case(caseworker):
    person = PersonFactory(nationality="UA", preferred_language="uk")
    return ApplicationFactory(
        person=person, kind="collective", state="accepted", assigned_to=caseworker
    )


def _rows(permit: Permit) -> dict:
    """What the grant wrote for ``permit``, without keys and the holder's own ids."""
    skip = {"id", "person", "application", "object_id", "actor"}

    def row(obj) -> dict:
        return {k: v for k, v in model_to_dict(obj).items() if k not in skip}

    event = AuditEvent.objects.get(action="permit.granted", person_id=permit.person_id)
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
    return {
        "permit": row(Permit.objects.get(pk=permit.pk)),
        "event": {**row(event), "changes": {**event.changes, "subject": "-"}},
        "subject": event.changes["subject"] == permit.audit_subject,
        "event_person": event.person_id == permit.person_id,
        "deadline": row(deadline),
        "deadline_person": deadline.person_id == permit.person_id,
        "reminders": deadline.reminders.count(),
    }


@pytest.mark.services("postgres")
def test_the_statement_writes_what_the_orm_writes(decider, caseworker):
    terms = permit_terms(outcome="collective", valid_from=GRANTED)
    with time_machine.travel(NOW, tick=False):
        by_statement = permit_grant(
            actor=decider, person=(app := _case(caseworker)).person, terms=terms, application=app
        )
        # the ORM's way, as ``permit_grant`` takes it on SQLite
        other = _case(caseworker)
        by_orm, event = permit_granted_rows(
            actor=decider, person=other.person, terms=terms, application=other
        )
        statements.grant_orm(by_orm, event)
        permit_expiry_open(by_orm, recipient_user=caseworker)
    written = _rows(by_statement)
    assert written == _rows(by_orm)
    assert written["subject"] and written["deadline_person"] and written["event_person"]
    assert written["deadline"]["recipient_user"] == caseworker.pk
    assert written["deadline"]["due_at"] == dt.datetime(2027, 3, 1, 23, 59, 59, tzinfo=OSLO)


@pytest.mark.services("postgres")
def test_a_stale_deadline_of_the_new_permit_s_key_is_moved_to_the_new_permit(caseworker):
    """A deadline row left for a key the permit sequence hands out again (a restored backup):
    the statement writes the permit and its event and leaves the row; ``deadline_set`` moves it
    to the new permit's expiry."""
    app = _case(caseworker)
    with connection.cursor() as cur:
        cur.execute("SELECT pg_get_serial_sequence(%s, 'id')", [Permit._meta.db_table])
        (sequence,) = cur.fetchone()
        cur.execute("SELECT nextval(%s)", [sequence])
        (key,) = cur.fetchone()
    stale = deadline_new(
        source=PERMIT_EXPIRY.key,
        object_id=key + 1,
        due_at=dt.datetime(2020, 1, 1, tzinfo=OSLO),
        person=app.person,
    )
    stale.closed_at = dt.datetime(2020, 1, 2, tzinfo=OSLO)
    stale.save()
    terms = permit_terms(outcome="collective", valid_from=GRANTED)
    with time_machine.travel(NOW, tick=False):
        permit = permit_grant(actor=None, person=app.person, terms=terms, application=app)
    assert permit.pk == key + 1
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
    assert deadline.pk == stale.pk
    assert deadline.closed_at is None
    assert deadline.due_at == dt.datetime(2027, 3, 1, 23, 59, 59, tzinfo=OSLO)
    assert deadline.cycle == stale.cycle + 1
    assert (
        AuditEvent.objects.filter(
            action="permit.granted", changes__subject=permit.audit_subject
        ).count()
        == 1
    )


def test_a_permit_whose_first_reminder_is_due_has_its_reminders_written_with_it(caseworker):
    """A permit granted late in its term (its expiry notice already due): its reminders are
    written with the deadline, on both databases."""
    app = _case(caseworker)
    terms = permit_terms(outcome="collective", valid_from=dt.date(2025, 4, 1))
    with time_machine.travel(NOW, tick=False):
        permit = permit_grant(actor=None, person=app.person, terms=terms, application=app)
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
    assert deadline.remind_from <= NOW
    assert deadline.reminders.exists()
