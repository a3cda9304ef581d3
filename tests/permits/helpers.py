"""Permits built through the service, for the permits' tests."""

from __future__ import annotations

import datetime as dt

from casework.permits.services import permit_grant
from casework.permits.terms import permit_terms
from tests.factories import ApplicationFactory, PersonFactory


def collective_permit(
    *,
    granted: dt.date = dt.date(2025, 3, 1),
    nationality: str = "UA",
    group: str = "Ukraine 2022",
    language: str = "uk",
    outcome: str = "collective",
    unit=None,
    caseworker=None,
):
    """A permit of ``outcome`` granted on ``granted`` for a new person, with its case."""
    person = PersonFactory(nationality=nationality, preferred_language=language)
    app = ApplicationFactory(person=person, kind="collective", state="accepted", unit=unit)
    terms = permit_terms(outcome=outcome, valid_from=granted)
    return permit_grant(
        actor=None,
        person=person,
        terms=terms,
        application=app,
        group=group if outcome == "collective" else "",
        recipient_user=caseworker,
    )
