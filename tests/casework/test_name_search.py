"""The admin's name search: the start of a family or given name, in any case, read through
an index on PostgreSQL rather than a scan of every person."""

from __future__ import annotations

import pytest
from django.db import connection

from casework.models import Application, Person
from casework.people.selectors import name_starts_with
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.django_db

CASES = "/admin/casework/application/"
PEOPLE = "/admin/casework/person/"


def listed_cases(client, term: str) -> set[str]:
    response = client.get(CASES, {"assigned": "all", "q": term})
    assert response.status_code == 200
    return {a.person.family_name for a in response.context["cl"].result_list}


def listed_people(client, term: str) -> set[str]:
    response = client.get(PEOPLE, {"q": term})
    assert response.status_code == 200
    return {p.family_name for p in response.context["cl"].result_list}


def test_a_name_is_found_by_its_start_in_any_case(client, unit, caseworker):
    for family, given in [("Rahimi", "Amina"), ("Rahman", "Omid"), ("Karimi", "Rahel")]:
        ApplicationFactory(unit=unit, person=PersonFactory(family_name=family, given_name=given))
    client.force_login(caseworker)
    assert listed_cases(client, "rahim") == {"Rahimi"}
    assert listed_cases(client, "RAH") == {"Rahimi", "Rahman", "Karimi"}  # Rahel, given name
    assert listed_cases(client, "rah amina") == {"Rahimi"}  # every word starts a name
    assert listed_cases(client, "ahim") == set()  # the start of a name, not its middle


def test_the_people_list_finds_the_start_of_a_name_or_a_registration_number(client, admin_user):
    amina = PersonFactory(family_name="Rahimi", given_name="Amina")
    PersonFactory(family_name="Karimi", given_name="Rahel")
    client.force_login(admin_user)
    assert listed_people(client, "RAH") == {"Rahimi", "Karimi"}
    assert listed_people(client, "rahimi amina") == {"Rahimi"}
    assert listed_people(client, amina.registration_number) == {"Rahimi"}


@pytest.mark.services("postgres")
def test_letters_beyond_ascii_are_found_in_any_case(client, unit, caseworker, admin_user):
    """Ø, Å and É fold as the database's UPPER folds them (a UTF-8 database). SQLite's LIKE
    folds only ASCII letters, so this runs on PostgreSQL, the production database."""
    for family in ["Østby", "Ålund", "Éluard", "Olsen"]:
        ApplicationFactory(unit=unit, person=PersonFactory(family_name=family))
    client.force_login(caseworker)
    assert listed_cases(client, "øst") == {"Østby"}
    assert listed_cases(client, "ÅLU") == {"Ålund"}
    assert listed_cases(client, "élu") == {"Éluard"}
    client.force_login(admin_user)
    assert listed_people(client, "østBY") == {"Østby"}
    assert listed_people(client, "o") == {"Olsen"}  # Ø is a letter of its own, not an O


@pytest.mark.services("postgres")
def test_the_search_reads_the_name_indexes_not_every_person(unit):
    """Among a few thousand people the planner itself picks the two name indexes (a BitmapOr
    of two index scans) over reading the table; the case search filters people with the same
    expression, so its join starts from the same indexes at a million cases."""
    Person.objects.bulk_create(
        PersonFactory.build(
            family_name=f"Family{i:04d}",
            given_name=f"Given{i:04d}",
            registration_number=f"2099{i:08d}",  # unique (random ones can collide in 3,000)
        )
        for i in range(3000)
    )
    ApplicationFactory(unit=unit, person=PersonFactory(family_name="Rahimi"))
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_person")
    plan = Person.objects.filter(name_starts_with("rahim")).explain()
    assert "casework_person_family_upper_idx" in plan, plan
    assert "casework_person_given_upper_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
    cases = str(Application.objects.filter(name_starts_with("rahim", path="person__")).query)
    assert 'UPPER("casework_person"."family_name"::text) LIKE UPPER(' in cases
    assert list(Person.objects.filter(name_starts_with("rahim")).values_list("family_name")) == [
        ("Rahimi",)
    ]
