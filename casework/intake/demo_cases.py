"""The bulk demo dataset: seeded, reproducible, reproducing a 2024 news article's figures.

The article on Norway's asylum and integration work (labelled as such in the demo) says:
2022: 4,255 asylum applications excluding Ukrainians, mainly from Syria, Afghanistan and
Russia; of 1,222 first applications examined about 81 % were accepted and 19 % rejected.
2023: about 33,000 Ukrainians with collective protection. Those are the figures the
statistics show on this data (times ``scale``), exactly, whatever the seed:

- 4,255 individual protection applications lodged in 2022, none from Ukraine;
- 1,222 first-instance decisions on the merits in 2022: 990 positive (81.0 %) and
  232 negative (19.0 %: rejections on the merits and limited permits for minors), plus
  Dublin and withdrawn decisions, which only the overall rate counts; the rest of the 2022
  cases are decided in 2023, and some rejections are appealed (UNE grants about 30 %);
- 33,000 collective-protection applications from Ukrainians lodged and granted in 2023;
- open cases lodged in recent months, with examination targets, interviews and appeal
  deadlines falling due in the coming weeks, so reminders fire during a demo.

- cases lodged in the past year, mostly decided, so that this year's tables (settlement
  against quota, residents in reception, work permits, family reunification) have figures.

The cases are plain values (``Case``); ``casework.intake.demo`` turns them into rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from casework.applications.choices import ApplicationKind, Instance, Outcome, State, Track
from casework.people.choices import DatePrecision, SpokenLanguage, spoken_language

UTC = dt.UTC

# 2022 asylum applications by nationality (shares; Syria, Afghanistan and Russia first).
NATIONALITIES_2022 = [
    ("SY", 0.37), ("AF", 0.14), ("RU", 0.10), ("ER", 0.08), ("TR", 0.06), ("SO", 0.05),
    ("IQ", 0.04), ("IR", 0.04), ("SD", 0.03), ("ET", 0.03), ("GE", 0.02), ("", 0.02),
    ("YE", 0.02),
]  # fmt: skip
# Monthly weights of arrivals (2022 asylum; 2023 Ukrainians peaking in September).
MONTHS_2022 = [5, 5, 6, 7, 8, 9, 10, 11, 11, 10, 9, 9]
MONTHS_2023 = [6, 6, 7, 7, 8, 9, 10, 12, 14, 9, 7, 5]
# First-instance decisions on the merits in 2022, per unit of scale: 990 + 232 = 1,222.
MERITS_2022 = [
    (Outcome.REFUGEE_CONVENTION, 600),
    (Outcome.REFUGEE_OTHER, 120),
    (Outcome.HUMANITARIAN, 270),
    (Outcome.REJECTED, 200),
    (Outcome.MINOR_LIMITED, 32),
]
DUBLIN_2022 = 200
WITHDRAWN_2022 = 80
APPLICATIONS_2022 = 4255
UKRAINIANS_2023 = 33000
OPEN_CASES = 300
RECENT_CASES = 1500


def part_sizes(scale: float) -> dict[str, int]:
    """The cases each part of the bulk dataset has at ``scale``, as its generator yields them
    (``seed_demo`` shows its progress against their sum)."""
    return {
        "protection2022": round(APPLICATIONS_2022 * scale),
        "collective2023": round(UKRAINIANS_2023 * scale),
        "recent": round(RECENT_CASES * scale),
        "open": round(OPEN_CASES * scale),
    }


NAMES = {
    "ar": (["Mohammed", "Ahmad", "Omar", "Ali", "Khaled", "Yusuf", "Hassan", "Samir"],
           ["Fatima", "Aisha", "Mariam", "Nour", "Layla", "Rania", "Huda", "Salma"],
           ["Al-Hassan", "Haddad", "Khalil", "Mansour", "Nasser", "Saleh", "Darwish", "Aziz"]),
    "fa": (["Ahmad", "Mohammad", "Ali", "Reza", "Farid", "Jawad", "Karim", "Hamid"],
           ["Zahra", "Maryam", "Fatemeh", "Parisa", "Shirin", "Nasrin", "Amina", "Leila"],
           ["Rahimi", "Ahmadi", "Hosseini", "Karimi", "Ahmadzai", "Sultani", "Noori", "Wardak"]),
    "ru": (["Dmitry", "Ivan", "Sergey", "Alexei", "Nikolai", "Pavel", "Andrei", "Mikhail"],
           ["Anna", "Olga", "Elena", "Natalia", "Irina", "Tatiana", "Maria", "Svetlana"],
           ["Sokolov", "Ivanov", "Petrov", "Smirnov", "Volkov", "Kuznetsov", "Popov", "Orlov"]),
    "uk": (["Oleksandr", "Andriy", "Taras", "Mykola", "Yurii", "Bohdan", "Serhii", "Petro"],
           ["Olena", "Oksana", "Iryna", "Natalia", "Kateryna", "Yulia", "Halyna", "Sofiia"],
           ["Kovalenko", "Shevchenko", "Bondarenko", "Tkachenko", "Kravchenko", "Melnyk",
            "Boyko", "Moroz"]),
    "ti": (["Yonas", "Daniel", "Samuel", "Tesfay", "Berhane", "Dawit", "Filmon", "Henok"],
           ["Helen", "Senait", "Lidia", "Ruth", "Mebrat", "Saba", "Tsega", "Winta"],
           ["Tesfaye", "Haile", "Gebremedhin", "Kidane", "Tekle", "Berhe", "Woldu", "Asfaha"]),
    "so": (["Abdi", "Mohamed", "Hassan", "Ahmed", "Ismail", "Abdullahi", "Yusuf", "Omar"],
           ["Hodan", "Amina", "Fadumo", "Hawa", "Sahra", "Ayan", "Ubah", "Ifrah"],
           ["Warsame", "Farah", "Abdi", "Hassan", "Ali", "Jama", "Osman", "Nur"]),
    "tr": (["Mehmet", "Mustafa", "Ahmet", "Emre", "Burak", "Kemal", "Murat", "Serkan"],
           ["Ayse", "Fatma", "Elif", "Zeynep", "Emine", "Merve", "Selin", "Deniz"],
           ["Yilmaz", "Kaya", "Demir", "Sahin", "Celik", "Aydin", "Ozturk", "Arslan"]),
}  # fmt: skip
LANGUAGE = {
    "SY": "ar", "IQ": "ar", "YE": "ar", "SD": "ar", "AF": "fa", "IR": "fa", "RU": "ru",
    "GE": "ru", "UA": "uk", "ER": "ti", "ET": "ti", "SO": "so", "TR": "tr", "": "ar",
}  # fmt: skip


def spoken(nationality: str, status_language: str) -> str:
    """The language a demo person speaks and is interviewed in: their status-page language's,
    except that an Afghan who reads the status page in Persian speaks Dari."""
    if nationality == "AF" and status_language == "fa":
        return SpokenLanguage.DARI
    return spoken_language(status_language)


# Days the Directorate takes to review an appeal before it forwards it to the appeals board.
REVIEW_DAYS = 14


@dataclass
class Case:
    """One generated case, as plain values, before it becomes rows."""

    nationality: str
    sex: str
    born: dt.date
    kind: str
    lodged_on: dt.date
    track: str = Track.NORMAL
    state: str = State.SUBMITTED
    unaccompanied: bool = False
    # (instance, outcome, decided_at), in order
    decisions: list[tuple[str, str, dt.datetime]] = field(default_factory=list)
    appeal_lodged_at: dt.datetime | None = None
    is_final: bool = False
    interview_held_at: dt.datetime | None = None
    interview_at: dt.datetime | None = None  # a scheduled (future) interview
    assigned: bool = False
    # Given by the caller (the parity test feeds the same arrivals to every writer); drawn
    # from the chunk's generator when left empty.
    given_name: str = ""
    family_name: str = ""
    dob_precision: str = DatePrecision.DAY
    external_id: str = ""

    @property
    def forwarded_at(self) -> dt.datetime | None:
        """When the Directorate, having reviewed the appeal, sent it to the appeals board:
        ``REVIEW_DAYS`` after it was lodged (no draw, so the demo's other figures stay)."""
        if self.appeal_lodged_at is None:
            return None
        return self.appeal_lodged_at + dt.timedelta(days=REVIEW_DAYS)

    lodged_at: dt.datetime | None = None  # when it was registered (the rows' moment)
    # set when the chunk is written: the ids its rows get
    person_id: int | None = None
    app_id: int | None = None
    # what other apps' hooks decided for this case (placement, settlement, …)
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class Context:
    """Who acts in the demo (the demo users) and where cases are routed."""

    registrar: Any
    caseworker: Any
    decider: Any
    appeals: Any
    unit: Any
    today: dt.date
    on_chunk: Callable[[str, int], None] = lambda part, n: None


class Rng(random.Random):
    """A seeded generator whose ``randint`` is a few times faster than the standard one.

    The standard ``randint`` rejects and redraws to be exactly uniform; for demo data the
    bias of scaling one ``random()`` (below 2**-40 for our ranges) does not matter, and it is
    called millions of times at scale 30.
    """

    def randint(self, a: int, b: int) -> int:
        return a + int(self.random() * (b - a + 1))


def exact_counts(total: int, shares: list[tuple[Any, float]]) -> list[tuple[Any, int]]:
    """Split ``total`` by ``shares`` into whole numbers that add up exactly (largest remainder)."""
    norm = sum(s for _v, s in shares)
    raw = [(v, total * s / norm) for v, s in shares]
    counts = {v: int(x) for v, x in raw}
    left = total - sum(counts.values())
    for v, _x in sorted(raw, key=lambda vx: vx[1] - int(vx[1]), reverse=True)[:left]:
        counts[v] += 1
    return [(v, counts[v]) for v, _s in shares]


def _spread(values: list[tuple[Any, int]], rng: random.Random) -> list[Any]:
    out = [v for v, n in values for _i in range(n)]
    rng.shuffle(out)
    return out


def _days_in_year(n: int, year: int, weights: list[int], rng: random.Random) -> list[dt.date]:
    """``n`` dates in ``year``, by monthly weights, sorted."""
    months = _spread(exact_counts(n, list(enumerate(weights, start=1))), rng)
    days = []
    for m in months:
        first = dt.date(year, m, 1)
        last = (dt.date(year + (m == 12), m % 12 + 1, 1)) - dt.timedelta(days=1)
        days.append(first + dt.timedelta(days=rng.randint(0, (last - first).days)))
    return sorted(days)


def moment_on(day: dt.date, rng: random.Random) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(rng.randint(7, 13), rng.randint(0, 59)), tzinfo=UTC)


