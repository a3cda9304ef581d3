"""A year's resettlement quota and UNHCR referrals to select within it."""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
from django.utils import timezone

from casework.resettlement import services

_numbers = itertools.count(1)


def referral(actor, **values):
    """A referral registered as a caseworker would register it."""
    n = next(_numbers)
    fields = {
        "unhcr_reference": f"LEB-26C{n:05d}",
        "referral_date": timezone.localdate() - dt.timedelta(days=40),
        "priority": "normal",
        "selection_method": "mission",
        "given_name": "Amal",
        "family_name": f"Haddad{n}",
        "date_of_birth": dt.date(1990, 3, 4),
        "sex": "female",
        "nationality": "SY",
        **values,
    }
    return services.referral_register(actor=actor, **fields)


@pytest.fixture
def year():
    return timezone.localdate().year


@pytest.fixture
def quota(decider, year):
    return services.quota_set(actor=decider, year=year, places=2, source="test budget")
