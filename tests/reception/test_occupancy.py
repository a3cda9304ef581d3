"""Occupancy by centre, county and status on a fixture with known answers, across 2023/2024."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.applications.choices import State
from reception.selectors import occupancy_report, placements_by_county, resolve_county
from tests.factories import ApplicationFactory, AuditEventFactory, PersonFactory
from tests.reception.factories import PlacementFactory, ReceptionCentreFactory, municipality

pytestmark = pytest.mark.django_db

D2023 = dt.date(2023, 10, 1)
D2024 = dt.date(2024, 3, 1)


def resident(centre, start, end=None, state=State.EXAMINED):
    person = PersonFactory()
    ApplicationFactory(person=person, state=state, lodged_on=dt.date(2023, 1, 5))
    return PlacementFactory(person=person, centre=centre, start=start, end=end)


@pytest.fixture
def landscape(db):
    """Råde (Viken -> Østfold), Drammen (Viken -> Buskerud), Bergen (Vestland).

    In 2023: 3 placements in Råde, 1 in Drammen, 2 in Bergen.
    In 2024: 2 placements in Råde, 2 in Drammen (one a transfer from Råde), 1 in Bergen.
    """
    rade = ReceptionCentreFactory(
        name="Råde arrival", kind="arrival", municipality=municipality("Råde"), capacity=20
    )
    drammen = ReceptionCentreFactory(
        name="Drammen ordinary", municipality=municipality("Drammen"), capacity=4
    )
    bergen = ReceptionCentreFactory(
        name="Bergen ordinary", municipality=municipality("Bergen"), capacity=3
    )
    # 2023
    resident(rade, dt.date(2023, 3, 1), dt.date(2023, 3, 20))
    resident(rade, dt.date(2023, 9, 25), dt.date(2023, 10, 10))
    moved = resident(rade, dt.date(2023, 12, 28), dt.date(2024, 1, 5))
    resident(drammen, dt.date(2023, 6, 1), state=State.REJECTED)
    resident(bergen, dt.date(2023, 5, 1), state=State.ACCEPTED)
    resident(bergen, dt.date(2023, 9, 1))
    # 2024
    PlacementFactory(person=moved.person, centre=drammen, start=dt.date(2024, 1, 5))
    resident(rade, dt.date(2024, 2, 25))
    resident(rade, dt.date(2024, 2, 26), state=State.ACCEPTED)
    resident(drammen, dt.date(2024, 2, 1), state=State.REJECTED)
    resident(bergen, dt.date(2024, 2, 10), dt.date(2024, 2, 20))
    return {"rade": rade, "drammen": drammen, "bergen": bergen}


def as_dict(rows):
    return {r["county"]: r["placements"] for r in rows}


def test_placements_by_county_2023_names_viken(landscape):
    report = placements_by_county(year=2023)
    assert as_dict(report.rows) == {"Viken": 4, "Vestland": 2}


def test_placements_by_county_2024_names_the_successors(landscape):
    report = placements_by_county(year=2024)
    assert as_dict(report.rows) == {"Østfold": 2, "Buskerud": 2, "Vestland": 1}


def test_viken_in_2024_answers_with_its_successors(landscape):
    report = placements_by_county(year=2024, county="Viken")
    assert as_dict(report.rows) == {"Akershus": 0, "Buskerud": 2, "Østfold": 2}
    assert "Viken existed until 31 Dec 2023" in report.note
    assert "Akershus, Buskerud and Østfold" in report.note


def test_buskerud_in_2023_answers_with_viken(landscape):
    report = placements_by_county(year=2023, county="Buskerud")
    assert as_dict(report.rows) == {"Viken": 4}
    assert "part of Viken" in report.note


def test_unknown_county_is_said_so():
    assert resolve_county(name="Atlantis", on=D2024).note == "There is no county called Atlantis."


def test_occupancy_on_a_day_in_2023(landscape):
    report = occupancy_report(on=D2023)
    centres = {c["name"]: (c["county"], c["occupied"], c["free_beds"]) for c in report.by_centre}
    assert centres == {
        "Råde arrival": ("Viken", 1, 19),
        "Drammen ordinary": ("Viken", 1, 3),
        "Bergen ordinary": ("Vestland", 2, 1),
    }
    assert {c["county"]: c["occupied"] for c in report.by_county} == {"Viken": 2, "Vestland": 2}
    assert report.by_status == {
        "waiting": 2,
        "awaiting_settlement": 1,
        "obliged_to_leave": 1,
        "other": 0,
    }
    assert report.total == 4


def test_occupancy_on_a_day_in_2024(landscape):
    report = occupancy_report(on=D2024)
    centres = {c["name"]: (c["county"], c["occupied"], c["free_beds"]) for c in report.by_centre}
    assert centres == {
        "Råde arrival": ("Østfold", 2, 18),
        "Drammen ordinary": ("Buskerud", 3, 1),
        "Bergen ordinary": ("Vestland", 2, 1),
    }
    drammen = next(c for c in report.by_centre if c["name"] == "Drammen ordinary")
    assert drammen["by_status"] == {"obliged_to_leave": 2, "waiting": 1}
    assert report.by_status["awaiting_settlement"] == 2


def test_occupancy_for_viken_in_2024_shows_successors(landscape):
    report = occupancy_report(on=D2024, county="Viken")
    assert sorted(c["county"] for c in report.by_county) == ["Buskerud", "Østfold"]
    assert report.total == 5
    assert "Akershus, Buskerud and Østfold" in report.note


def test_transfer_day_counts_in_the_new_centre_only(landscape):
    report = occupancy_report(on=dt.date(2024, 1, 5))
    occupied = {c["name"]: c["occupied"] for c in report.by_centre}
    assert occupied["Råde arrival"] == 0
    assert occupied["Drammen ordinary"] == 2


def test_status_is_taken_as_it_was_on_the_day(db):
    """Accepted on 1 March 2024: waiting for a decision in February, awaiting settlement after."""
    centre = ReceptionCentreFactory(municipality=municipality("Bergen"))
    placement = resident(centre, dt.date(2024, 1, 10), state=State.ACCEPTED)
    app = placement.person.applications.get()
    tz = timezone.get_current_timezone()
    for day, state in ((dt.date(2023, 1, 5), "submitted"), (dt.date(2024, 3, 1), "accepted")):
        AuditEventFactory(
            application=app,
            person=placement.person,
            target_state=state,
            at=dt.datetime.combine(day, dt.time(12), tzinfo=tz),
        )
    assert occupancy_report(on=dt.date(2024, 2, 15)).by_status["waiting"] == 1
    assert occupancy_report(on=dt.date(2024, 3, 1)).by_status["awaiting_settlement"] == 1


def test_an_integration_event_on_the_case_does_not_change_the_resident_status(db):
    """A work permit granted on an examined case: the resident is still waiting for a decision
    (the permit's own state is not the asylum case's)."""
    centre = ReceptionCentreFactory(municipality=municipality("Bergen"))
    placement = resident(centre, dt.date(2024, 1, 10), state=State.EXAMINED)
    app = placement.person.applications.get()
    tz = timezone.get_current_timezone()
    for day, action, state in (
        (dt.date(2024, 1, 5), "start_examination", "examined"),
        (dt.date(2024, 2, 1), "work_permit.grant", "granted"),
    ):
        AuditEventFactory(
            application=app,
            person=placement.person,
            action=action,
            target_state=state,
            at=dt.datetime.combine(day, dt.time(12), tzinfo=tz),
        )
    assert occupancy_report(on=dt.date(2024, 2, 15)).by_status["waiting"] == 1
