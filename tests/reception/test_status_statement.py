"""The status page's residence line reads, through its statement compiled once, the centre
and municipality the ORM reads: placed, moved on, never placed."""

from __future__ import annotations

import datetime as dt

import pytest

from reception.models import Placement
from reception.status import _placement_sql, residence_lines
from tests.factories import ApplicationFactory, PersonFactory
from tests.reception.factories import PlacementFactory

pytestmark = pytest.mark.django_db


def _orm_names(person_id: int) -> tuple[str, str] | None:
    return (
        Placement.objects.filter(person_id=person_id, end__isnull=True)
        .values_list("centre__name", "centre__municipality__name")
        .first()
    )


def test_the_residence_line_names_what_the_orm_reads(centre, arrival_centre):
    placed, moved, left, never = (PersonFactory() for _ in range(4))
    PlacementFactory(person=placed, centre=centre)
    start = dt.date(2026, 1, 1)
    PlacementFactory(person=moved, centre=arrival_centre, start=start, end=start.replace(day=9))
    PlacementFactory(person=moved, centre=centre, start=start.replace(day=9))
    PlacementFactory(person=left, centre=arrival_centre, start=start, end=start.replace(day=9))
    PlacementFactory(person=PersonFactory(), centre=arrival_centre)  # someone else's
    for person, names in (
        (placed, (centre.name, centre.municipality.name)),
        (moved, (centre.name, centre.municipality.name)),
        (left, None),
        (never, None),
    ):
        assert _orm_names(person.pk) == names, person
        application = ApplicationFactory(person=person)
        lines = residence_lines(application=application)
        if names is None:
            assert lines == []
        else:
            assert lines == [f"Your reception centre: {names[0]}, {names[1]}."]


def test_the_statement_is_the_orms_own_with_the_person_as_its_only_parameter():
    query = (
        Placement.objects.filter(person_id=7, end__isnull=True)
        .order_by()
        .values_list("centre__name", "centre__municipality__name")[:1]
    )
    sql, params = query.query.sql_with_params()
    assert (_placement_sql("default"), params) == (sql, (7,))


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_on_postgresql_the_lookup_statement_reads_the_same_line(centre, arrival_centre):
    """The status lookup's own statement reads the placement (the provider's statement as a
    ``LATERAL``): the lines are those the provider reads itself, and asking for them then
    costs no statement."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from casework.models import StatusLookup
    from casework.status import hooks
    from casework.status.selectors import application_for_applicant

    born = dt.date(1990, 3, 15)
    placed, left, never = (PersonFactory(date_of_birth=born) for _ in range(3))
    PlacementFactory(person=placed, centre=centre)
    start = dt.date(2026, 1, 1)
    PlacementFactory(person=left, centre=arrival_centre, start=start, end=start.replace(day=9))
    for person in (placed, left, never):
        application = ApplicationFactory(person=person, state="submitted")
        log = StatusLookup(client_network="10.0.0.0/24", language="en")
        with CaptureQueriesContext(connection) as ctx:
            found = application_for_applicant(
                reference=application.reference, date_of_birth=born, log=log
            )
            lines = hooks.residence_lines(application=found)
        assert len(ctx.captured_queries) == 1, person
        assert lines == residence_lines(application=application)
        assert bool(lines) == (person is placed)
