"""The reception officer's admin: live occupancy, scoped residents, actions through services."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from reception.models import CentreStaff, Placement
from tests.factories import DecisionFactory, PersonFactory
from tests.reception.factories import PlacementFactory, ReceptionCentreFactory

pytestmark = pytest.mark.django_db

CENTRES = reverse("admin:reception_receptioncentre_changelist")
PLACEMENTS = reverse("admin:reception_placement_changelist")


def fill(centre, n):
    for _ in range(n):
        PlacementFactory(centre=centre, start=timezone.localdate() - dt.timedelta(days=3))


def test_centre_list_shows_occupancy_and_free_beds(client, officer, centre, other_officer):
    fill(centre, 7)
    client.force_login(officer)
    response = client.get(CENTRES)
    assert response.status_code == 200
    rows = {c.name: (c.occupied, c.free_beds) for c in response.context["cl"].result_list}
    assert rows["Bergen ordinary"] == (7, 3)
    assert "Tromsø ordinary" not in rows  # another officer's centre
    assert "Vestland" in response.content.decode()


def test_centre_list_query_count_does_not_grow_with_centres(client, officer):
    client.force_login(officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(CENTRES).status_code == 200
        return len(ctx.captured_queries)

    count()  # the first request renews the session and warms the per-user role cache
    few = count()
    for _ in range(12):
        more = ReceptionCentreFactory()
        CentreStaff.objects.create(centre=more, user=officer)
        fill(more, 2)
    assert count() == few
    assert few <= 15


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("occupancy=full", {"Drammen minors"}),
        ("occupancy=free", {"Bergen ordinary", "National arrival centre"}),
        ("kind__exact=arrival", {"National arrival centre"}),
        ("county=Buskerud", {"Drammen minors"}),
        ("county=Østfold", {"National arrival centre"}),
    ],
)
def test_centre_filters(client, officer, minors_centre, query, expected):
    minors_centre.capacity = 2
    minors_centre.save()
    fill(minors_centre, 2)
    client.force_login(officer)
    response = client.get(f"{CENTRES}?{query}")
    assert {c.name for c in response.context["cl"].result_list} == expected


def test_centre_page_lists_residents_without_grounds(client, officer, centre):
    placement = PlacementFactory(centre=centre)
    DecisionFactory(application__person=placement.person, grounds="SECRET-GROUNDS")
    client.force_login(officer)
    page = client.get(reverse("admin:reception_receptioncentre_change", args=[centre.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert placement.person.registration_number in html
    assert "SECRET-GROUNDS" not in html


def test_officer_places_a_person_through_the_service(client, officer, centre):
    person = PersonFactory()
    client.force_login(officer)
    url = reverse("admin:reception_placement_place")
    assert client.get(f"{url}?person={person.pk}&centre={centre.pk}").status_code == 200
    response = client.post(
        url,
        {
            "registration_number": person.registration_number,
            "centre": centre.pk,
            "start": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 302
    assert Placement.objects.get(person=person).centre == centre


def test_placing_into_a_full_centre_shows_the_refusal(client, officer, centre):
    centre.capacity = 1
    centre.save()
    fill(centre, 1)
    client.force_login(officer)
    response = client.post(
        reverse("admin:reception_placement_place"),
        {
            "registration_number": PersonFactory().registration_number,
            "centre": centre.pk,
            "start": timezone.localdate().isoformat(),
        },
    )
    assert response.status_code == 200
    assert "is full: all 1 beds are taken" in response.content.decode()


def test_transfer_and_discharge_from_the_admin(client, officer, centre, arrival_centre):
    placement = PlacementFactory(centre=arrival_centre)
    client.force_login(officer)
    today = timezone.localdate().isoformat()
    transfer = reverse("admin:reception_placement_transfer", args=[placement.pk])
    missing_reason = client.post(transfer, {"to_centre": centre.pk, "reason": "", "on": today})
    assert missing_reason.status_code == 200
    ok = client.post(transfer, {"to_centre": centre.pk, "reason": "Interview held", "on": today})
    assert ok.status_code == 302
    new = Placement.objects.get(person=placement.person, end__isnull=True)
    assert new.centre == centre
    discharge = reverse("admin:reception_placement_discharge", args=[new.pk])
    assert client.post(discharge, {"reason": "private", "on": today}).status_code == 302
    assert not Placement.objects.filter(person=placement.person, end__isnull=True).exists()


def test_officer_of_another_centre_cannot_see_or_move_residents(client, other_officer, centre):
    placement = PlacementFactory(centre=centre)
    client.force_login(other_officer)
    assert placement not in client.get(PLACEMENTS).context["cl"].result_list
    url = reverse("admin:reception_placement_discharge", args=[placement.pk])
    assert client.post(url, {"reason": "other", "on": "2024-01-01"}).status_code == 404
    placement.refresh_from_db()
    assert placement.is_open


def test_caseworker_has_no_reception_admin(client, caseworker):
    client.force_login(caseworker)
    assert client.get(CENTRES).status_code == 403
    assert client.get(reverse("admin:reception_placement_place")).status_code == 403


def test_occupancy_page_for_viken_in_2024_names_the_successors(client, officer, arrival_centre):
    PlacementFactory(centre=arrival_centre, start=dt.date(2023, 12, 1))
    client.force_login(officer)
    url = reverse("admin:reception_occupancy")
    assert 'href="occupancy/"' in client.get(CENTRES).content.decode()
    page = client.get(f"{url}?on=2024-03-01&county=Viken&year=2024")
    html = page.content.decode()
    assert page.status_code == 200
    assert "Viken existed until 31 Dec 2023" in html
    assert "Akershus, Buskerud and Østfold" in html
    assert page.context["report"].total == 1
    in_2023 = client.get(f"{url}?on=2023-12-15&year=2023")
    assert in_2023.context["by_year"].rows == [{"county": "Viken", "placements": 1}]
    assert client.get(f"{url}?on=not-a-date").status_code == 200  # form error, no 500


def test_recording_a_settlement_in_the_admin_uses_the_quota(client, officer):
    from casework.applications.choices import State
    from tests.factories import ApplicationFactory
    from tests.reception.factories import MunicipalityQuotaFactory, municipality

    app = ApplicationFactory(state=State.ACCEPTED)
    bodo = municipality("Bodø")
    client.force_login(officer)
    url = reverse("admin:reception_settlement_add")
    body = {
        "registration_number": app.person.registration_number,
        "municipality": bodo.pk,
        "settled_on": "2024-04-02",
    }
    refused = client.post(url, body)
    assert refused.status_code == 200
    assert "Bodø has not agreed to settle refugees in 2024" in refused.content.decode()
    MunicipalityQuotaFactory(municipality=bodo, year=2024, places=5)
    assert client.post(url, body).status_code == 302
    assert app.settlements.get().municipality == bodo


def test_person_placement_panels_say_where_and_link_to_place_or_move(officer, centre):
    from reception.admin import person_placement_actions, person_placement_summary

    person = PersonFactory()
    assert person_placement_summary(person) == "Not in reception."
    assert f"place/?person={person.pk}" in person_placement_actions(person)
    placement = PlacementFactory(person=person, centre=centre)
    assert "Bergen ordinary" in person_placement_summary(person)
    assert "<a " not in person_placement_summary(person)
    assert f"{placement.pk}/transfer/" in person_placement_actions(person)


def test_reception_officer_sees_settlements_of_their_residents_only(client, officer, centre):
    from tests.reception.factories import SettlementFactory

    mine = SettlementFactory()
    PlacementFactory(
        person=mine.person, centre=centre, start=dt.date(2024, 1, 1), end=dt.date(2024, 2, 1)
    )
    SettlementFactory()  # someone who never lived in the officer's centres
    client.force_login(officer)
    listed = client.get(reverse("admin:reception_settlement_changelist")).context["cl"]
    assert list(listed.result_list) == [mine]


def test_placement_list_query_count_does_not_grow_with_residents(client, officer, centre):
    client.force_login(officer)

    def count() -> int:
        with CaptureQueriesContext(connection) as ctx:
            assert client.get(PLACEMENTS).status_code == 200
        return len(ctx.captured_queries)

    fill(centre, 2)
    count()  # the first request renews the session and warms the per-user role cache
    few = count()
    fill(centre, 8)
    assert count() == few
    page = client.get(reverse("admin:reception_receptioncentre_change", args=[centre.pk]))
    assert page.status_code == 200
