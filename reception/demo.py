"""Reception's part of the demo data (``seed_demo`` finds this module and runs its hooks).

- Centres across the counties: the long-standing ones (still open) and the emergency centres
  of the 2022-2023 arrivals (closed on 30 June 2024), their beds in proportion to ``--scale``.
- A placement for most applicants from the day they lodged until they were settled, left
  Norway or withdrew; people still waiting for a decision, granted and waiting for settlement,
  or obliged to leave are residents today. Beds are handed out in time order from a heap per
  centre, at most 90 % of a centre's beds on any day (room for placements made by hand in the
  demo), so a centre is never over capacity (``services._check_capacity``'s rule) without a
  query per placement. Who finds no bed lives privately, as many do.
- Settlement (bosetting) of people granted protection: the 2023 collective-protection holders
  so that the statistics show the 2023 picture (most in Viken and Vestland;
  Nordland and Møre og Romsdal many for their population), the others 1-8 months after their
  permit; those not settled yet wait in reception with an open settlement-target deadline.
- Each municipality's yearly quota (``MunicipalityQuota``), never below what it settled.

Rows go in with the chunk (COPY on PostgreSQL); seeded, so a second run computes the same beds
and settlements and writes nothing new.
"""

from __future__ import annotations

import datetime as dt
import heapq
import itertools
import math
import random
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from casework.applications.choices import ApplicationKind, Outcome, State
from casework.intake import demo as demo_data

from . import deadlines
from .choices import CentreKind, DischargeReason, PlacementEnd
from .models import (
    Municipality,
    MunicipalityCounty,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
    Settlement,
)

# (name, kind, operator kind, operator, municipality, beds) of the demo centres an officer
# works in (``seed_reception_demo`` links the demo reception officer to these).
DEMO_CENTRES = [
    ("Nasjonalt ankomstsenter Råde", "arrival", "municipal", "Råde kommune", "Råde", 300),
    ("Fredrikstad transit", "transit", "non_profit", "Norsk Folkehjelp", "Fredrikstad", 120),
    ("Bergen mottak", "ordinary", "private", "Hero Norge", "Bergen", 150),
    ("Trondheim integreringsmottak", "integration", "municipal", "Trondheim kommune",
     "Trondheim", 60),
    ("Drammen EMA-mottak", "minors", "non_profit", "Frelsesarmeen", "Drammen", 25),
    ("Tromsø tilrettelagt avdeling", "customised_care", "municipal", "Tromsø kommune",
     "Tromsø", 20),
]  # fmt: skip
# What the demo centres offer residents with special needs (``Accommodation`` codes): the
# arrival centre and the ordinary centre in Bergen take most needs, the customised-care unit
# every one, the minors' centre is staffed at night; the others offer family rooms only.
DEMO_ACCOMMODATION = {
    "Nasjonalt ankomstsenter Råde": "ground_floor,step_free,single_room,family_room,"
    "near_hospital,night_staff",
    "Bergen mottak": "ground_floor,step_free,single_room,family_room,near_hospital",
    "Drammen EMA-mottak": "single_room,night_staff",
    "Tromsø tilrettelagt avdeling": "ground_floor,step_free,single_room,family_room,"
    "near_hospital,women_only,night_staff",
}
# Further long-standing centres (beds per unit of scale), open since 2016.
OTHER_CENTRES = [
    ("Oslo mottak", "ordinary", "private", "Hero Norge", "Oslo", 220),
    ("Stavanger mottak", "ordinary", "non_profit", "Norsk Folkehjelp", "Stavanger", 140),
    ("Kristiansand mottak", "ordinary", "municipal", "Kristiansand kommune", "Kristiansand", 120),
    ("Ålesund mottak", "ordinary", "private", "Link Mottak", "Ålesund", 110),
    ("Bodø mottak", "ordinary", "municipal", "Bodø kommune", "Bodø", 100),
    ("Hamar mottak", "ordinary", "non_profit", "Frelsesarmeen", "Hamar", 110),
    ("Skien mottak", "ordinary", "private", "Hero Norge", "Skien", 100),
    ("Molde mottak", "integration", "municipal", "Molde kommune", "Molde", 60),
    ("Narvik mottak", "ordinary", "private", "Link Mottak", "Narvik", 80),
    ("Lillehammer EMA-mottak", "minors", "municipal", "Lillehammer kommune", "Lillehammer", 30),
]  # fmt: skip
# Emergency centres for the arrivals of 2022-2023 (akuttmottak), closed by mid-2024.
EMERGENCY_CENTRES = [
    ("Lillestrøm akuttmottak", "Lillestrøm", 900), ("Bærum akuttmottak", "Bærum", 700),
    ("Sarpsborg akuttmottak", "Sarpsborg", 600), ("Moss akuttmottak", "Moss", 450),
    ("Tønsberg akuttmottak", "Tønsberg", 500), ("Larvik akuttmottak", "Larvik", 400),
    ("Harstad akuttmottak", "Harstad", 350), ("Steinkjer akuttmottak", "Steinkjer", 350),
    ("Gjøvik akuttmottak", "Gjøvik", 450), ("Arendal akuttmottak", "Arendal", 400),
    ("Haugesund akuttmottak", "Haugesund", 400), ("Kristiansund akuttmottak", "Kristiansund", 350),
    ("Alta akuttmottak", "Alta", 250), ("Kongsberg akuttmottak", "Kongsberg", 350),
    ("Ringerike akuttmottak", "Ringerike", 350),
]  # fmt: skip
LONG_STANDING_FROM = dt.date(2016, 1, 1)
EMERGENCY_FROM, EMERGENCY_UNTIL = dt.date(2022, 3, 1), dt.date(2024, 6, 30)
BULK_SHARE = 0.9  # of each centre's beds the bulk demo fills at most, on any day

