"""No overbooking, through the whole stack: 50 requests at once over HTTP for 10 free beds.

Reception has its own service-level race test (tests/reception/test_concurrency.py). Here the
requests come through a real gunicorn (2 workers x 8 threads, so they really overlap in two
processes), and they are of two kinds competing for the same beds: 40 new placements and 10
transfers from another centre. Exactly 10 win, 40 get a clear 409, none a 500.
"""

from __future__ import annotations

import threading
from collections import Counter

import pytest
import requests
from rest_framework.authtoken.models import Token

from reception import services
from reception.models import Placement
from tests.factories import PersonFactory
from tests.reception.factories import CentreStaffFactory, ReceptionCentreFactory

from .conftest import gunicorn

pytestmark = [pytest.mark.fault, pytest.mark.services("postgres")]


@pytest.mark.django_db(transaction=True)
def test_fifty_placements_and_transfers_over_http_fill_exactly_ten_beds(
    tmp_path, reception_officer
):
    target = ReceptionCentreFactory(name="Target ordinary", capacity=12)
    source = ReceptionCentreFactory(name="Source ordinary", capacity=20)
    for c in (target, source):
        CentreStaffFactory(centre=c, user=reception_officer)
    for _ in range(2):  # two beds already taken: 10 free
        services.placement_create(actor=reception_officer, person=PersonFactory(), centre=target)
    movers = [
        services.placement_create(actor=reception_officer, person=PersonFactory(), centre=source)
        for _ in range(10)
    ]
    newcomers = [PersonFactory() for _ in range(40)]
    token = Token.objects.create(user=reception_officer).key

    with gunicorn(tmp_path, WORKERS="2", THREADS="8") as web:
        barrier = threading.Barrier(50)
        results: list[tuple[str, int, str]] = []
        lock = threading.Lock()
        auth = {"Authorization": f"Token {token}"}

        def send(kind: str, url: str, body: dict) -> None:
            barrier.wait(timeout=30)
            try:
                resp = requests.post(url, json=body, headers=auth, timeout=30)
                outcome = (kind, resp.status_code, resp.text[:200])
            except requests.RequestException as exc:
                outcome = (kind, 0, repr(exc))
            with lock:
                results.append(outcome)

        jobs = [
            ("place", f"{web.base}/api/v1/placements/", {"person": p.pk, "centre": target.pk})
            for p in newcomers
        ] + [
            (
                "transfer",
                f"{web.base}/api/v1/placements/{m.pk}/transfer/",
                {"to_centre": target.pk, "reason": "Closer to the hospital."},
            )
            for m in movers
        ]
        threads = [threading.Thread(target=send, args=job) for job in jobs]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)

    codes = Counter(code for _k, code, _b in results)
    print(f"\n50 concurrent requests for 10 beds: {dict(Counter((k, c) for k, c, _ in results))}")
    assert len(results) == 50
    assert codes == {201: 10, 409: 40}, results
    assert all("full" in body for _k, code, body in results if code == 409)
    assert Placement.objects.filter(centre=target, end__isnull=True).count() == 12
    # The losing transfers left their residents where they were.
    still_at_source = Placement.objects.filter(centre=source, end__isnull=True).count()
    transferred = sum(1 for k, code, _b in results if k == "transfer" and code == 201)
    assert still_at_source == 10 - transferred
