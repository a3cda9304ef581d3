"""Reception and integration tables on hand-made records with known answers."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.statistics import tables as statistics
from integration.models import WorkPermitPeriod
from tests.factories import ApplicationFactory, PersonFactory
from tests.integration.factories import FamilyReunificationFactory, WorkPermitFactory
from tests.reception.factories import (
    MunicipalityQuotaFactory,
    PlacementFactory,
    ReceptionCentreFactory,
    SettlementFactory,
    municipality,
)

pytestmark = pytest.mark.django_db
UTC = dt.UTC


def _settle(name: str, day: str, kind: str = "collective"):
    app = ApplicationFactory(kind=kind, state="accepted", person=PersonFactory(nationality="UA"))
    return SettlementFactory(
        application=app, municipality=municipality(name), settled_on=dt.date.fromisoformat(day)
    )


def test_collective_protection_by_county_uses_the_county_of_that_year():
    _settle("Drammen", "2023-05-01")
    _settle("Drammen", "2023-09-01")
    _settle("Bergen", "2023-06-01")
    _settle("Drammen", "2024-02-01")
    _settle("Bergen", "2023-06-02", kind="protection")  # not collective protection
    t2023 = statistics.table("collective-protection-by-county", year=2023)
    assert [(r["county"], r["received"]) for r in t2023.rows] == [("Viken", 2), ("Vestland", 1)]
    assert t2023.rows[1]["per_1000"] == round(1000 / 641_000, 1)
    t2024 = statistics.table("collective-protection-by-county", year=2024)
    assert [(r["county"], r["received"]) for r in t2024.rows] == [("Buskerud", 1)]


def test_settlement_against_quota():
    MunicipalityQuotaFactory(municipality=municipality("Bergen"), year=2023, places=10)
    _settle("Bergen", "2023-06-01")
    _settle("Bergen", "2023-07-01", kind="protection")
    _settle("Drammen", "2023-07-01")
    by_m = {
        r["municipality"]: r for r in statistics.table("settlement-by-municipality", year=2023).rows
    }
    assert (by_m["Bergen"]["quota"], by_m["Bergen"]["settled"], by_m["Bergen"]["share"]) == (
        10,
        2,
        20.0,
    )
    assert (by_m["Drammen"]["quota"], by_m["Drammen"]["settled"]) == (None, 1)
    by_c = {r["county"]: r for r in statistics.table("settlement-by-county", year=2023).rows}
    assert (by_c["Vestland"]["quota"], by_c["Vestland"]["settled"]) == (10, 2)
    assert by_c["Viken"]["settled"] == 1


def test_residents_by_centre_county_and_status():
    centre = ReceptionCentreFactory(name="Bergen mottak", capacity=10)
    waiting = ApplicationFactory(state="submitted")
    PlacementFactory(person=waiting.person, centre=centre)
    granted = ApplicationFactory(state="accepted")
    PlacementFactory(person=granted.person, centre=centre)
    by_centre = statistics.table("reception-residents-by-centre").rows
    assert [(r["centre"], r["county"], r["occupied"], r["free_beds"]) for r in by_centre] == [
        ("Bergen mottak", "Vestland", 2, 8)
    ]
    status = {
        r["status"]: r["residents"] for r in statistics.table("reception-residents-by-status").rows
    }
    assert status["waiting for a decision"] == 1
    assert status["granted, waiting for settlement"] == 1
    county = statistics.table("reception-residents-by-county").rows
    assert [(r["county"], r["occupied"]) for r in county] == [("Vestland", 2)]


def test_work_permits_granted_by_year_and_kind():
    permit = WorkPermitFactory(state="granted")
    other = WorkPermitFactory(state="granted")
    day = dt.date(2023, 3, 1)
    for p, kind, when in [
        (permit, "first", dt.datetime(2023, 3, 1, 12, tzinfo=UTC)),
        (permit, "renewal", dt.datetime(2023, 9, 1, 12, tzinfo=UTC)),
        (other, "first", dt.datetime(2023, 4, 1, 12, tzinfo=UTC)),
        (other, "renewal", dt.datetime(2024, 4, 1, 12, tzinfo=UTC)),
    ]:
        WorkPermitPeriod.objects.create(
            permit=p, kind=kind, valid_from=day, valid_until=day, granted_at=when
        )
    rows = statistics.table("work-permits-granted", year=2023).rows
    assert sum(r["first"] for r in rows) == 2
    assert sum(r["renewal"] for r in rows) == 1
    assert sum(r["total"] for r in rows) == 3


def test_family_reunification_decisions_by_relation():
    decided = dt.datetime(2023, 5, 1, 12, tzinfo=UTC)
    FamilyReunificationFactory(state="accepted", relation="child", decided_at=decided)
    FamilyReunificationFactory(state="accepted", relation="child", decided_at=decided)
    FamilyReunificationFactory(state="rejected", relation="spouse", decided_at=decided)
    FamilyReunificationFactory(state="submitted", relation="spouse")
    rows = {
        r["relation"]: r for r in statistics.table("family-reunification-decisions", year=2023).rows
    }
    assert (rows["child under 18"]["accepted"], rows["child under 18"]["total"]) == (2, 2)
    assert (
        rows["spouse or registered partner"]["rejected"],
        rows["spouse or registered partner"]["total"],
    ) == (1, 1)