# Share of the 2023 arrivals settled in each county (2020-2023 names); per cent.
COUNTY_SHARES_2023 = [
    ("Viken", 20), ("Vestland", 12.5), ("Nordland", 8.5), ("Møre og Romsdal", 8.5),
    ("Innlandet", 8), ("Trøndelag", 8), ("Rogaland", 7.5), ("Vestfold og Telemark", 7),
    ("Troms og Finnmark", 7), ("Oslo", 6.5), ("Agder", 6.5),
]  # fmt: skip
# Everyone else is settled more in proportion to population (Oslo and Viken take more).
COUNTY_SHARES_OTHER = [
    ("Viken", 22), ("Oslo", 12), ("Vestland", 11), ("Rogaland", 9), ("Trøndelag", 9),
    ("Innlandet", 8), ("Vestfold og Telemark", 8), ("Agder", 6), ("Nordland", 6),
    ("Møre og Romsdal", 5), ("Troms og Finnmark", 4),
]  # fmt: skip
GRANTED = (Outcome.REFUGEE_CONVENTION, Outcome.REFUGEE_OTHER, Outcome.HUMANITARIAN)
FAR = dt.date(9999, 12, 31)

PLACEMENT = demo_data.Table(
    Placement, ("person_id", "centre_id", "start", "end", "ended_by", "discharge_reason")
)
SETTLEMENT = demo_data.Table(
    Settlement,
    ("id", "person_id", "municipality_id", "settled_on", "application_id", "recorded_by_id"),
)
demo_data.TABLES += [PLACEMENT, SETTLEMENT]


@dataclass
class Centre:
    pk: int
    kind: str
    closed_on: dt.date | None
    beds: list[dt.date]  # a heap: the day each bed is free again


@dataclass
class State_:
    """What carries over from chunk to chunk within one run."""

    centres: dict[str, list[Centre]] = field(default_factory=dict)
    weights: dict[str, list[int]] = field(default_factory=dict)
    municipalities: dict[str, list[int]] = field(default_factory=dict)
    settled: Counter = field(default_factory=Counter)  # (municipality id, year) -> people
    scale: float = 1.0
    seed: int = 0


_run = State_()


