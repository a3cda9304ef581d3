"""Resettlement arrivals imported in bulk count against their year's quota (never beyond
it), and the statistics table shows the places used and remaining by year."""

from __future__ import annotations

import io

import pytest

from casework.intake.imports import arrivals_import
from casework.models import Application, ResettlementQuota, ResettlementReferral
from casework.resettlement import services
from casework.statistics.tables import resettlement_quota

from .conftest import referral

pytestmark = pytest.mark.django_db

HEADER = (
    "external_id,given_name,family_name,date_of_birth,nationality,sex,kind,arrival_date,"
    "unhcr_reference\n"
)


def _import(text: str, actor):
    return arrivals_import(stream=io.StringIO(text), actor=actor)


def test_imported_resettlement_arrivals_count_against_the_quota_and_stop_at_it(decider, registrar):
    services.quota_set(actor=decider, year=2025, places=2, source="Vårt Land", verified=True)
    result = _import(
        HEADER
        + "r1,Huda,Khalil,1990-01-01,SY,female,resettlement,2025-03-01,LBN-25C001\n"
        + "r2,Omar,Khalil,1988-01-01,SY,male,resettlement,2025-03-01,\n"
        + "r3,Nour,Khalil,2015-01-01,SY,female,resettlement,2025-03-02,LBN-25C003\n"
        + "p1,Ali,Aziz,1991-01-01,IQ,male,protection,2025-03-02,IGNORED-1\n"
        + "r4,Sami,Saleh,1999-01-01,SY,male,resettlement,2024-11-02,LBN-25C001\n",
        registrar,
    )
    messages = sorted(f"line {e.line}: {e.field}: {e.reason}" for e in result.errors)
    assert messages == [
        "line 4: kind: the resettlement quota of 2025 is full",
        "line 6: unhcr_reference: already registered",
    ]
    assert result.created == 3
    resettled = Application.objects.filter(kind="resettlement").order_by("external_id")
    assert [a.external_id for a in resettled] == ["r1", "r2"]
    referrals = ResettlementReferral.objects.order_by("application__external_id")
    assert [
        (r.state, r.quota_year, r.unhcr_reference, r.application.external_id) for r in referrals
    ] == [
        ("arrived", 2025, "LBN-25C001", "r1"),
        ("arrived", 2025, "", "r2"),
    ]
    assert ResettlementQuota.objects.get(year=2025).taken == 2
    assert not ResettlementReferral.objects.filter(application__kind="protection").exists()
    # imported again: nothing new, no place taken twice
    again = _import(
        HEADER + "r1,Huda,Khalil,1990-01-01,SY,female,resettlement,2025-03-01,\n", registrar
    )
    assert again.created == 0 and ResettlementQuota.objects.get(year=2025).taken == 2


def test_the_table_shows_places_used_and_remaining_by_year(caseworker, decider, registrar, year):
    services.quota_set(actor=decider, year=year, places=3, source="budget [U]")
    selected, arriving = referral(caseworker), referral(caseworker)
    for r in (selected, arriving):
        services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    services.referral_transition(
        actor=registrar, referral=arriving, name="record_arrival", arrived_on=arriving.referral_date
    )
    referral(caseworker)  # referred, not selected: no place
    _import(HEADER + "x1,Abdi,Farah,1980-01-01,SO,male,resettlement,2023-05-05,\n", registrar)
    table = resettlement_quota()
    assert [r for r in table.rows] == [
        {
            "year": year,
            "quota": 3,
            "selected": 1,
            "arrived": 1,
            "used": 2,
            "remaining": 1,
            "source": "budget [U]",
            "verified": "no",
        },
        {
            "year": 2023,
            "quota": None,
            "selected": 0,
            "arrived": 1,
            "used": 1,
            "remaining": None,
            "source": "",
            "verified": "no",
        },
    ]
    assert [r["year"] for r in resettlement_quota(year=2023).rows] == [2023]
