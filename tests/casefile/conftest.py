"""Fixtures for the case file: a case in the caseworker's unit, one in another, private media."""

from __future__ import annotations

import pytest

from tests.factories import ApplicationFactory, PersonFactory

PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
TEXT = b"This is not a PDF at all, only words pretending.\n"


@pytest.fixture
def media(settings, tmp_path):
    """Uploaded files go to a private directory of this test."""
    settings.MEDIA_ROOT = tmp_path / "private"
    settings.CLAMD_SOCKET = str(tmp_path / "no-clamd.ctl")  # no scanner, whatever the machine
    return settings.MEDIA_ROOT


@pytest.fixture
def case(unit):
    return ApplicationFactory(
        unit=unit, person=PersonFactory(given_name="Amina", family_name="Rahimi")
    )


@pytest.fixture
def case_elsewhere(other_unit):
    return ApplicationFactory(unit=other_unit)