def _born(rng: random.Random, on: dt.date, lo: int, hi: int) -> dt.date:
    age_days = rng.randint(lo * 365 + 1, hi * 365 + 300)
    return on - dt.timedelta(days=age_days)


def _adult_or_child(rng: random.Random, on: dt.date, child_share: float) -> tuple[dt.date, bool]:
    if rng.random() < child_share:
        return _born(rng, on, 0, 16), True
    return _born(rng, on, 18, 64), False


# --- The parts of the dataset -----------------------------------------------------------------


def protection_2022(scale: float, seed: int) -> Iterator[Case]:
    """4,255 asylum applications lodged in 2022 (times ``scale``), decided as described."""
    rng = Rng(f"{seed}:protection2022")
    n = round(APPLICATIONS_2022 * scale)
    nats = _spread(exact_counts(n, NATIONALITIES_2022), rng)
    tracks = _spread(
        exact_counts(n, [(Track.NORMAL, 0.85), (Track.FAST, 0.07), (Track.DUBLIN, 0.08)]), rng
    )
    days = _days_in_year(n, 2022, MONTHS_2022, rng)
    merits = _spread([(o, round(k * scale)) for o, k in MERITS_2022], rng)
    dublin_left, withdrawn_left = round(DUBLIN_2022 * scale), round(WITHDRAWN_2022 * scale)
    end_2022 = dt.date(2022, 12, 31)
    for i in range(n):
        crng = rng
        lodged, track, nat = days[i], tracks[i], nats[i]
        case = Case(
            nationality=nat,
            sex="male" if crng.random() < 0.66 else "female",
            born=_born(crng, lodged, 18, 60),
            kind=ApplicationKind.PROTECTION,
            lodged_on=lodged,
            track=track,
            assigned=True,
        )
        if crng.random() < 0.12:  # children, with their families
            case.born = _born(crng, lodged, 0, 14)
        if track == Track.DUBLIN and dublin_left:
            dublin_left -= 1
            outcome = Outcome.DUBLIN
            decided = min(lodged + dt.timedelta(crng.randint(14, 60)), end_2022)
        elif track != Track.DUBLIN and merits:
            outcome = merits.pop()
            decided = min(lodged + dt.timedelta(crng.randint(40, 240)), end_2022)
        elif track != Track.DUBLIN and withdrawn_left:
            withdrawn_left -= 1
            outcome = Outcome.WITHDRAWN
            decided = min(lodged + dt.timedelta(crng.randint(10, 90)), end_2022)
        else:  # decided the year after
            outcome = (
                Outcome.DUBLIN
                if track == Track.DUBLIN
                else crng.choices(
                    [Outcome.REFUGEE_CONVENTION, Outcome.REFUGEE_OTHER, Outcome.HUMANITARIAN,
                     Outcome.REJECTED, Outcome.MINOR_LIMITED, Outcome.WITHDRAWN],
                    [45, 10, 15, 22, 3, 5],
                )[0]
            )  # fmt: skip
            decided = max(
                lodged + dt.timedelta(crng.randint(120, 420)),
                dt.date(2023, 1, 2) + dt.timedelta(crng.randint(0, 200)),
            )
            decided = min(decided, dt.date(2023, 12, 20))
        if outcome == Outcome.MINOR_LIMITED:  # granted only to unaccompanied minors of 15-17
            case.born, case.unaccompanied = _born(crng, lodged, 15, 16), True
        decided_at = moment_on(decided, crng)
        _decide(case, outcome, decided_at, crng)
        yield case


