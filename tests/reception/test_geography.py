"""Counties across the 2024 reform, loaded by the data migration."""

from __future__ import annotations

import datetime as dt

import pytest

from reception.models import County, Municipality

pytestmark = pytest.mark.django_db

D2023 = dt.date(2023, 6, 30)
D2024 = dt.date(2024, 6, 30)


def test_eleven_counties_in_2023_and_fifteen_in_2024():
    names_2023 = set(County.objects.valid_on(D2023).values_list("name", flat=True))
    names_2024 = set(County.objects.valid_on(D2024).values_list("name", flat=True))
    assert len(names_2023) == 11
    assert len(names_2024) == 15
    assert {"Viken", "Vestfold og Telemark", "Troms og Finnmark"} <= names_2023
    assert not {"Østfold", "Akershus", "Buskerud"} & names_2023
    assert {"Østfold", "Akershus", "Buskerud", "Vestfold", "Telemark", "Troms", "Finnmark"} <= (
        names_2024
    )
    assert "Viken" not in names_2024


def test_split_counties_name_their_successors():
    viken = County.objects.get(name="Viken")
    assert viken.valid_to == dt.date(2023, 12, 31)
    assert sorted(viken.successors.values_list("name", flat=True)) == [
        "Akershus",
        "Buskerud",
        "Østfold",
    ]
    assert list(County.objects.get(name="Troms").predecessors.values_list("name", flat=True)) == [
        "Troms og Finnmark"
    ]


@pytest.mark.parametrize(
    ("name", "before", "after"),
    [
        ("Råde", ("Viken", "3017"), ("Østfold", "3112")),
        ("Bærum", ("Viken", "3024"), ("Akershus", "3201")),
        ("Drammen", ("Viken", "3005"), ("Buskerud", "3301")),
        ("Tromsø", ("Troms og Finnmark", "5401"), ("Troms", "5501")),
        ("Skien", ("Vestfold og Telemark", "3807"), ("Telemark", "4003")),
        ("Bergen", ("Vestland", "4601"), ("Vestland", "4601")),
        ("Oslo", ("Oslo", "0301"), ("Oslo", "0301")),
    ],
)
def test_municipality_county_and_number_in_both_periods(name, before, after):
    municipality = Municipality.objects.get(name=name)
    for day, (county, number) in ((D2023, before), (D2024, after)):
        period = municipality.periods.valid_on(day).select_related("county").get()
        assert (period.county.name, period.number) == (county, number)
    assert municipality.county_on(dt.date(2023, 12, 31)).name == before[0]
    assert municipality.county_on(dt.date(2024, 1, 1)).name == after[0]


def test_every_county_has_municipalities_in_its_period():
    for day in (D2023, D2024):
        for county in County.objects.valid_on(day):
            assert county.memberships.valid_on(day).exists(), (county.name, day)


def test_reception_demo_seed_places_people_by_the_rules_and_is_idempotent():
    from django.core.management import call_command

    from casework.applications.choices import ApplicationKind
    from casework.models import Person
    from reception.models import Placement, ReceptionCentre

    call_command("seed_demo", "--no-bulk")  # the hand-made demo people only
    call_command("seed_reception_demo")
    assert ReceptionCentre.objects.count() == 6
    first = Placement.objects.count()
    # every hand-made demo person with an application of their own in Norway (the demo
    # cases, and the Dublin, lawyers', returns' and vulnerability demos' people), each in a
    # centre that fits them; resettlement refugees are settled in a municipality instead
    applicants = (
        Person.objects.filter(is_demo=True, applications__isnull=False)
        .exclude(applications__kind=ApplicationKind.RESETTLEMENT)
        .distinct()
    )
    assert first == applicants.count() == 19
    assert not Placement.objects.filter(
        centre__kind="minors", person__date_of_birth__lt=dt.date(2000, 1, 1)
    ).exists()
    call_command("seed_reception_demo")
    assert (ReceptionCentre.objects.count(), Placement.objects.count()) == (6, first)
