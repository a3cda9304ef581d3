"""Hostile input: the parsers, the status page and the admin forms under random and huge input.

Properties, checked by hypothesis: a parser never raises and what it accepts is canonical; a
page never answers 500 (the test client re-raises any exception, so one would fail here) but
with a page, a form error or a clear 4xx; and a refused request writes nothing.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import string

import pytest
from django.test import Client
from django.utils import timezone
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from casework.applications.choices import State
from casework.models import Application, AuditEvent, Decision, Interview, Person
from casework.people.identity import (
    REFERENCE_ALPHABET,
    REFERENCE_LENGTH,
    format_reference,
    is_valid_registration_number,
    luhn_digit,
    new_reference,
    new_registration_number,
    parse_reference,
)
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.fault

# Example counts are modest so CI stays fast; FUZZ_SCALE=10 for a long hunt.
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    return settings(
        max_examples=max(1, int(examples * SCALE)),
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


PURE = settings(max_examples=max(1, int(300 * SCALE)), deadline=None)

# Text as people and attackers type it: any Unicode (also NUL, RTL marks, combining
# characters, surrogates excluded only because they cannot be UTF-8 encoded at all).
ANY_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=200)
NEAR_REFERENCE = st.text(REFERENCE_ALPHABET + "OILU-_. \t" + "oilu", min_size=8, max_size=16)


# --- Parsers --------------------------------------------------------------------------------


@PURE
@given(st.one_of(ANY_TEXT, NEAR_REFERENCE, st.text(max_size=5000)))
@example("\x00" * 41)
@example("ABCD-EFGH-JK")
def test_parse_reference_never_raises_and_returns_canonical_or_none(raw):
    parsed = parse_reference(raw)
    if parsed is not None:
        assert len(parsed) == REFERENCE_LENGTH
        assert set(parsed) <= set(REFERENCE_ALPHABET)
        assert parse_reference(parsed) == parsed  # idempotent
        assert parse_reference(format_reference(parsed)) == parsed


@PURE
@given(st.one_of(st.none(), st.integers(), st.binary(max_size=20), st.lists(st.text())))
def test_parse_reference_of_non_text_is_none(raw):
    assert parse_reference(raw) is None


@PURE
@given(st.data())
def test_a_typed_reference_is_found_however_it_is_written(data):
    reference = new_reference()
    typed = "".join(data.draw(st.sampled_from([c, c.lower(), f"{c} ", f"-{c}"])) for c in reference)
    assert parse_reference(typed) == reference


@PURE
@given(st.one_of(ANY_TEXT, st.text(string.digits + " ", max_size=30)))
def test_registration_number_check_never_raises(raw):
    valid = is_valid_registration_number(raw)
    assert isinstance(valid, bool)
    if valid:
        digits = raw.replace(" ", "").replace("\t", "").replace("\n", "")
        assert len(digits) == 12 and luhn_digit(digits[:11]) == digits[11]


@PURE
@given(st.integers(1900, 9999), st.integers(0, 11), st.integers(1, 9))
def test_registration_number_catches_every_single_digit_typo(year, position, delta):
    number = new_registration_number(year)
    assert is_valid_registration_number(number)
    assert number.startswith(f"{year:04d}")
    typo = number[:position] + str((int(number[position]) + delta) % 10) + number[position + 1 :]
    assert not is_valid_registration_number(typo)


@PURE
@given(st.dates(), st.integers(0, 240))
def test_add_months_lands_in_the_right_month_or_refuses_cleanly(day, months):
    from reception.deadlines import add_months

    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    assume(year <= dt.MAXYEAR)
    result = add_months(day, months)
    assert (result.year, result.month) == (year, month)
    assert result.day <= day.day


# --- The status page ------------------------------------------------------------------------


@pytest.fixture
def known_case(db):
    person = PersonFactory(date_of_birth=dt.date(1991, 4, 12))
    return ApplicationFactory(person=person)


DATE_PART = st.one_of(st.integers(-(10**6), 10**6).map(str), ANY_TEXT, st.just(""))


@pytest.fixture
def unlimited(settings):
    settings.STATUS_RATE_LIMIT = "1000000/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "1000000/h"


@fuzz(60)
@given(reference=ANY_TEXT, day=DATE_PART, month=DATE_PART, year=DATE_PART)
@example(reference="A" * 100_000, day="12", month="4", year="1991")
@example(reference="ABCD-EFGH-JK", day="99", month="99", year="99999")
@example(reference="\x00", day="\x00", month="\x00", year="\x00")
@example(reference="ABCD-EFGH-JK", day="31", month="2", year="1991")
@example(reference="ABCD-EFGH-JK", day="1", month="1", year="0")
def test_status_page_answers_any_input_with_a_page(
    known_case, unlimited, reference, day, month, year
):
    response = Client().post(
        "/status/", {"reference": reference, "day": day, "month": month, "year": year}
    )
    assert response.status_code in (200, 400, 429)
    # Never someone's case without the exact pair.
    if known_case.display_reference in response.content.decode():
        assert parse_reference(reference) == known_case.reference
        assert (int(day), int(month), int(year)) == (12, 4, 1991)


@pytest.mark.django_db
def test_status_page_shows_the_case_for_the_exact_pair(known_case, unlimited):
    data = {"reference": known_case.reference.lower(), "day": "12", "month": "04", "year": "1991"}
    response = Client().post("/status/", data)
    assert response.status_code == 200
    assert known_case.display_reference in response.content.decode()


@pytest.mark.django_db
def test_status_page_refuses_an_oversized_body_cleanly(known_case, unlimited):
    client = Client()
    huge = "A" * (3 * 1024 * 1024)  # over DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB)
    born = {"day": "12", "month": "4", "year": "1991"}
    response = client.post("/status/", {"reference": huge, **born})
    assert response.status_code == 400
    many = {f"f{i}": "x" for i in range(5000)}  # over DATA_UPLOAD_MAX_NUMBER_FIELDS
    assert client.post("/status/", many).status_code == 400
    bad_multipart = client.generic(
        "POST",
        "/status/",
        b"--xx\r\nContent-Disposition: form-data; name=\r\n\r\n\xff\xfe",
        content_type="multipart/form-data; boundary=xx",
    )
    assert bad_multipart.status_code in (200, 400)
    weird_charset = client.generic(
        "POST",
        "/status/",
        b"reference=%FF%FE&date_of_birth=%C0%AF",
        content_type="application/x-www-form-urlencoded; charset=utf-7",
    )
    assert weird_charset.status_code in (200, 400)


# --- Admin forms ----------------------------------------------------------------------------


def _snapshot() -> tuple[int, ...]:
    return (
        AuditEvent.objects.count(),
        Decision.objects.count(),
        Interview.objects.count(),
        Person.objects.count(),
    )


OUTCOME_TEXT = st.one_of(
    st.sampled_from(["refugee_convention", "rejected", "dublin", "collective", ""]), ANY_TEXT
)
VERSION_TEXT = st.one_of(st.integers(-(2**70), 2**70).map(str), ANY_TEXT)


@fuzz(40)
@given(
    name=st.sampled_from(["accept", "reject", "withdraw", "start_examination", "nonsense"]),
    outcome=OUTCOME_TEXT,
    grounds=st.one_of(ANY_TEXT, st.just("G" * 30_000)),
    version=VERSION_TEXT,
    manifestly=st.sampled_from(["", "on", "\x00", "yes"]),
)
def test_admin_transition_form_takes_any_input_without_a_500_or_half_a_decision(
    unit, caseworker, decider, name, outcome, grounds, version, manifestly
):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client = Client()
    client.force_login(decider)
    before = _snapshot()
    response = client.post(
        f"/admin/casework/application/{app.pk}/transition/{name}/",
        {
            "outcome": outcome,
            "grounds": grounds,
            "version": version,
            "manifestly_unfounded": manifestly,
            "reason": grounds,
        },
    )
    assert response.status_code in (200, 302, 403, 404)
    app.refresh_from_db()
    if app.state == State.EXAMINED:
        assert _snapshot() == before  # refused: nothing written
    else:
        # done: exactly one audit event (and one decision for a decision)
        assert AuditEvent.objects.filter(application=app).count() == 1
        assert Decision.objects.filter(application=app).count() <= 1
        assert response.status_code == 302


@fuzz(30)
@given(
    scheduled_at=st.one_of(ANY_TEXT, st.datetimes().map(lambda d: d.strftime("%Y-%m-%dT%H:%M"))),
    location=st.one_of(ANY_TEXT, st.just("L" * 5000)),
    language=ANY_TEXT,
)
@example(scheduled_at="9999-12-31T23:59", location="Oslo", language="ar")
@example(scheduled_at="0001-01-01T00:00", location="Oslo", language="ar")
def test_admin_interview_form_takes_any_input_without_a_500(
    unit, caseworker, scheduled_at, location, language
):
    app = ApplicationFactory(state=State.EXAMINED, unit=unit, assigned_to=caseworker)
    client = Client()
    client.force_login(caseworker)
    before = Interview.objects.filter(application=app).count()
    response = client.post(
        f"/admin/casework/application/{app.pk}/interview/",
        {"scheduled_at": scheduled_at, "location": location, "language": language},
    )
    assert response.status_code in (200, 302)
    created = Interview.objects.filter(application=app).count() - before
    assert created in (0, 1)
    if created == 0:
        assert not AuditEvent.objects.filter(application=app).exists()


@fuzz(15)
@given(
    given_name=ANY_TEXT,
    family_name=st.one_of(ANY_TEXT, st.just("F" * 10_000)),
    date_of_birth=st.one_of(ANY_TEXT, st.dates().map(str)),
    nationality=st.one_of(st.sampled_from(["SY", "AF", "XX", ""]), ANY_TEXT),
    sex=st.one_of(st.sampled_from(["female", "male", "x"]), ANY_TEXT),
)
@example(
    given_name="Amina",
    family_name="Rahimi",
    date_of_birth="1998-09-30",
    nationality="AF",
    sex="female",
)
@example(
    given_name="Amina", family_name="Rahimi", date_of_birth="9999-12-31", nationality="AF", sex="f"
)
def test_admin_person_form_takes_any_input_without_a_500(
    registrar, given_name, family_name, date_of_birth, nationality, sex
):
    client = Client()
    client.force_login(registrar)
    before = _snapshot()
    response = client.post(
        "/admin/casework/person/add/",
        {
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": date_of_birth,
            "dob_precision": "day",
            "nationality": nationality,
            "sex": sex,
            "languages": given_name,
            "preferred_language": language_or(given_name),
            **_empty_inlines(client),
        },
    )
    assert response.status_code in (200, 302, 403)
    if response.status_code != 302:
        assert _snapshot() == before
    else:
        assert Person.objects.count() == before[3] + 1


def language_or(text: str) -> str:
    return text[:8] or "en"


_INLINES: dict[str, str] = {}


def _empty_inlines(client: Client) -> dict[str, str]:
    """The add page's inline formsets, each sent empty (read once from the page itself)."""
    if not _INLINES:
        page = client.get("/admin/casework/person/add/").content.decode()
        for prefix in re.findall(r'name="([^"]+)-TOTAL_FORMS"', page):
            _INLINES.update(
                {
                    f"{prefix}-TOTAL_FORMS": "0",
                    f"{prefix}-INITIAL_FORMS": "0",
                    f"{prefix}-MIN_NUM_FORMS": "0",
                    f"{prefix}-MAX_NUM_FORMS": "1000",
                }
            )
    return _INLINES


