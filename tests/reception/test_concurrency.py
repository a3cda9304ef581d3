"""50 placement requests at once for 10 free beds: exactly 10 placements, 40 clear refusals."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from reception import services
from reception.exceptions import CentreFull
from reception.models import Placement
from tests.factories import PersonFactory


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_fifty_concurrent_placements_never_overbook_ten_free_beds(officer, centre):
    centre.capacity = 12
    centre.save()
    for _ in range(2):  # two beds already taken
        services.placement_create(actor=officer, person=PersonFactory(), centre=centre)
    people = [PersonFactory() for _ in range(50)]
    barrier = threading.Barrier(len(people))
    results: list[str] = []
    lock = threading.Lock()

    def request(person) -> None:
        try:
            barrier.wait(timeout=30)
            services.placement_create(actor=officer, person=person, centre=centre)
            outcome = "placed"
        except CentreFull as exc:
            outcome = f"refused: {exc.message}"
        except Exception as exc:  # any other error is a failure of the test
            outcome = f"error: {exc!r}"
        finally:
            connection.close()  # each thread had its own real connection
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=request, args=(p,)) for p in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 50
    assert results.count("placed") == 10
    refusals = [r for r in results if r.startswith("refused")]
    assert len(refusals) == 40, [r for r in results if r.startswith("error")]
    assert all("is full: all 12 beds are taken" in r for r in refusals)
    assert Placement.objects.filter(centre=centre, end__isnull=True).count() == 12


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_a_capacity_cut_racing_placements_never_leaves_more_residents_than_beds(officer, centre):
    """20 placements and cuts of the capacity to 6, 5 and 4 at once, on a centre with 10 beds
    and 4 residents: whatever order the row lock gives them, no bed count ends below the
    residents, every refusal is a clear one, and every cut made is audited."""
    from casework.models import AuditEvent
    from reception.exceptions import PlacementInvalid
    from tests.factories import UserFactory

    root = UserFactory(username="root", is_superuser=True)
    centre.capacity = 10
    centre.save()
    for _ in range(4):
        services.placement_create(actor=officer, person=PersonFactory(), centre=centre)
    people = [PersonFactory() for _ in range(20)]
    cuts = [6, 5, 4]
    barrier = threading.Barrier(len(people) + len(cuts))
    results: list[str] = []
    lock = threading.Lock()

    def run(call) -> None:
        try:
            barrier.wait(timeout=30)
            outcome = call()
        except CentreFull:
            outcome = "full"
        except PlacementInvalid as exc:
            outcome = f"cut refused: {exc.message_dict['capacity'][0]}"
        except Exception as exc:  # any other error is a failure of the test
            outcome = f"error: {exc!r}"
        finally:
            connection.close()
        with lock:
            results.append(outcome)

    def place(person):
        services.placement_create(actor=officer, person=person, centre=centre)
        return "placed"

    def cut(beds):
        services.centre_update(actor=root, centre=centre, capacity=beds)
        return f"cut to {beds}"

    calls = [lambda p=p: place(p) for p in people] + [lambda b=b: cut(b) for b in cuts]
    threads = [threading.Thread(target=run, args=(c,)) for c in calls]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert len(results) == 23
    assert not [r for r in results if r.startswith("error")], results
    centre.refresh_from_db()
    residents = Placement.objects.filter(centre=centre, end__isnull=True).count()
    assert residents == 4 + results.count("placed")
    assert centre.capacity >= residents, (centre.capacity, residents, results)
    refused = [r for r in results if r.startswith("cut refused")]
    assert all("beds are taken today or later" in r for r in refused)
    made = [r for r in results if r.startswith("cut to")]
    assert AuditEvent.objects.filter(action="centre_changed").count() == len(made)
    assert results.count("placed") + results.count("full") == 20