def _decide(case: Case, outcome: str, decided_at: dt.datetime, rng: random.Random) -> None:
    """First-instance decision, then perhaps an appeal and the appeals body's decision."""
    if case.kind != ApplicationKind.COLLECTIVE and outcome != Outcome.WITHDRAWN:
        # the interview a few weeks after lodging, at least a week before the decision
        lodged_at = dt.datetime.combine(case.lodged_on, dt.time(12), tzinfo=UTC)
        held = min(
            lodged_at + dt.timedelta(days=rng.randint(14, 60)),
            decided_at - dt.timedelta(days=rng.randint(7, 30)),
        )
        case.interview_held_at = max(held, lodged_at)
    case.decisions.append((Instance.FIRST, outcome, decided_at))
    if outcome in (Outcome.WITHDRAWN,):
        case.state = State.WITHDRAWN
        return
    if outcome in (Outcome.REJECTED, Outcome.MINOR_LIMITED, Outcome.DUBLIN):
        case.state = State.REJECTED
        if outcome == Outcome.REJECTED and rng.random() < 0.6:
            case.appeal_lodged_at = decided_at + dt.timedelta(days=rng.randint(5, 18))
            appeal_at = case.appeal_lodged_at + dt.timedelta(days=rng.randint(90, 300))
            if rng.random() < 0.3:  # UNE granted 30 % of asylum appeals in 2022
                case.decisions.append((Instance.APPEAL, Outcome.REFUGEE_OTHER, appeal_at))
                case.state = State.ACCEPTED
            else:
                case.decisions.append((Instance.APPEAL, Outcome.REJECTED, appeal_at))
                case.is_final = True
        return
    case.state = State.ACCEPTED


