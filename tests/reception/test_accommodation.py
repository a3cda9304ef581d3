"""A person with a special need is placed only where the accommodation it requires is offered
(Reception Conditions Directive arts. 21-22): one rule (``accommodation_lacking``) for placing
and transferring, a refusal that names the accommodation (never the need) and the centres
that offer it, and nothing half-saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.models import AuditEvent, Deadline, Vulnerability
from reception import services
from reception.exceptions import PlacementInvalid
from reception.models import Placement
from tests.factories import PersonFactory
from tests.reception.factories import PlacementFactory, ReceptionCentreFactory, municipality

pytestmark = pytest.mark.django_db

TODAY = dt.date(2024, 3, 1)
DETAIL = "Spinal injury after a fall in detention; uses a wheelchair."


def needing(*codes: str, kind: str = "disabled") -> object:
    person = PersonFactory()
    Vulnerability.objects.create(
        person=person, kind=kind, detail=DETAIL, accommodation=",".join(codes)
    )
    return person


@pytest.fixture
def accessible(officer):
    """A centre with step-free access and single rooms, where the officer works too."""
    from tests.reception.factories import CentreStaffFactory

    centre = ReceptionCentreFactory(
        name="Tromsø adapted unit",
        municipality=municipality("Tromsø"),
        accommodation="step_free,single_room,ground_floor",
    )
    CentreStaffFactory(centre=centre, user=officer)
    return centre


def _nothing_written(person) -> None:
    assert not Placement.objects.filter(person=person).exists()
    assert not AuditEvent.objects.filter(person=person, action="placement_created").exists()
    assert not Deadline.objects.filter(person=person).exists()  # no TB screening opened


def test_a_centre_without_the_required_accommodation_refuses_and_names_what_is_lacking(
    officer, centre, accessible
):
    person = needing("step_free", "single_room")
    with pytest.raises(PlacementInvalid) as refused:
        services.placement_create(actor=officer, person=person, centre=centre, start=TODAY)
    message = str(refused.value.message_dict["centre"])
    assert "Bergen ordinary does not offer" in message
    assert "step-free access, single room" in message
    assert "Centres that offer it: Tromsø adapted unit." in message
    assert "wheelchair" not in message and "disabled" not in message  # never the need
    _nothing_written(person)


def test_a_centre_offering_all_of_it_takes_the_person(officer, accessible):
    person = needing("step_free", "single_room")
    placement = services.placement_create(
        actor=officer, person=person, centre=accessible, start=TODAY
    )
    assert placement.centre == accessible and placement.is_open


def test_every_current_need_counts_and_an_ended_one_no_longer_does(officer, centre):
    person = needing("single_room")
    Vulnerability.objects.create(
        person=person, kind="pregnant", detail="Week 30.", accommodation="near_hospital"
    )
    centre.accommodation = "single_room"
    centre.save()
    with pytest.raises(PlacementInvalid, match="near a hospital"):
        services.placement_create(actor=officer, person=person, centre=centre, start=TODAY)
    Vulnerability.objects.filter(person=person, kind="pregnant").update(ended_on=TODAY)
    assert services.placement_create(actor=officer, person=person, centre=centre, start=TODAY)


def test_a_person_without_needs_is_placed_anywhere(officer, centre):
    assert centre.accommodation == ""
    assert services.placement_create(
        actor=officer, person=PersonFactory(), centre=centre, start=TODAY
    )


def test_a_transfer_to_a_centre_lacking_it_is_refused_and_the_placement_stays(
    officer, centre, accessible
):
    person = needing("ground_floor")
    current = PlacementFactory(person=person, centre=accessible, start=TODAY)
    with pytest.raises(PlacementInvalid, match="ground floor or lift"):
        services.placement_transfer(
            actor=officer, placement=current, to_centre=centre, reason="Closer to school.", on=TODAY
        )
    current.refresh_from_db()
    assert current.is_open and Placement.objects.filter(person=person).count() == 1


def test_the_api_answers_400_with_the_reason(officer, centre):
    person = needing("night_staff", kind="minor")
    client = APIClient()
    client.force_authenticate(officer)
    response = client.post(
        "/api/v1/placements/", {"person": person.pk, "centre": centre.pk}, format="json"
    )
    assert response.status_code == 400
    assert "staff at night" in str(response.json())
    _nothing_written(person)


def test_the_place_form_shows_the_refusal(client, officer, centre):
    person = needing("single_room")
    client.force_login(officer)
    response = client.post(
        reverse("admin:reception_placement_place"),
        {
            "registration_number": person.registration_number,
            "centre": centre.pk,
            "start": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "does not offer the accommodation this person" in response.content.decode()
    _nothing_written(person)


def test_the_centre_form_records_what_it_offers(client, admin_user, centre):
    client.force_login(admin_user)
    url = reverse("admin:reception_receptioncentre_change", args=[centre.pk])
    page = client.get(url).content.decode()
    assert 'name="accommodation" value="single_room"' in page
    services.centre_update(actor=admin_user, centre=centre, accommodation=["single_room"])
    centre.refresh_from_db()
    assert centre.accommodation == "single_room"
    with pytest.raises(PlacementInvalid):
        services.centre_update(actor=admin_user, centre=centre, accommodation=["sauna"])