def ensure_centres(scale: float = 1.0, *, only_demo: bool = False) -> list[ReceptionCentre]:
    """The demo centres, created once (matched by name); beds in proportion to ``scale``.

    ``only_demo``: just the six that the demo reception officer works in.
    """
    by_name = {m.name: m for m in Municipality.objects.all()}
    wanted: list[tuple[str, str, str, str, str, int, dt.date, dt.date | None]] = [
        (name, kind, op_kind, op, muni, max(beds, round(beds * scale)), LONG_STANDING_FROM, None)
        for name, kind, op_kind, op, muni, beds in DEMO_CENTRES
    ]
    wanted += [
        (name, kind, op_kind, op, muni, max(5, round(beds * scale)), LONG_STANDING_FROM, None)
        for name, kind, op_kind, op, muni, beds in ([] if only_demo else OTHER_CENTRES)
    ]
    wanted += [
        (name, "transit", "private", "Hero Norge", muni, max(5, round(beds * scale)),
         EMERGENCY_FROM, EMERGENCY_UNTIL)
        for name, muni, beds in ([] if only_demo else EMERGENCY_CENTRES)
    ]  # fmt: skip
    centres = []
    for name, kind, op_kind, op, muni, beds, opened, closed in wanted:
        centre, _ = ReceptionCentre.objects.get_or_create(
            name=name,
            defaults={
                "kind": kind,
                "operator_kind": op_kind,
                "operator_name": op,
                "municipality": by_name[muni],
                "capacity": beds,
                "opened_on": opened,
                "closed_on": closed,
                "accommodation": DEMO_ACCOMMODATION.get(name, "family_room"),
            },
        )
        centres.append(centre)
    return centres


def start(ctx: Any, *, scale: float, seed: int) -> None:
    """Create the centres and quotas' municipalities; start every bed free."""
    global _run
    _run = State_(scale=scale, seed=seed)
    for c in ensure_centres(scale):
        if c.kind == CentreKind.ARRIVAL:
            continue  # the arrival centre is for the first days only: placed by hand
        group = "minors" if c.kind == CentreKind.MINORS else "adults"
        beds = [c.opened_on] * math.floor(c.capacity * BULK_SHARE)
        _run.centres.setdefault(group, []).append(Centre(c.pk, c.kind, c.closed_on, beds))
    for group, centres in _run.centres.items():
        _run.weights[group] = list(itertools.accumulate(len(c.beds) for c in centres))
    for m_id, county in (
        MunicipalityCounty.objects.valid_on(dt.date(2023, 7, 1))
        .order_by("number")
        .values_list("municipality_id", "county__name")
    ):
        _run.municipalities.setdefault(county, []).append(m_id)


def _bed(group: str, begin: dt.date, end: dt.date | None, rng: random.Random) -> int | None:
    """A centre with a bed free from ``begin`` to ``end`` (None: still resident), or None."""
    centres = _run.centres.get(group)
    if not centres:
        return None
    for centre in rng.choices(centres, cum_weights=_run.weights[group], k=4):
        if centre.closed_on is not None and (end is None or end > centre.closed_on):
            continue
        if centre.beds and centre.beds[0] <= begin:
            heapq.heapreplace(centre.beds, end or FAR)
            return centre.pk
    return None


def _municipality(shares: Sequence[tuple[str, float]], rng: random.Random) -> int | None:
    counties, cum = _counties(tuple(shares), tuple(_run.municipalities))
    if not counties:
        return None
    county = rng.choices(counties, cum_weights=cum)[0]
    return rng.choice(_run.municipalities[county])


@lru_cache(maxsize=8)
def _counties(shares: tuple, known: tuple) -> tuple[list[str], list[float]]:
    present = [(c, w) for c, w in shares if c in known]
    return [c for c, _w in present], list(itertools.accumulate(w for _c, w in present))


# The rules' own functions, remembered: a few thousand distinct days at any scale.
_settlement_due = lru_cache(maxsize=8192)(deadlines.settlement_target_due)


def _permit_day(c: demo_data.Case) -> dt.date:
    return c.decisions[-1][2].date()


