"""The admin's action pages of the three apps share one template (admin/casework/action_form.html):
the same breadcrumb trail, summary line and buttons, and no inline style or script."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from tests.factories import ApplicationFactory, UserFactory
from tests.integration.factories import WorkPermitFactory, municipality_named
from tests.reception.factories import PlacementFactory, ReceptionCentreFactory
from tests.security.test_hardening import assert_strict

pytestmark = pytest.mark.django_db


def _trail(html: str) -> list[str]:
    crumbs = re.search(r'<div class="breadcrumbs">(.*?)</div>', html, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", part).strip() for part in crumbs.split("&rsaquo;")]


@pytest.fixture
def root(client):
    user = UserFactory(username="root", is_superuser=True)
    client.force_login(user)
    return user


def test_each_app_action_page_has_the_same_anatomy(client, root):
    app = ApplicationFactory(state="submitted")
    centre = ReceptionCentreFactory(municipality=municipality_named("Bergen"), name="Bergen mottak")
    placement = PlacementFactory(centre=centre)
    permit = WorkPermitFactory()
    pages = {
        reverse("admin:casework_application_transition", args=[app.pk, "withdraw"]): [
            "Home",
            "Casework",
            "Applications",
            app.display_reference,
        ],
        reverse("admin:reception_placement_transfer", args=[placement.pk]): [
            "Home",
            "Reception",
            "Placements",
            str(placement),
        ],
        reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"]): [
            "Home",
            "Integration",
            "Work permits",
            str(permit),
        ],
    }
    for url, trail in pages.items():
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert [t.lower() for t in _trail(html)[:4]] == [t.lower() for t in trail], url
        assert 'class="closelink">Cancel</a>' in html, url
        assert 'class="module aligned"' in html and "admin/css/forms.css" in html, url
        assert_strict(response, url)
    transfer = client.get(reverse("admin:reception_placement_transfer", args=[placement.pk]))
    summary = re.search(r'<p class="action-summary">(.*?)</p>', transfer.content.decode()).group(1)
    assert placement.person.registration_number in summary and "Bergen mottak" in summary
    permit_page = client.get(
        reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"])
    ).content.decode()
    assert f"{permit} — {permit.get_state_display()}" in permit_page


def test_a_page_without_a_record_has_no_record_crumb(client, root):
    response = client.get(reverse("admin:reception_placement_place"))
    assert response.status_code == 200
    trail = _trail(response.content.decode())
    assert [t.lower() for t in trail] == [
        "home",
        "reception",
        "placements",
        "place a person in a centre",
    ]
    assert 'value="Save"' in response.content.decode()
