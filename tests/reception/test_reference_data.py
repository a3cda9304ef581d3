"""Centres, their staff and municipal quotas change through services that keep the invariants
(never more residents than beds, none in a closed centre, no fewer places than people settled)
and audit each change; other roles are refused and leave no trace."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent
from reception import services
from reception.exceptions import PlacementConflict, PlacementInvalid
from reception.models import CentreStaff
from tests.factories import UserFactory
from tests.reception.factories import (
    MunicipalityQuotaFactory,
    PlacementFactory,
    SettlementFactory,
    municipality,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


def residents(centre, n):
    for _ in range(n):
        PlacementFactory(centre=centre, start=timezone.localdate() - dt.timedelta(days=3))


def test_a_centre_keeps_at_least_as_many_beds_as_residents(root, centre):
    residents(centre, 7)
    with pytest.raises(PlacementInvalid) as refused:
        services.centre_update(actor=root, centre=centre, capacity=6)
    assert "capacity" in refused.value.message_dict
    services.centre_update(actor=root, centre=centre, capacity=7)
    centre.refresh_from_db()
    assert centre.capacity == 7
    event = AuditEvent.objects.get(action="centre_changed")
    assert event.changes == {
        "subject": f"reception.receptioncentre:{centre.pk}",
        "fields": {"capacity": [10, 7]},
    }


def test_a_centre_closes_only_once_its_residents_have_left(root, centre):
    residents(centre, 1)
    with pytest.raises(PlacementConflict):
        services.centre_update(actor=root, centre=centre, closed_on=timezone.localdate())
    assert not AuditEvent.objects.exists()


def test_a_quota_cannot_fall_below_the_people_settled_that_year(root):
    bergen = municipality("Bergen")
    today = timezone.localdate()
    quota = MunicipalityQuotaFactory(municipality=bergen, year=today.year, places=3)
    SettlementFactory(municipality=bergen, settled_on=today)
    SettlementFactory(municipality=bergen, settled_on=today)
    with pytest.raises(PlacementInvalid):
        services.municipality_quota_update(actor=root, quota=quota, places=1)
    services.municipality_quota_update(actor=root, quota=quota, places=2)
    quota.refresh_from_db()
    assert quota.places == 2


def test_the_year_of_a_quota_does_not_change(root):
    quota = MunicipalityQuotaFactory(year=2030)
    with pytest.raises(PlacementInvalid):
        services.municipality_quota_update(actor=root, quota=quota, year=2031)


@pytest.mark.parametrize(
    "change",
    [
        lambda actor, centre: services.centre_update(actor=actor, centre=centre, capacity=99),
        lambda actor, centre: services.centre_staff_add(actor=actor, centre=centre, user=actor),
        lambda actor, centre: services.municipality_quota_create(
            actor=actor, municipality=centre.municipality, year=2031, places=5
        ),
    ],
    ids=["centre_update", "centre_staff_add", "municipality_quota_create"],
)
def test_a_reception_officer_may_not_change_reference_data(change, officer, centre):
    with pytest.raises(PermissionDenied):
        change(officer, centre)
    assert not AuditEvent.objects.exists()


def test_a_refusal_in_the_admin_is_a_message_not_an_error(client, root, centre):
    residents(centre, 4)
    client.force_login(root)
    url = reverse("admin:reception_receptioncentre_change", args=[centre.pk])
    page = client.get(url)
    form = page.context["adminform"].form
    data = {name: form[name].value() or "" for name in form.fields}
    data.update({"capacity": "2", "_save": "Save", "placements-TOTAL_FORMS": "0"})
    data["placements-INITIAL_FORMS"] = "0"
    response = client.post(url, data, follow=True)
    assert response.status_code == 200
    assert "4 beds are taken today or later" in response.content.decode()
    centre.refresh_from_db()
    assert centre.capacity == 10
    assert not AuditEvent.objects.exists()


def test_removing_an_officer_from_a_centre_is_audited(root, officer, centre):
    post = CentreStaff.objects.get(user=officer, centre=centre)
    services.centre_staff_remove(actor=root, centre_staff=post)
    assert not CentreStaff.objects.filter(pk=post.pk).exists()
    event = AuditEvent.objects.get(action="centre_staff_removed")
    subject = f"reception.receptioncentre:{centre.pk}"
    assert event.changes == {"subject": subject, "user": officer.pk}


# --- the API writes through the same services ------------------------------------------------


def test_the_api_cannot_set_a_capacity_below_the_residents(root, centre):
    from rest_framework.test import APIClient

    residents(centre, 7)
    client = APIClient()
    client.force_authenticate(root)
    url = f"/api/v1/reception-centres/{centre.pk}/"
    refused = client.patch(url, {"capacity": 3}, format="json")
    assert refused.status_code == 400, refused.content
    assert refused.json() == {
        "capacity": ["7 beds are taken today or later; the capacity cannot be lower."]
    }
    centre.refresh_from_db()
    assert centre.capacity == 10
    assert client.get(url).json()["free_beds"] == 3
    assert not AuditEvent.objects.exists()
    changed = client.patch(url, {"capacity": 8, "operator_name": "Norsk Mottak"}, format="json")
    assert (changed.status_code, changed.json()["free_beds"]) == (200, 1)
    event = AuditEvent.objects.get(action="centre_changed")
    assert (event.actor, event.changes["fields"]) == (
        root,
        {"capacity": [10, 8], "operator_name": [centre.operator_name, "Norsk Mottak"]},
    )


def test_a_centre_opened_through_the_api_is_audited_with_its_values(root):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(root)
    body = {
        "name": "Bodø transit",
        "kind": "transit",
        "operator_kind": "private",
        "operator_name": "Hero",
        "municipality": "1804",
        "capacity": 40,
        "opened_on": "2024-01-01",
    }
    created = client.post("/api/v1/reception-centres/", body, format="json")
    assert created.status_code == 201, created.content
    event = AuditEvent.objects.get(action="centre_created")
    assert event.changes["subject"] == f"reception.receptioncentre:{created.json()['id']}"
    assert event.changes["fields"]["capacity"] == [None, 40]
    assert event.changes["fields"]["name"] == [None, "Bodø transit"]
    assert event.changes["fields"]["municipality"][1] == municipality("Bodø").pk