@pytest.mark.django_db
def test_admin_refuses_oversized_and_malformed_posts_cleanly(unit, caseworker, decider):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client = Client()
    client.force_login(decider)
    url = f"/admin/casework/application/{app.pk}/transition/accept/"
    before = _snapshot()
    huge = client.post(url, {"grounds": "G" * (3 * 1024 * 1024), "version": "1"})
    assert huge.status_code == 400
    for path in (
        f"/admin/casework/application/{app.pk}/transition/%00/",
        "/admin/casework/application/99999999999999999999/change/",
    ):
        assert client.get(path).status_code in (302, 403, 404)
    assert _snapshot() == before
    assert Application.objects.get(pk=app.pk).state == State.EXAMINED


@pytest.mark.django_db
def test_admin_person_form_still_registers_a_valid_person(registrar):
    """The fuzzed form above is not refusing everything: a proper registration goes through."""
    client = Client()
    client.force_login(registrar)
    before = Person.objects.count()
    response = client.post(
        "/admin/casework/person/add/",
        {
            "given_name": "Amina",
            "family_name": "Rahimi",
            "date_of_birth": "1998-09-30",
            "dob_precision": "day",
            "nationality": "AF",
            "sex": "female",
            "preferred_language": "fa",
            **_empty_inlines(client),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Person.objects.count() == before + 1