def collective_2023(scale: float, seed: int) -> Iterator[Case]:
    """About 33,000 Ukrainians lodging for collective protection in 2023, all granted."""
    rng = Rng(f"{seed}:collective2023")
    n = round(UKRAINIANS_2023 * scale)
    days = _days_in_year(n, 2023, MONTHS_2023, rng)
    for i in range(n):
        crng = rng
        born, child = _adult_or_child(crng, days[i], 0.3)
        case = Case(
            nationality="UA",
            sex="female" if child and crng.random() < 0.5 or crng.random() < 0.62 else "male",
            born=born,
            kind=ApplicationKind.COLLECTIVE,
            lodged_on=days[i],
        )
        decided = moment_on(days[i] + dt.timedelta(days=crng.randint(1, 21)), crng)
        _decide(case, Outcome.COLLECTIVE, decided, crng)
        yield case


def open_cases(scale: float, seed: int, today: dt.date) -> Iterator[Case]:
    """Cases still open, whose deadlines fall in the coming weeks."""
    n = round(OPEN_CASES * scale)
    rng = Rng(f"{seed}:open")
    nats = _spread(exact_counts(n, NATIONALITIES_2022), rng)
    for i in range(n):
        crng = rng
        lodged = today - dt.timedelta(days=crng.randint(120, 182))
        case = Case(
            nationality=nats[i],
            sex="male" if crng.random() < 0.66 else "female",
            born=_born(crng, lodged, 18, 55),
            kind=ApplicationKind.PROTECTION,
            lodged_on=lodged,
            track=Track.FAST if crng.random() < 0.1 else Track.NORMAL,
        )
        roll = crng.random()
        if roll < 0.4:
            pass  # submitted, waiting for a caseworker; the examination target comes up
        elif roll < 0.8:
            case.state, case.assigned = State.EXAMINED, True
            case.interview_at = moment_on(today + dt.timedelta(days=crng.randint(2, 21)), crng)
        else:
            case.assigned = True
            decided = moment_on(today - dt.timedelta(days=crng.randint(0, 12)), crng)
            _decide(case, Outcome.REJECTED, decided, crng)
            case.decisions = case.decisions[:1]
            case.state, case.appeal_lodged_at, case.is_final = State.REJECTED, None, False
        yield case


