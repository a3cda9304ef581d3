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
