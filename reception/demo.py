"""Reception's part of the demo data (``seed_demo`` finds this module and runs its hooks).

Settles the 2023 collective-protection holders of the demo in municipalities, so that the
statistics show the source document's picture: most in Viken and Vestland, and Nordland and
Møre og Romsdal many for their population. Bulk inserts; idempotent (people already settled
are left alone); seeded.
"""

from __future__ import annotations

import datetime as dt
import random
from typing import Any

from django.db import transaction

from casework import demo_data
from casework.choices import ApplicationKind
from casework.models import Application

from .models import MunicipalityCounty, Settlement

# Share of the 2023 arrivals settled in each county (2020-2023 names); per cent.
COUNTY_SHARES_2023 = [
    ("Viken", 20), ("Vestland", 12.5), ("Nordland", 8.5), ("Møre og Romsdal", 8.5),
    ("Innlandet", 8), ("Trøndelag", 8), ("Rogaland", 7.5), ("Vestfold og Telemark", 7),
    ("Troms og Finnmark", 7), ("Oslo", 6.5), ("Agder", 6.5),
]  # fmt: skip
CHUNK = 5000


def settle_collective_2023(ctx: Any, *, scale: float, seed: int, parts: Any) -> int:
    if "collective2023" not in parts:
        return 0
    rng = random.Random(f"{seed}:reception:settlement2023")
    on = dt.date(2023, 7, 1)
    by_county: dict[str, list[int]] = {}
    for m_id, county in (
        MunicipalityCounty.objects.valid_on(on)
        .order_by("number")
        .values_list("municipality_id", "county__name")
    ):
        by_county.setdefault(county, []).append(m_id)
    shares = [(c, w) for c, w in COUNTY_SHARES_2023 if c in by_county]
    if not shares:
        return 0
    counties, weights = zip(*shares, strict=True)
    apps = (
        Application.objects.filter(
            is_demo=True,
            kind=ApplicationKind.COLLECTIVE,
            external_id__startswith="demo:collective2023:",
            settlements__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", "person_id", "decided_at")
    )
    written = 0
    last = 0
    while True:
        chunk = list(apps.filter(pk__gt=last)[:CHUNK])
        if not chunk:
            return written
        rows = []
        for app_id, person_id, decided_at in chunk:
            county = rng.choices(counties, weights)[0]
            settled = min(
                decided_at.date() + dt.timedelta(days=rng.randint(14, 60)), dt.date(2023, 12, 31)
            )
            rows.append(
                Settlement(
                    person_id=person_id,
                    application_id=app_id,
                    municipality_id=rng.choice(by_county[county]),
                    settled_on=settled,
                    recorded_by=ctx.registrar,
                )
            )
        with transaction.atomic():
            Settlement.objects.bulk_create(rows, batch_size=2000)
        written += len(rows)
        last = chunk[-1][0]


demo_data.HOOKS.append(settle_collective_2023)
