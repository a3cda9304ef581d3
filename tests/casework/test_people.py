"""Intake: registration numbers, and likely duplicates across transliterations."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied

from casework.applications.services import application_lodge
from casework.core.exceptions import TransitionConflict
from casework.models import Application, AuditEvent, DuplicateFlag, Person
from casework.people.choices import DuplicateStatus
from casework.people.identity import (
    is_valid_registration_number,
    name_similarity,
    new_reference,
    parse_reference,
)
from casework.people.services import duplicate_dismiss, duplicate_merge, person_register
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db

BORN = dt.date(1990, 5, 17)


def register(actor, given, family, *, nationality="SY", born=BORN, **kw):
    return person_register(
        actor=actor,
        given_name=given,
        family_name=family,
        date_of_birth=born,
        sex="male",
        nationality=nationality,
        **kw,
    )


def test_registration_number_is_12_digits_starting_with_the_year(registrar):
    person = register(registrar, "Amina", "Rahimi", year=2023)
    number = person.registration_number
    assert len(number) == 12 and number.isdigit() and number.startswith("2023")
    assert is_valid_registration_number(number)
    typo = number[:5] + str((int(number[5]) + 1) % 10) + number[6:]
    assert not is_valid_registration_number(typo)


def test_the_registration_number_stays_for_every_application(registrar):
    person = register(registrar, "Amina", "Rahimi")
    first = application_lodge(actor=registrar, person=person, kind="protection")
    second = application_lodge(actor=registrar, person=person, kind="protection")
    assert first.person.registration_number == second.person.registration_number
    assert first.reference != second.reference


def test_case_references_are_random_and_forgiving_to_type():
    refs = {new_reference() for _ in range(2000)}
    assert len(refs) == 2000  # no collisions, nothing sequential
    ref = sorted(refs)[0]
    typed = f" {ref[:4].lower()}-{ref[4:8]} {ref[8:]} "
    assert parse_reference(typed) == ref
    assert parse_reference("short") is None
    assert parse_reference("x" * 5000) is None


@pytest.mark.parametrize(
    ("first", "second"),
    [
        (("Mohammed", "Al-Hassan"), ("Muhammad", "Al Hassan")),
        (("Mohammed", "Alhassan"), ("Mohamad", "Al-Hasan")),
        (("Yusuf", "Haidari"), ("Youssef", "Heidari")),
        (("Мухаммад", "Хасан"), ("Muhammad", "Hasan")),
    ],
)
def test_transliterated_names_are_flagged_as_likely_duplicates(first, second, registrar):
    older = register(registrar, *first)
    newer = register(registrar, *second)
    flag = DuplicateFlag.objects.get(person=newer)
    assert flag.candidate == older and flag.status == DuplicateStatus.OPEN
    assert AuditEvent.objects.filter(person=newer, action="duplicates_flagged").exists()


def test_different_people_are_not_flagged(registrar):
    register(registrar, "Mohammed", "Al-Hassan")
    other_name = register(registrar, "Olena", "Kovalenko")
    other_birthday = register(registrar, "Mohammed", "Al-Hassan", born=dt.date(1991, 5, 17))
    other_country = register(registrar, "Mohammed", "Al-Hassan", nationality="IQ")
    assert not DuplicateFlag.objects.filter(
        person__in=[other_name, other_birthday, other_country]
    ).exists()
    assert name_similarity(("Mohammed", "Ali"), ("Olena", "Kovalenko")) < 0.7


def test_a_caseworker_merges_a_duplicate(registrar, caseworker):
    older = register(registrar, "Mohammed", "Al-Hassan")
    newer = register(registrar, "Muhammad", "Alhassan")
    app = ApplicationFactory(person=newer)
    flag = DuplicateFlag.objects.get(person=newer)
    kept = duplicate_merge(actor=caseworker, flag=flag)
    assert kept == older
    assert Application.objects.get(pk=app.pk).person == older
    assert Person.objects.get(pk=newer.pk).merged_into == older
    with pytest.raises(TransitionConflict):
        duplicate_dismiss(actor=caseworker, flag=flag)


def test_a_caseworker_dismisses_a_flag_and_others_may_not(registrar, caseworker, reception_officer):
    register(registrar, "Mohammed", "Al-Hassan")
    newer = register(registrar, "Muhammad", "Alhassan")
    flag = DuplicateFlag.objects.get(person=newer)
    with pytest.raises(PermissionDenied):
        duplicate_dismiss(actor=reception_officer, flag=flag)
    flag = duplicate_dismiss(actor=caseworker, flag=flag)
    assert flag.status == DuplicateStatus.DISMISSED and flag.resolved_by == caseworker


def test_identity_document_and_household_link_changes_keep_before_and_after(db):
    """The ``verified`` flag is a § 94 condition: who verified which document, and what it
    said before a correction, must be shown value by value."""
    import datetime as dt

    from casework.models import AuditEvent
    from casework.people import services
    from tests.factories import PersonFactory, UserFactory

    root = UserFactory(username="root", is_superuser=True)
    person, child = PersonFactory(), PersonFactory()
    document = services.identity_document_add(
        actor=root, person=person, kind="passport", number="P0001", issuing_country="AF"
    )
    at = dt.datetime(2025, 3, 1, 12, 0, tzinfo=dt.UTC)
    services.identity_document_update(
        actor=root, document=document, number="P0002", verified=True, verified_at=at
    )
    link = services.household_link_add(actor=root, person=child, relative=person, relation="child")
    services.household_link_remove(actor=root, link=link)
    added, changed, linked, unlinked = AuditEvent.objects.order_by("id")
    assert added.changes["fields"]["number"] == [None, "P0001"]
    assert added.changes["fields"]["issuing_country"] == [None, "AF"]
    assert changed.changes == {
        "subject": f"casework.identitydocument:{document.pk}",
        "fields": {
            "number": ["P0001", "P0002"],
            "verified": [False, True],
            "verified_at": [None, "2025-03-01T12:00:00+00:00"],
        },
    }
    assert linked.changes["fields"] == {
        "person": [None, child.pk],
        "relative": [None, person.pk],
        "relation": [None, "child"],
    }
    assert unlinked.changes["fields"]["relation"] == ["child", None]
