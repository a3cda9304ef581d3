"""Integration fixtures: the role users come from tests/conftest.py; here the municipality link."""

from __future__ import annotations

import pytest

from integration.models import MunicipalityOfficer
from tests import factories
from tests.integration.factories import municipality_named


@pytest.fixture
def bergen(db):
    return municipality_named("Bergen")


@pytest.fixture
def oslo(db):
    return municipality_named("Oslo")


@pytest.fixture
def bergen_officer(integration_officer, bergen):
    """The integration officer, working for Bergen."""
    MunicipalityOfficer.objects.create(user=integration_officer, municipality=bergen)
    return integration_officer


@pytest.fixture
def oslo_officer(oslo):
    user = factories.staff_user(username="oslo-integration", role="Integration officer", unit=None)
    MunicipalityOfficer.objects.create(user=user, municipality=oslo)
    return user
