"""The rows a registration writes, built in one place for every writer.

Registering a person writes the person, their "created" history row (django-simple-history)
and the audit event ``person_registered``. ``person_service.person_register`` writes them
through the ORM one by one, the CSV import (``casework.intake.imports``) in bulk, by ``COPY`` on
PostgreSQL and ``bulk_create`` elsewhere (``casework.intake.writer``): all from these two
builders, so a field added to registration is added once. A parity test runs one input
through every writer and compares every column (``tests/casework/test_rows_parity.py``).
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Any

from casework.audit.history import history_row
from casework.audit.models import AuditEvent
from casework.core.rows import new_row
from casework.people.choices import DatePrecision
from casework.people.identity import name_key
from casework.people.models import Person


@lru_cache(maxsize=50_000)
def name_key_cached(given_name: str, family_name: str) -> str:
    """``identity.name_key``, remembered: a year's arrivals share a few thousand names."""
    return name_key(given_name, family_name)


def person_new(
    *,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str,
    registration_number: str,
    nationality: str = "",
    dob_precision: str = DatePrecision.DAY,
    **fields: Any,
) -> Person:
    """The new person, not written: names trimmed, the name key for the duplicate check, and
    stateless when no nationality is known (a stateless person has none)."""
    given_name, family_name = given_name.strip(), family_name.strip()
    return new_row(
        Person,
        {
            "given_name": given_name,
            "family_name": family_name,
            "date_of_birth": date_of_birth,
            "dob_precision": dob_precision,
            "sex": sex,
            "nationality": nationality or "",
            "registration_number": registration_number,
            **fields,
            "stateless": fields.get("stateless", False) or not nationality,
            "name_key": name_key_cached(given_name, family_name),
        },
    )


def person_registered_rows(
    person: Person, *, actor_id: int | None, at: dt.datetime, history_user_id: int | None
) -> list[Any]:
    """The rows that go with a registered person (keyed: written, or given a reserved key):
    the history row "+" and the audit event ``person_registered``."""
    return [
        history_row(person, "+", date=at, user_id=history_user_id),
        new_row(
            AuditEvent,
            {"person_id": person.pk, "actor_id": actor_id, "at": at, "action": "person_registered"},
        ),
    ]
