"""Reception fixtures: centres in known places, an officer who works at them, one who does not."""

from __future__ import annotations

import pytest

from tests import factories
from tests.reception.factories import CentreStaffFactory, ReceptionCentreFactory, municipality


@pytest.fixture
def centre(db):
    return ReceptionCentreFactory(name="Bergen ordinary", capacity=10)


@pytest.fixture
def arrival_centre(db):
    return ReceptionCentreFactory(
        name="National arrival centre",
        kind="arrival",
        operator_kind="municipal",
        operator_name="Råde kommune",
        municipality=municipality("Råde"),
        capacity=50,
    )


@pytest.fixture
def minors_centre(db):
    return ReceptionCentreFactory(
        name="Drammen minors", kind="minors", capacity=5, municipality=municipality("Drammen")
    )


@pytest.fixture
def officer(reception_officer, centre, arrival_centre, minors_centre):
    """A reception officer working at the three centres above."""
    for c in (centre, arrival_centre, minors_centre):
        CentreStaffFactory(centre=c, user=reception_officer)
    return reception_officer


@pytest.fixture
def other_officer(db):
    """A reception officer at another centre: sees and moves none of the residents above."""
    user = factories.staff_user(username="reception2", role="Reception officer", unit=None)
    CentreStaffFactory(
        centre=ReceptionCentreFactory(name="Tromsø ordinary", municipality=municipality("Tromsø")),
        user=user,
    )
    return user
