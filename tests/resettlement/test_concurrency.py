"""Two selections for the last place of a year's quota at once, on PostgreSQL with two real
connections: exactly one wins, the other is told the quota is full (never a server error),
and the quota is never over-allocated."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from casework.models import ResettlementQuota, ResettlementReferral
from casework.resettlement import services

from .conftest import referral


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("rounds", [5])
def test_two_selections_for_the_last_place_exactly_one_wins(rounds, caseworker, decider):
    assert connection.vendor == "postgresql"
    for n in range(rounds):
        year = 2030 + n
        services.quota_set(actor=decider, year=year, places=1)
        pair = [referral(caseworker), referral(caseworker)]
        barrier = threading.Barrier(2)
        results: list[str] = []
        lock = threading.Lock()

        def select(r, year=year, barrier=barrier, results=results, lock=lock) -> None:
            try:
                barrier.wait(timeout=30)
                services.referral_transition(
                    actor=decider, referral=r, name="select", quota_year=year
                )
                outcome = "selected"
            except services.QuotaFull as exc:
                outcome = f"refused: {exc.message}"
            except Exception as exc:  # any other error fails the test
                outcome = f"error: {exc!r}"
            finally:
                connection.close()  # each thread had its own real connection
            with lock:
                results.append(outcome)

        threads = [threading.Thread(target=select, args=(r,)) for r in pair]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert sorted(r.split(":")[0] for r in results) == ["refused", "selected"], results
        refusal = next(r for r in results if r.startswith("refused"))
        assert f"All 1 places of the {year} resettlement quota are taken" in refusal
        quota = ResettlementQuota.objects.get(year=year)
        assert quota.taken == 1
        states = sorted(
            ResettlementReferral.objects.filter(pk__in=[r.pk for r in pair]).values_list(
                "state", flat=True
            )
        )
        assert states == ["referred", "selected"]
