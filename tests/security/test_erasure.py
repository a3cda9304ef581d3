"""Erasure erases, in every app: after a person is anonymised, none of their words is left in
any column of any table, and their data export covers every app's records the same way.

Whole-system on purpose: the tables are introspected, not listed, so a new model, a new app or
a new copy of a person's words (a history table, a cache of API answers, the audit trail's
JSON) that anonymisation does not reach fails here.
"""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.core.management import CommandError, call_command
from django.db import connection, models
from django.urls import reverse
from django.utils import timezone

from casework.models import Application, AuditEvent, Person
from casework.privacy import retention as privacy
from casework.privacy.registry import registered
from integration.models import NorwegianTest
from tests.factories import ApplicationFactory, PersonFactory, UserFactory
from tests.security.everywhere import WORDS, person_in_every_app

pytestmark = pytest.mark.django_db


@pytest.fixture
def dpo(db):
    return UserFactory(username="dpo", is_superuser=True)


def _text(value) -> str:
    if isinstance(value, bytes | memoryview):
        return bytes(value).decode("utf-8", "replace")
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return "" if value is None else str(value)


def scan_every_table(words: dict[str, str]) -> tuple[int, int, list[str]]:
    """Every column of every table in the database (introspected, Django's and every app's):
    (tables, columns, hits as ``table.column: word``)."""
    needles = {k: v.casefold() for k, v in words.items()}
    hits, columns = [], 0
    tables = connection.introspection.table_names()
    with connection.cursor() as cursor:
        for table in tables:
            quoted = connection.ops.quote_name(table)
            cursor.execute(f"SELECT * FROM {quoted}")  # nosec B608
            names = [c[0] for c in cursor.description]
            columns += len(names)
            for row in cursor.fetchall():
                for name, value in zip(names, row, strict=True):
                    text = _text(value).casefold()
                    hits += [f"{table}.{name}: {k}" for k, v in needles.items() if v in text]
    return len(tables), columns, sorted(set(hits))


def test_anonymising_a_person_leaves_none_of_their_words_in_any_table(dpo, registrar):
    person = person_in_every_app(dpo, registrar)
    _tables, _columns, before = scan_every_table(person.words)
    for table in (
        "casework_person",
        "casework_historicalperson",
        "casework_auditevent",
        "casework_decision",
        "casework_appeal",
        "casework_idempotencykey",
        "reception_placement",
        "integration_workpermit",
        "integration_familyreunification",
        "integration_introductionprogramme",
    ):
        assert any(hit.startswith(f"{table}.") for hit in before), (table, before)

    out = StringIO()
    call_command(
        "anonymise_person",
        person.words["registration_number"],
        "--reason",
        "GDPR art. 17 request, ref. DPO-2026-114",
        "--by",
        "dpo",
        stdout=out,
    )
    assert f"Person {person.pk} anonymised" in out.getvalue()
    tables, columns, after = scan_every_table(person.words)
    assert after == []
    assert tables >= 51 and columns >= 450  # every table: Django's, the three apps', the libraries'
    # What statistics need stays.
    person.refresh_from_db()
    assert (person.nationality.code, person.date_of_birth, person.sex) == (
        "ER",
        dt.date(1991, 1, 1),
        "female",
    )
    assert Application.objects.get(person=person).state == "rejected"
    assert NorwegianTest.objects.get(programme__person=person).level == "B1"


def test_the_erasure_is_audited_without_personal_data(dpo, registrar):
    person = person_in_every_app(dpo, registrar)
    privacy.person_erase(actor=dpo, person=person, reason="GDPR art. 17, ref. DPO-7")
    event = AuditEvent.objects.get(action="person_erased")
    assert (event.actor, event.person_id, event.reason, event.changes) == (
        dpo,
        person.pk,
        "GDPR art. 17, ref. DPO-7",
        {},
    )
    # Each record's timeline still finds its events, without their words.
    tagged = AuditEvent.objects.filter(changes__has_key="subject", person=person)
    assert tagged.exists()
    assert all(set(e.changes) == {"subject"} and e.reason == "" for e in tagged)


