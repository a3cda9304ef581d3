"""The admin's name search: the start of a family or given name, in any case, read through
an index on PostgreSQL rather than a scan of every person."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from casework.models import Application, Person
from casework.people.selectors import name_search_branches, name_starts_with
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
    assert "casework_person_family_key_idx" in plan, plan
    assert "casework_person_given_key_idx" in plan, plan
    assert "Seq Scan" not in plan, plan
    cases = str(Application.objects.filter(name_starts_with("rahim", path="person__")).query)
    assert '(UPPER("casework_person"."family_name") COLLATE "C") LIKE' in cases
    assert list(Person.objects.filter(name_starts_with("rahim")).values_list("family_name")) == [
        ("Rahimi",)
    ]


def name_statements(queries) -> list[str]:
    return [q["sql"] for q in queries if "family_name" in q["sql"] and "LIKE" in q["sql"]]


def test_a_search_finds_family_names_then_given_names_in_name_order(client, unit, caseworker):
    """Family-name matches first, by family name, then given-name matches, by given name; a
    registration number finds its person exactly. Over several pages, each row once."""
    people = [
        ("Rahimi", "Zara"), ("Rahman", "Ali"), ("Ahmadi", "Rahel"), ("Karimi", "Rahim"),
        ("Rahimi", "Amina"), ("Olsen", "Kari"),
    ]  # fmt: skip
    for family, given in people:
        ApplicationFactory(unit=unit, person=PersonFactory(family_name=family, given_name=given))
    client.force_login(caseworker)

    def names(path, term, **params):
        response = client.get(path, {"q": term, **params})
        assert response.status_code == 200
        rows = response.context["cl"].result_list
        return [(r.family_name, r.given_name) for r in (getattr(x, "person", x) for x in rows)]

    for path in (PEOPLE, CASES):
        extra = {"assigned": "all"} if path == CASES else {}
        assert names(path, "rah", **extra) == [
            ("Rahimi", "Zara"),  # the family names in order, a name's people by id
            ("Rahimi", "Amina"),
            ("Rahman", "Ali"),
            ("Ahmadi", "Rahel"),  # then the given names in order
            ("Karimi", "Rahim"),
        ]
        assert names(path, "kari", **extra) == [("Karimi", "Rahim"), ("Olsen", "Kari")]
        assert names(path, "rahel", **extra) == [("Ahmadi", "Rahel")]  # by given name only
        number = Person.objects.get(family_name="Olsen").registration_number
        assert names(path, number, **extra) == [("Olsen", "Kari")]


def test_the_pages_of_a_long_search_list_every_match_once(client, unit, caseworker):
    """51 family-name and 30 given-name matches over two pages of 50: the second page goes on
    from the first walk into the second; the count is of both."""
    for i in range(51):
        ApplicationFactory(unit=unit, person=PersonFactory(family_name=f"Nord{i:02d}"))
    for i in range(30):
        ApplicationFactory(
            unit=unit, person=PersonFactory(family_name=f"Sand{i:02d}", given_name="Nora")
        )
    client.force_login(caseworker)
    for path, extra in ((PEOPLE, {}), (CASES, {"assigned": "all"})):
        seen = []
        for page in (1, 2):
            response = client.get(path, {"q": "nor", "p": page, **extra})
            assert response.status_code == 200
            cl = response.context["cl"]
            assert cl.result_count == 81
            seen += [getattr(r, "person", r).family_name for r in cl.result_list]
        assert seen == [f"Nord{i:02d}" for i in range(51)] + [f"Sand{i:02d}" for i in range(30)]


def test_a_name_search_counts_at_most_a_thousand(client, unit, caseworker):
    """The count of a name search stops at 1,000 (``LIMIT 1001``), not the list's 10,000; it
    says "more than 1,000"."""
    from casework.admin.base import NameSearchPaginator

    ApplicationFactory(unit=unit, person=PersonFactory(family_name="Rahimi"))
    client.force_login(caseworker)
    for path, extra in ((PEOPLE, {}), (CASES, {"assigned": "all"})):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(path, {"q": "rahim", **extra})
        assert response.status_code == 200
        counts = [q for q in name_statements(queries) if "COUNT(" in q.upper()]
        assert counts, name_statements(queries)
        # each count's own cap, its outermost (last) LIMIT
        limits = [int(re.findall(r"LIMIT (\d+)", q)[-1]) for q in counts]
        assert limits and max(limits) <= 1001, counts
        assert response.context["cl"].result_count == 1
    assert NameSearchPaginator.cap == 1000


def test_more_than_the_cap_is_said_so(client, unit, caseworker, monkeypatch):
    from casework.admin.base import NameSearchPaginator

    monkeypatch.setattr(NameSearchPaginator, "cap", 2)
    for i in range(4):
        ApplicationFactory(unit=unit, person=PersonFactory(family_name=f"Rahimi{i}"))
    client.force_login(caseworker)
    response = client.get(PEOPLE, {"q": "rahim"})
    assert response.context["cl"].result_count == 3
    page = response.content.decode()
    assert "more than 2 results" in page
    # the line under the list too, not the count of cap + 1 rows
    paginator = re.search(r'<p class="paginator">(.*?)</p>', page, re.S).group(1)
    assert "more than 2 people" in " ".join(paginator.split()), paginator
    assert "3 people" not in paginator


@pytest.mark.services("postgres")
def test_each_walk_reads_a_name_index_in_its_order(unit):
    """The page of a name search follows a name index's order (no sort of every match)."""
    Person.objects.bulk_create(
        PersonFactory.build(
            family_name=f"Family{i:04d}",
            given_name=f"Given{i:04d}",
            registration_number=f"2099{i:08d}",
        )
        for i in range(3000)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE casework_person")
    by_family, by_given = name_search_branches(Person.objects.all(), "fam")
    plan = by_family[:50].explain()
    assert "casework_person_family_key_idx" in plan and "Sort" not in plan, plan
    plan = by_given[:50].explain()
    assert "casework_person_given_key_idx" in plan and "Sort" not in plan, plan


def test_a_case_search_counts_what_it_lists_asked_person_by_person(
    client, unit, other_unit, caseworker, monkeypatch
):
    """The case list's count of a name search (``count_by_person``) is the number of cases the
    list shows, for each filter, each walk (family then given name) and each cap; a person with
    two cases counts twice, a case outside the caseworker's unit not at all. With
    ``PROBED_PEOPLE`` lowered below the name's people, the plain join counts the same."""
    from casework.admin.base import NameSearchPaginator
    from casework.people import selectors

    for i in range(6):
        person = PersonFactory(family_name=f"Haddad{i}", given_name="Omar")
        ApplicationFactory(unit=unit, person=person, assigned_to=caseworker if i % 2 else None)
        if i == 1:  # a second case of the same person
            ApplicationFactory(unit=unit, person=person, assigned_to=caseworker)
    ApplicationFactory(unit=other_unit, person=PersonFactory(family_name="Haddad9"))
    ApplicationFactory(unit=unit, person=PersonFactory(family_name="Berg", given_name="Hadda"))
    client.force_login(caseworker)

    def shown(term: str, **extra) -> tuple[int, int]:
        response = client.get(CASES, {"q": term, **extra})
        assert response.status_code == 200
        cl = response.context["cl"]
        return cl.result_count, len(cl.result_list)

    for probed in (10_000, 1):
        monkeypatch.setattr(selectors, "PROBED_PEOPLE", probed)
        monkeypatch.setattr(NameSearchPaginator, "cap", 1000)
        assert shown("hadda", assigned="all") == (8, 8)  # 7 family-name cases, then Berg
        assert shown("hadda") == (4, 4)  # assigned to the caseworker
        assert shown("omar") == (4, 4)  # by given name only
        assert shown("haddad9", assigned="all") == (0, 0)  # another unit's case
        monkeypatch.setattr(NameSearchPaginator, "cap", 5)
        assert shown("hadda", assigned="all")[0] == 6  # "more than 5"


@pytest.mark.services("postgres")
def test_a_case_search_count_asks_each_person_for_their_cases(unit, caseworker):
    """On PostgreSQL the count walks the name's people and probes each one's cases through the
    cases' person index: no hash of the list's cases, whatever the planner estimates."""
    from casework.people.selectors import count_by_person

    ApplicationFactory(unit=unit, person=PersonFactory(family_name="Haddad"))
    people, _ = name_search_branches(Person.objects.all(), "hadda")
    listed = Application.objects.filter(unit=unit)
    with CaptureQueriesContext(connection) as queries:
        assert count_by_person(listed, people, "person", 1001) == 1
    (statement,) = [q["sql"] for q in queries.captured_queries if "LATERAL" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + statement)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "Nested Loop" in plan and "Hash" not in plan, plan
