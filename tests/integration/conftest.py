"""Integration fixtures: the role users come from tests/conftest.py; here the municipality link."""

from __future__ import annotations

import pytest

from integration.models import MunicipalityOfficer
from reception.models import Municipality
from tests import factories


@pytest.fixture
def bergen(db):  # noqa: ANN001
    return Municipality.objects.get(name="Bergen")


@pytest.fixture
def oslo(db):  # noqa: ANN001
    return Municipality.objects.get(name="Oslo")


@pytest.fixture
def bergen_officer(integration_officer, bergen):  # noqa: ANN001
    """The integration officer, working for Bergen."""
    MunicipalityOfficer.objects.create(user=integration_officer, municipality=bergen)
    return integration_officer


@pytest.fixture
def oslo_officer(oslo):  # noqa: ANN001
    user = factories.staff_user(username="oslo-integration", role="Integration officer", unit=None)
    MunicipalityOfficer.objects.create(user=user, municipality=oslo)
    return user
