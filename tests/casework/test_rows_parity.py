"""One writer per record: the services, the import (the same builders; ``COPY`` on PostgreSQL,
``bulk_create`` elsewhere, and on PostgreSQL also ``bulk_create``) and the demo seeder (the same
builders; ``COPY`` on PostgreSQL, one ``executemany`` elsewhere) write the same rows, every
column of every row of every table a registration and a lodging touch.

The same arrivals go through each path in turn (the database emptied between them). Only what
is generated is normalised, explicitly: keys (mapped to the arrival they belong to), the
random registration number and case reference (their shape checked), and the timestamps of
the moment of writing (checked to be that moment), and what the seeder adds as demo data
(checked to be the demo's values). Everything else must be equal.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.utils import timezone
from simple_history.models import HistoricalRecords

from casework.applications.services import application_lodge
from casework.deadlines.registry import EVENT_WINDOW, RECEIVED_NOTICE
from casework.intake import demo, imports
from casework.intake.writer import OrmWriter
from casework.models import (
    Application,
    AuditEvent,
    Deadline,
    Person,
    Reminder,
    ResettlementReferral,
)
from casework.people.choices import spoken_language
from casework.people.identity import is_valid_registration_number
from casework.people.services import person_register

pytestmark = pytest.mark.django_db

HistoricalPerson = Person.history.model
HistoricalApplication = Application.history.model
TABLES = (Person, HistoricalPerson, Application, HistoricalApplication, AuditEvent, Deadline)
# Columns holding the moment of writing: compared with the test's clock, not with each other.
MOMENTS = {"created_at", "updated_at", "history_date", "at"}
# (external_id, given, family, born, precision, nationality, sex, kind)
ARRIVALS = [
    ("par-1", "Olena", "Kovalenko", "1980-02-03", "day", "UA", "female", "collective"),
    ("par-2", "Amina", "Rahimi", "1998", "year", "AF", "female", "protection"),
    ("par-3", "Yonas", "Tesfaye", "2001-07-09", "day", "", "male", "resettlement"),
]


def _csv(today: dt.date) -> list[str]:
    header = "external_id,given_name,family_name,date_of_birth,nationality,sex,kind,arrival_date\n"
    return [header] + [
        f"{ext},{given},{family},{born},{nationality},{sex},{kind},{today.isoformat()}\n"
        for ext, given, family, born, _precision, nationality, sex, kind in ARRIVALS
    ]


def _through_services(actor, today: dt.date, rf) -> None:
    request = rf.post("/")
    request.user = actor
    HistoricalRecords.context.request = request  # a caseworker's request, as in the admin
    try:
        for ext, given, family, born, precision, nationality, sex, kind in ARRIVALS:
            date_of_birth = (
                dt.date(int(born), 1, 1) if precision == "year" else dt.date.fromisoformat(born)
            )
            person = person_register(
                actor=actor,
                given_name=given,
                family_name=family,
                date_of_birth=date_of_birth,
                dob_precision=precision,
                sex=sex,
                nationality=nationality,
                year=today.year,
                external_id=ext,
            )
            application_lodge(
                actor=actor, person=person, kind=kind, lodged_on=today, external_id=ext
            )
    finally:
        del HistoricalRecords.context.request


def _through_seeder(actor, today: dt.date, monkeypatch) -> None:
    monkeypatch.setattr(demo, "CHUNK_HOOKS", [])  # other apps' rows are not the parity's
    ctx = demo.Context(
        registrar=actor,
        caseworker=actor,
        decider=actor,
        appeals=actor,
        unit=actor.staff_profile.unit,  # the unit lodging gives: the lodging user's
        today=today,
    )
    cases = [
        demo.Case(
            nationality=nationality,
            sex=sex,
            born=dt.date(int(born), 1, 1) if precision == "year" else dt.date.fromisoformat(born),
            kind=kind,
            lodged_on=today,
            given_name=given,
            family_name=family,
            dob_precision=precision,
            external_id=ext,
            lodged_at=timezone.now(),
        )
        for ext, given, family, born, precision, nationality, sex, kind in ARRIVALS
    ]
    with demo.bulk_load():  # PostgreSQL: COPY from a thread, as ``seed_demo`` writes
        assert demo.write("parity", iter(cases), ctx) == len(ARRIVALS)


def _through_import(actor, today: dt.date) -> None:
    result = imports.arrivals_import(stream=_csv(today), actor=actor)
    assert (result.created, result.error_count) == (len(ARRIVALS), 0), result.errors


# What the seeder fills in as demo data (person and application, and their history rows):
# the column, what the other writers leave there, and a check of the demo's value.
DEMO_SPOKEN = {*map(spoken_language, demo.LANGUAGE.values()), "prs"}  # Dari: Afghans
DEMO_FILLS = {
    "is_demo": (False, lambda value: value is True),
    "languages": ("", lambda value: value in DEMO_SPOKEN),
    "preferred_language": ("en", lambda value: value in demo.LANGUAGE.values()),
    "email": ("", lambda value: value == "" or value.endswith("@example.invalid")),
}


def _snapshot(started: dt.datetime, today: dt.date, seeded: bool = False) -> dict[str, list[dict]]:
    """Every column of every row of ``TABLES``, keys replaced by the arrival they belong to."""
    names = {}
    for person in Person.objects.all():
        names[("person", person.pk)] = f"person {person.external_id}"
    for app in Application.objects.all():
        names[("application", app.pk)] = f"application {app.external_id}"
    refs = {
        "id": None,
        "person_id": "person",
        "merged_into_id": "person",
        "application_id": "application",
    }
    out: dict[str, list[dict]] = {}
    for model in TABLES:
        rows = []
        objects = model.objects.all()
        if model is AuditEvent:
            # The import also records a resettlement arrival's referral (it counts against the
            # year's quota); the other writers lodge the case alone: the one intended extra.
            objects = objects.exclude(action="resettlement.imported")
        for obj in objects:
            row = {}
            for f in model._meta.concrete_fields:
                value = getattr(obj, f.attname)
                if (
                    model is Deadline
                    and obj.source == RECEIVED_NOTICE.key
                    and f.attname
                    in (
                        "due_at",
                        "remind_from",
                    )
                ):  # the "application received" notice: at once, due a window later
                    second = dt.timedelta(seconds=1)
                    at = value - (EVENT_WINDOW if f.attname == "due_at" else dt.timedelta(0))
                    assert started - second <= at <= timezone.now() + second, f.attname
                    value = f"now ({f.attname})"
                elif f.attname in MOMENTS:
                    second = dt.timedelta(seconds=1)
                    assert started - second <= value <= timezone.now() + second, f.attname
                    value = "now"
                elif f.attname == "history_id":
                    value = "key"
                elif f.attname == "id" and model in (Person, HistoricalPerson):
                    value = names[("person", value)]
                elif f.attname == "id" and model in (Application, HistoricalApplication):
                    value = names[("application", value)]
                elif f.attname == "id":
                    value = "key"
                elif f.attname in refs and value is not None:
                    value = names[(refs[f.attname], value)]
                elif f.attname == "object_id":
                    value = names[("application", value)]
                elif f.attname == "registration_number":
                    assert is_valid_registration_number(value) and value[:4] == str(today.year)
                    value = "fresh number"
                elif f.attname == "reference":
                    assert re.fullmatch(r"[0-9A-HJKMNP-TV-Z]{10}", value)
                    value = "fresh reference"
                elif f.attname in DEMO_FILLS and model is not AuditEvent:
                    left, is_demo_value = DEMO_FILLS[f.attname]
                    assert is_demo_value(value) if seeded else value == left, (f.attname, value)
                    value = "filled or left"
                elif f.attname == "changes" and model is AuditEvent:
                    value = dict(value)
                    # the import marks its lodgings: the one intended difference
                    assert value.pop("source", "import") == "import"
                row[f.attname] = value
            rows.append(row)
        out[model._meta.label] = sorted(rows, key=repr)
    return out


def _empty() -> None:
    ResettlementReferral.objects.all().delete()
    for model in (Reminder, Deadline, AuditEvent, Application, Person):
        model.objects.all().delete()
    for model in (HistoricalApplication, HistoricalPerson):  # with the deletions' "-" rows
        model.objects.all().delete()


def test_every_writer_writes_the_same_rows_column_by_column(caseworker, rf, monkeypatch):
    today = timezone.localdate()
    paths = {
        "services": lambda: _through_services(caseworker, today, rf),
        "import": lambda: _through_import(caseworker, today),
        "demo seeder": lambda: _through_seeder(caseworker, today, monkeypatch),
    }
    if connection.vendor == "postgresql":  # the import's COPY above; its ORM writer here too
        paths["import, ORM"] = lambda: _through_import(caseworker, today)
    copy_writer, snapshots = imports.CopyWriter, {}
    for name, run in paths.items():
        _empty()
        writer = OrmWriter if name == "import, ORM" else copy_writer
        monkeypatch.setattr(imports, "CopyWriter", writer)
        started = timezone.now()
        run()
        snapshots[name] = _snapshot(started, today, seeded=name == "demo seeder")
        assert not Reminder.objects.exists()  # nothing due yet: no path reminds at once
    first = snapshots.pop("services")
    for label, rows in first.items():
        assert rows, label  # every table was written
        assert len(rows) >= len(ARRIVALS), label
    for name, snapshot in snapshots.items():
        for label, rows in first.items():
            if name == "demo seeder" and label == Deadline._meta.label:
                # The one intended difference: demo cases of past years are not told that
                # their application was received.
                rows = [r for r in rows if r["source"] != RECEIVED_NOTICE.key]
            assert snapshot[label] == rows, (name, label)