def test_a_reason_that_names_the_person_is_refused(dpo, registrar):
    person = PersonFactory(given_name="Zyxwanda", family_name="Quorblethwaite")
    ApplicationFactory(person=person, state="withdrawn")
    with pytest.raises(ValidationError, match="not the person's names"):
        privacy.person_erase(actor=dpo, person=person, reason="Request from Zyxwanda by letter")
    with pytest.raises(CommandError, match="not the person's names"):
        call_command(
            "anonymise_person",
            person.registration_number,
            "--reason",
            f"request {person.registration_number}",
            "--by",
            "dpo",
        )
    with pytest.raises(CommandError, match="data protection officer"):
        call_command(
            "anonymise_person",
            person.registration_number,
            "--reason",
            "x",
            "--by",
            registrar.username,
        )
    person.refresh_from_db()
    assert person.anonymised_at is None


def test_retention_anonymises_every_app_too(dpo, registrar):
    person = person_in_every_app(dpo, registrar)
    long_ago = timezone.now() - dt.timedelta(days=365 * 12)
    Application.objects.filter(person=person).update(decided_at=long_ago)
    assert privacy.anonymise_due() >= 1
    assert scan_every_table(person.words)[2] == []
    event = AuditEvent.objects.get(action="person_anonymised", person=person)
    assert (event.actor, event.reason) == (None, "retention period ended")


# --- the registry reaches every model of a person ---------------------------------------------


def _leads_to_person(model: type[models.Model], seen: frozenset = frozenset()) -> bool:
    """Whether a chain of foreign keys leads from ``model`` to a person."""
    if model is Person:
        return True
    for f in model._meta.concrete_fields:
        target = f.related_model if f.is_relation else None
        if target is None or target in seen or target is model:
            continue
        if target is Person or _leads_to_person(target, seen | {model}):
            return True
    return False


def test_every_model_that_refers_to_a_person_is_registered():
    """A new model with a foreign key to a person (or to a record of one) must say, with
    ``casework.privacy.registry.register_personal_data``, which of its fields anonymisation
    blanks, or erasure would leave it behind."""
    known = {entry.model for entry in registered()}
    missing = [
        m._meta.label
        for m in apps.get_models(include_auto_created=False)
        if _leads_to_person(m) and m not in known
    ]
    assert missing == []
    for entry in registered():  # an owner lookup that names no person is a mistake
        for owner in entry.owners:
            entry.model._default_manager.filter(**{f"{owner}__in": [0]}).exists()


def test_the_export_has_a_section_per_registered_model(client, dpo, registrar):
    person = person_in_every_app(dpo, registrar)
    client.force_login(dpo)
    response = client.post(
        reverse("admin:casework_person_changelist"),
        {"action": "export_subject_access", ACTION_CHECKBOX_NAME: [person.pk]},
    )
    data = json.loads(response.content)
    for entry in registered():
        assert entry.section in data, entry.label
    assert data["person"]["given_name"] == WORDS["given_name"]
    assert [p["transfer_reason"] for p in data["reception.placement"]] == [
        "",
        WORDS["transfer_reason"],
    ]
    assert data["integration.workpermit"][0]["grounds"] == WORDS["permit_grounds"]
    assert (
        data["integration.familyreunification"][0]["exception_reason"]
        == (WORDS["family_exception"])
    )
    assert (
        data["integration.introductionprogramme"][0]["outcome_note"] == (WORDS["programme_outcome"])
    )
    assert [t["level"] for t in data["integration.norwegiantest"]] == ["B1"]
    assert data["appeals"][0]["lodged_by"] == WORDS["lawyer"]
    assert any(e["reason"] == WORDS["grounds"] for e in data["events"])
    assert data["api_answers"][0]["response_body"]["family_name"] == WORDS["family_name"]
