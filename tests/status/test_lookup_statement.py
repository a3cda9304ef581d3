"""The status lookup's hand-built statement reads what the ORM reads, field by field, and its
PostgreSQL form writes the log row ``save()`` writes, column by column."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
import time_machine
from django.db import transaction

from casework.applications.models import Application, Interview
from casework.people.identity import format_reference, new_reference, parse_reference
from casework.status.models import StatusLookup
from casework.status.selectors import STATUS_PAGE_FIELDS, application_for_applicant
from tests.factories import ApplicationFactory, PersonFactory

NOW = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _orm_lookup(reference: str, born: dt.date | None, now: dt.datetime) -> Any:
    """The lookup with the ORM: the case by reference with its person, the birth date
    compared, then the next interview still to come (earliest, then lowest key)."""
    canonical = parse_reference(reference)
    app = Application.objects.select_related("person").filter(reference=canonical).first()
    if app is None or canonical is None or born is None or app.person.date_of_birth != born:
        return None
    interview = (
        Interview.objects.filter(
            application=app, cancelled=False, held_at__isnull=True, scheduled_at__gte=now
        )
        .order_by("scheduled_at", "pk")
        .first()
    )
    return app, interview


def _interview(app: Application, at: dt.datetime, **values: Any) -> Interview:
    return Interview.objects.create(
        application=app, scheduled_at=at, location=values.pop("location", "UDI, Oslo"),
        language="ar", **values,
    )  # fmt: skip


def _log_row() -> StatusLookup:
    return StatusLookup(client_network="198.51.100.0/24", reference_hash="h", language="nb")


def _cases() -> list[tuple[str, dt.date | None]]:
    """An interview to come (ties broken by key), past/held/cancelled ones only, none at all;
    and the ways of not finding: wrong birth date, none, unknown and malformed references."""
    born = dt.date(1990, 3, 15)
    coming = ApplicationFactory(person=PersonFactory(date_of_birth=born), state="examined")
    _interview(coming, NOW - HOUR)  # past
    _interview(coming, NOW + HOUR, cancelled=True)
    _interview(coming, NOW + HOUR, held_at=NOW)
    _interview(coming, NOW + 2 * HOUR, location="second of two at the same time")
    _interview(coming, NOW + 2 * HOUR, location="never: the same time, a higher key")
    _interview(coming, NOW + 3 * HOUR)
    at_now = ApplicationFactory(person=PersonFactory(date_of_birth=born))
    _interview(at_now, NOW, interpreter=False)  # scheduled exactly now: still to come
    only_past = ApplicationFactory(person=PersonFactory(date_of_birth=born), is_final=True)
    _interview(only_past, NOW - HOUR)
    _interview(only_past, NOW + HOUR, cancelled=True)
    none = ApplicationFactory(person=PersonFactory(date_of_birth=born))
    ref = coming.reference
    return [
        (ref, born),
        (format_reference(ref).lower(), born),  # as typed
        (at_now.reference, born),
        (only_past.reference, born),
        (none.reference, born),
        (ref, born + dt.timedelta(days=1)),
        (ref, None),
        (new_reference(), born),
        ("not a reference", born),
        ("", None),
    ]


@pytest.mark.django_db
def test_the_lookup_reads_what_the_orm_reads():
    for reference, born in _cases():
        with time_machine.travel(NOW, tick=False):
            ours_log, orm_log = _log_row(), _log_row()
            ours = application_for_applicant(
                reference=reference, date_of_birth=born, now=NOW, log=ours_log
            )
            theirs = _orm_lookup(reference, born, NOW)
        case = (reference, born)
        assert (ours is None) == (theirs is None), case
        orm_log.outcome = "not_found" if theirs is None else "found"
        assert ours_log.outcome == orm_log.outcome and ours_log.pk is not None, case
        if ours is None:
            continue
        app, interview = theirs
        for name in STATUS_PAGE_FIELDS:
            attname = Application._meta.get_field(name).attname
            assert getattr(ours, attname) == getattr(app, attname), (case, name)
        loaded = {Application._meta.get_field(name).attname for name in STATUS_PAGE_FIELDS}
        every = {f.attname for f in Application._meta.concrete_fields}
        assert ours.get_deferred_fields() == every - loaded
        shown = (ours.status_interview_at, ours.status_interview_place)
        shown += (ours.status_interview_interpreter,)
        expected = (None, None, None)
        if interview is not None:
            expected = (interview.scheduled_at, interview.location, interview.interpreter)
        assert shown == expected, case
        assert ours.status_interview_place != "never: the same time, a higher key"


def _log_columns(row: StatusLookup) -> dict[str, Any]:
    return {f.attname: getattr(row, f.attname) for f in StatusLookup._meta.concrete_fields}


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_statement_writes_the_log_row_save_writes():
    """Outside a transaction PostgreSQL writes the log row in the lookup's own statement;
    inside one the row is saved by the ORM: the two rows are the same, column by column."""
    for reference, born in _cases():
        with time_machine.travel(NOW, tick=False):
            ours, theirs = _log_row(), _log_row()
            found = application_for_applicant(
                reference=reference, date_of_birth=born, now=NOW, log=ours
            )
            with transaction.atomic():  # the ORM path: the lookup, then log.save()
                found_too = application_for_applicant(
                    reference=reference, date_of_birth=born, now=NOW, log=theirs
                )
        assert (found is None) == (found_too is None), (reference, born)
        assert ours.pk is None  # written by the statement, not by save()
        [row] = StatusLookup.objects.exclude(pk=theirs.pk)
        saved = StatusLookup.objects.get(pk=theirs.pk)
        assert {**_log_columns(row), "id": None} == {**_log_columns(saved), "id": None}
        assert row.outcome == ("found" if found else "not_found")
        StatusLookup.objects.all().delete()
