"""Every staff read of an integration record leaves one access-log row, as in casework.

Read paths: the admin's change and history pages ("view"), its list pages ("list", or
"search" with the search's shape), and the API's detail ("view") and list ("list"/"search").
A record outside the user's scope is not shown and logs nothing. The integration admin has no
export.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from casework.models import AccessLog
from integration import services
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    eligible_case,
    settled,
)

pytestmark = pytest.mark.django_db


def rows() -> list[tuple]:
    return [
        (r.user_id, r.action, r.model, r.object_id, r.object_ids, r.query, r.via)
        for r in AccessLog.objects.order_by("id")
    ]


@pytest.fixture
def records(unit, other_unit, decider, caseworker, bergen_officer):
    """One record of each kind the reader may see, and a work permit they may not."""
    app = eligible_case(unit=unit)
    permit = WorkPermitFactory(application=app, person=app.person)
    theirs = eligible_case(unit=other_unit)
    hidden = WorkPermitFactory(application=theirs, person=theirs.person)
    family = FamilyReunificationFactory()
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    programme = services.programme_enrol(
        actor=bergen_officer,
        settlement=settlement,
        start_on=start,
        planned_end_on=start + dt.timedelta(days=300),
    )
    return {
        "workpermit": (permit, decider, "/api/v1/work-permits/"),
        "familyreunification": (family, caseworker, "/api/v1/family-reunifications/"),
        "introductionprogramme": (programme, bergen_officer, "/api/v1/introduction-programmes/"),
        "hidden": hidden,
    }


KINDS = ["workpermit", "familyreunification", "introductionprogramme"]


def _number(obj) -> str:
    person = getattr(obj, "person", None) or obj.applicant
    return person.registration_number


@pytest.mark.parametrize("kind", KINDS)
def test_admin_change_and_history_pages_are_logged(kind, client, records):
    obj, user, _url = records[kind]
    client.force_login(user)
    change = reverse(f"admin:integration_{kind}_change", args=[obj.pk])
    assert client.get(change).status_code == 200
    assert client.get(change.replace("/change/", "/history/")).status_code == 200
    label = f"integration.{kind}"
    assert rows() == [
        (user.pk, "view", label, obj.pk, [obj.pk], "", "admin"),
        (user.pk, "view", label, obj.pk, [obj.pk], "history", "admin"),
    ]


@pytest.mark.parametrize("kind", KINDS)
def test_admin_lists_and_searches_are_logged_with_their_shape(kind, client, records):
    obj, user, _url = records[kind]
    client.force_login(user)
    changelist = reverse(f"admin:integration_{kind}_changelist")
    assert client.get(changelist, {"state": obj.state}).status_code == 200
    number = _number(obj)
    assert client.get(changelist, {"q": number}).status_code == 200
    label = f"integration.{kind}"
    assert rows() == [
        (user.pk, "list", label, None, [obj.pk], "filters: state", "admin"),
        (user.pk, "search", label, None, [obj.pk], "search by registration number", "admin"),
    ]
    assert number not in str(list(AccessLog.objects.values()))


@pytest.mark.parametrize("kind", KINDS)
def test_api_detail_list_and_search_are_logged(kind, records):
    obj, user, url = records[kind]
    api = APIClient()
    api.force_authenticate(user)
    assert api.get(f"{url}{obj.pk}/").status_code == 200
    assert api.get(url, {"state": obj.state}).status_code == 200
    assert api.get(url, {"search": _number(obj)}).status_code == 200
    label = f"integration.{kind}"
    assert rows() == [
        (user.pk, "view", label, obj.pk, [obj.pk], "", "api"),
        (user.pk, "list", label, None, [obj.pk], "filters: state", "api"),
        (user.pk, "search", label, None, [obj.pk], "search by registration number", "api"),
    ]


def test_a_record_out_of_scope_is_not_shown_and_logs_nothing(client, records):
    hidden = records["hidden"]
    _permit, decider, url = records["workpermit"]
    api = APIClient()
    api.force_authenticate(decider)
    assert api.get(f"{url}{hidden.pk}/").status_code == 404
    client.force_login(decider)
    page = client.get(reverse("admin:integration_workpermit_change", args=[hidden.pk]))
    assert page.status_code == 302  # the admin's "does not exist", as for an unused id
    assert rows() == []


def test_a_refused_role_logs_nothing(records, role_users):
    api = APIClient()
    api.force_authenticate(role_users["reception"])
    for kind in KINDS:
        obj, _user, url = records[kind]
        assert api.get(url).status_code == 403
        assert api.get(f"{url}{obj.pk}/").status_code == 403
    assert rows() == []