def recent_cases(scale: float, seed: int, today: dt.date) -> Iterator[Case]:
    """Cases lodged in the past year and mostly decided by now: this year's settlements,
    work permits, family reunifications and residents in reception come from these.

    About two thirds are granted (as in UDI's recent years), a quarter rejected (half of those
    appealed and waiting for the appeals body), a few withdrawn or Dublin; a fifth are still
    being examined.
    """
    rng = Rng(f"{seed}:recent")
    n = round(RECENT_CASES * scale)
    nats = _spread(exact_counts(n, NATIONALITIES_2022), rng)
    days = sorted(today - dt.timedelta(days=rng.randint(60, 420)) for _ in range(n))
    outcomes = [Outcome.REFUGEE_CONVENTION, Outcome.REFUGEE_OTHER, Outcome.HUMANITARIAN,
                Outcome.REJECTED, Outcome.WITHDRAWN, None]  # fmt: skip
    yesterday = today - dt.timedelta(days=1)
    for i in range(n):
        crng = rng
        lodged = days[i]
        track = Track.DUBLIN if crng.random() < 0.05 else Track.NORMAL
        case = Case(
            nationality=nats[i],
            sex="male" if crng.random() < 0.62 else "female",
            born=_born(crng, lodged, 18, 58),
            kind=ApplicationKind.PROTECTION,
            lodged_on=lodged,
            track=track,
            assigned=True,
        )
        if crng.random() < 0.15:
            case.born = _born(crng, lodged, 1, 14)
        decided = lodged + dt.timedelta(days=crng.randint(50, 260))
        outcome = (
            Outcome.DUBLIN
            if track == Track.DUBLIN
            else crng.choices(outcomes, [40, 8, 17, 23, 3, 9])[0]
        )
        if outcome is None or decided > yesterday:  # still under examination
            case.state = State.EXAMINED
            case.interview_held_at = moment_on(
                lodged + dt.timedelta(days=crng.randint(20, 50)), crng
            )
            if case.interview_held_at.date() > yesterday:
                case.interview_held_at = None
                case.interview_at = moment_on(today + dt.timedelta(days=crng.randint(1, 28)), crng)
            yield case
            continue
        decided_at = moment_on(decided, crng)
        _decide(case, outcome, decided_at, crng)
        if case.appeal_lodged_at is not None:
            if case.appeal_lodged_at.date() > yesterday:
                case.appeal_lodged_at = None
                case.decisions = case.decisions[:1]
                case.state, case.is_final = State.REJECTED, False
            elif len(case.decisions) > 1 and case.decisions[1][2].date() > yesterday:
                case.decisions = case.decisions[:1]  # the appeals body has not decided yet
                case.state, case.is_final = State.APPEALED, False
            forwarded = case.forwarded_at
            if case.state == State.APPEALED and forwarded and forwarded.date() > yesterday:
                case.state = State.UNDER_REVIEW  # the Directorate is still reviewing it
        yield case
