"""The Dublin unit prepares a request on its own admin page, naming the case by its reference
as the case page shows it (dashes and all) or as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from casework.dublin.models import DublinRequest
from tests.dublin.helpers import dublin_case

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("typed", ["display", "lower case, spaces"])
def test_the_request_is_prepared_for_the_case_named_as_it_is_shown(client, caseworker, typed):
    app = dublin_case(caseworker, lodged_on=dt.date.today() - dt.timedelta(days=10))
    reference = app.display_reference
    if typed != "display":
        reference = f"  {reference.lower().replace('-', ' ')} "
    client.force_login(caseworker)
    response = client.post(
        reverse("admin:casework_dublinrequest_create"),
        {"case": reference, "member_state": "SE", "kind": "take_charge", "legal_ground": "art_12"},
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    assert DublinRequest.objects.get(application=app).member_state == "SE"


def test_a_reference_of_no_case_of_yours_is_refused_on_the_form(client, caseworker):
    client.force_login(caseworker)
    response = client.post(
        reverse("admin:casework_dublinrequest_create"),
        {
            "case": "ZZZZ-ZZZZ-ZZ",
            "member_state": "SE",
            "kind": "take_charge",
            "legal_ground": "art_12",
        },
    )
    assert response.status_code == 200
    assert "No case of yours has this reference." in response.content.decode()
    assert not DublinRequest.objects.exists()
