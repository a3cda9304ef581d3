"""Fixtures for the applicant status pages: an applicant with a case, and a way to look it up."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest

from tests.factories import ApplicationFactory, PersonFactory

BIRTH_DATE = dt.date(1990, 3, 15)


@pytest.fixture(autouse=True)
def _generous_limits(settings):
    """Tests that are not about the rate limit must not trip over it."""
    settings.STATUS_RATE_LIMIT = "100000/h"
    settings.STATUS_REFERENCE_RATE_LIMIT = "100000/h"


@pytest.fixture
def applicant(db):
    return PersonFactory(date_of_birth=BIRTH_DATE, given_name="Amina", family_name="Haddad")


@pytest.fixture
def application(applicant):
    return ApplicationFactory(person=applicant, state="submitted")


def lookup(client, *, reference: str, born: dt.date = BIRTH_DATE, language: str = "", **extra):
    """POST the status form as an applicant would, in ``language`` ("" is English)."""
    path = f"/{language}/status/" if language and language != "en" else "/status/"
    return client.post(
        path,
        {
            "reference": reference,
            "day": str(born.day),
            "month": str(born.month),
            "year": str(born.year),
        },
        **extra,
    )


def text_of(response) -> str:
    """The page as text, without tags and with collapsed whitespace."""
    page = response.content.decode()
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))