def on_chunk(chunk: demo_data.Chunk) -> None:
    """Plan each case's placement and settlement; add their rows if the chunk is written."""
    rng = demo_data.Rng(f"{chunk.seed}:reception:{chunk.part}:{chunk.index}")
    today = chunk.ctx.today
    yesterday = today - dt.timedelta(days=1)
    settlements: list[tuple[demo_data.Case, int, dt.date]] = []
    for c in chunk.cases:
        granted = c.state == State.ACCEPTED
        settled_on = municipality = None
        if granted and c.kind == ApplicationKind.COLLECTIVE and c.lodged_on.year == 2023:
            settled_on = min(_permit_day(c) + dt.timedelta(days=rng.randint(14, 60)),
                             dt.date(2023, 12, 31))  # fmt: skip
            municipality = _municipality(COUNTY_SHARES_2023, rng)
        elif granted:
            settled_on = _permit_day(c) + dt.timedelta(days=rng.randint(30, 240))
            municipality = _municipality(COUNTY_SHARES_OTHER, rng)
            if settled_on > yesterday:
                settled_on = None  # granted, waiting for settlement
        if settled_on is not None and municipality is not None:
            _run.settled[(municipality, settled_on.year)] += 1
            settlements.append((c, municipality, settled_on))
        else:
            settled_on = None
        placement = _placement(c, settled_on, today, rng)
        if not chunk.write:
            continue
        if placement is not None:
            chunk.add(PLACEMENT, (c.person_id,) + placement)
        if granted:
            permit = _permit_day(c)
            minor = c.unaccompanied and _age(c.born, permit) < 18
            closed = (
                dt.datetime.combine(settled_on, dt.time(12), tzinfo=dt.UTC) if settled_on else None
            )
            assert c.app_id is not None  # a written chunk's keys are taken before its hooks run
            chunk.deadline(
                deadlines.SETTLEMENT_TARGET.key, c.app_id,
                due=_settlement_due(permit, unaccompanied_minor=minor),
                application_id=c.app_id, person_id=c.person_id,
                user=chunk.ctx.caseworker if c.assigned else None, closed=closed,
            )  # fmt: skip
    if not chunk.write:
        return
    ids = chunk.ids.take(Settlement, len(settlements))
    registrar = demo_data._pk(chunk.ctx.registrar)
    for pk, (c, municipality, settled_on) in zip(ids, settlements, strict=True):
        chunk.add(SETTLEMENT, (pk, c.person_id, municipality, settled_on, c.app_id, registrar))
        c.extra["settlement"] = (pk, municipality, settled_on)


def _age(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _placement(
    c: demo_data.Case, settled_on: dt.date | None, today: dt.date, rng: random.Random
) -> tuple | None:
    """(centre, start, end, ended_by, discharge_reason) or None (lives privately)."""
    private = 0.4 if c.kind == ApplicationKind.COLLECTIVE else 0.12
    if rng.random() < private:
        return None
    begin = c.lodged_on
    last = c.decisions[-1] if c.decisions else None
    end, reason = None, ""
    if settled_on is not None:
        end, reason = settled_on, DischargeReason.SETTLED
    elif last is not None and c.state == State.WITHDRAWN:
        end, reason = last[2].date() + dt.timedelta(days=rng.randint(3, 30)), DischargeReason.OTHER
    elif last is not None and c.state == State.REJECTED:
        # obliged to leave: most leave within months of the final decision (the dismissed
        # appeal, or the end of the 3-week appeal period), some stay on
        final = last[2].date() + dt.timedelta(days=0 if c.appeal_lodged_at else 21)
        end = final + dt.timedelta(days=rng.randint(14, 150))
        reason = DischargeReason.DEPARTED if rng.random() < 0.8 else DischargeReason.ABSCONDED
    if end is not None and end >= today:
        end, reason = None, ""
    if end is not None and end <= begin:
        end = begin + dt.timedelta(days=1)
    # unaccompanied minors of 15-17 live in a centre for minors; everyone else with adults
    # (children with their families)
    group = "minors" if c.unaccompanied and 15 <= _age(c.born, begin) < 18 else "adults"
    centre = _bed(group, begin, end, rng)
    if centre is None:
        return None
    return (centre, begin, end, PlacementEnd.DISCHARGE if end else "", reason)


def finish(ctx: Any) -> int:
    """Each municipality's quota for each year it settled people in: never below that number
    (a settlement beyond the quota is refused), the current year's with room left."""
    this_year = ctx.today.year
    existing = {
        (q.municipality_id, q.year): q
        for q in MunicipalityQuota.objects.filter(year__in={y for _m, y in _run.settled})
    }
    new, raised = [], []
    for (municipality, year), settled in sorted(_run.settled.items()):
        rng = demo_data.Rng(f"{_run.seed}:quota:{municipality}:{year}")
        margin = rng.uniform(1.2, 1.6) if year == this_year else rng.uniform(1.0, 1.3)
        places = max(settled, math.ceil(settled * margin / 5) * 5)
        quota = existing.get((municipality, year))
        if quota is None:
            new.append(MunicipalityQuota(municipality_id=municipality, year=year, places=places))
        elif quota.places < settled:
            quota.places = places
            raised.append(quota)
    MunicipalityQuota.objects.bulk_create(new)
    MunicipalityQuota.objects.bulk_update(raised, ["places"])
    return len(new)


demo_data.START_HOOKS.append(start)
demo_data.CHUNK_HOOKS.append(on_chunk)
demo_data.FINISH_HOOKS.append(finish)
