"""The bulk demo dataset: seeded, reproducible, reproducing the source document's figures.

The source (a 2024 news article, see DESIGN.md "Figures from the source document") says:
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

Rows are written with ``bulk_create`` in chunks (one transaction each), bypassing the
per-row services but writing what they would: an audit event for each lodging and decision,
decisions, appeals, held interviews, and ``Deadline`` rows (closed for finished cases, open
for open ones). Each chunk has its own seeded generator and external ids
(``demo:<part>:<n>``), so a chunk already present is skipped: running again adds nothing,
and an interrupted run resumes. Memory stays flat whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import transaction
from django.utils import timezone

from .choices import ApplicationKind, Instance, Outcome, State, Track
from .deadlines import APPEAL, EXAMINATION_TARGET, EXAMINATION_TARGET_PERIOD, INTERVIEW
from .identity import REFERENCE_ALPHABET, luhn_digit, name_key
from .models import (
    Appeal,
    Application,
    AuditEvent,
    Deadline,
    Decision,
    Interview,
    Person,
)
from .services import PERMIT_BY_OUTCOME
from .workflow import appeal_deadline_for

UTC = dt.UTC
CHUNK = 5000

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


# Other apps add to the demo from a ``demo`` module (found by ``autodiscover_modules``):
# ``HOOKS.append(func)``, ``func(ctx, scale=…, seed=…, parts=…) -> int`` rows written.
HOOKS: list[Callable[..., int]] = []


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


def _at(day: dt.date, rng: random.Random) -> dt.datetime:
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
    rng = random.Random(f"{seed}:protection2022")
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
        crng = random.Random(f"{seed}:protection2022:{i}")
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
        decided_at = _at(decided, crng)
        _decide(case, outcome, decided_at, crng)
        yield case


def _decide(case: Case, outcome: str, decided_at: dt.datetime, rng: random.Random) -> None:
    """First-instance decision, then perhaps an appeal and the appeals body's decision."""
    if case.kind != ApplicationKind.COLLECTIVE and outcome != Outcome.WITHDRAWN:
        held = decided_at - dt.timedelta(days=rng.randint(7, 30))
        case.interview_held_at = max(
            held, dt.datetime.combine(case.lodged_on, dt.time(12), tzinfo=UTC)
        )
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
    rng = random.Random(f"{seed}:collective2023")
    n = round(UKRAINIANS_2023 * scale)
    days = _days_in_year(n, 2023, MONTHS_2023, rng)
    for i in range(n):
        crng = random.Random(f"{seed}:collective2023:{i}")
        born, child = _adult_or_child(crng, days[i], 0.3)
        case = Case(
            nationality="UA",
            sex="female" if child and crng.random() < 0.5 or crng.random() < 0.62 else "male",
            born=born,
            kind=ApplicationKind.COLLECTIVE,
            lodged_on=days[i],
        )
        decided = _at(days[i] + dt.timedelta(days=crng.randint(1, 21)), crng)
        _decide(case, Outcome.COLLECTIVE, decided, crng)
        yield case


def open_cases(scale: float, seed: int, today: dt.date) -> Iterator[Case]:
    """Cases still open, whose deadlines fall in the coming weeks."""
    n = round(OPEN_CASES * scale)
    nats = _spread(exact_counts(n, NATIONALITIES_2022), random.Random(f"{seed}:open"))
    for i in range(n):
        crng = random.Random(f"{seed}:open:{i}")
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
            case.interview_at = _at(today + dt.timedelta(days=crng.randint(2, 21)), crng)
        else:
            case.assigned = True
            decided = _at(today - dt.timedelta(days=crng.randint(0, 12)), crng)
            _decide(case, Outcome.REJECTED, decided, crng)
            case.decisions = case.decisions[:1]
            case.state, case.appeal_lodged_at, case.is_final = State.REJECTED, None, False
        yield case


# --- Writing rows -----------------------------------------------------------------------------


def _reference(rng: random.Random) -> str:
    return "".join(rng.choice(REFERENCE_ALPHABET) for _ in range(10))


def write(
    part: str, cases: Iterator[Case], ctx: Context, *, is_demo: bool = True, seed: int = 0
) -> int:
    """Write ``cases`` in chunks; a chunk whose first external id exists is skipped."""
    written = 0
    chunk: list[Case] = []
    index = 0
    for case in cases:
        chunk.append(case)
        if len(chunk) == CHUNK:
            written += _write_chunk(part, index, chunk, ctx, seed)
            index, chunk = index + 1, []
    if chunk:
        written += _write_chunk(part, index, chunk, ctx, seed)
    return written


def _write_chunk(part: str, index: int, cases: list[Case], ctx: Context, seed: int) -> int:
    first_id = f"demo:{part}:{index * CHUNK}"
    if Application.objects.filter(external_id=first_id).exists():
        ctx.on_chunk(part, len(cases))
        return 0
    rng = random.Random(f"{seed}:{part}:rows:{index}")
    now = timezone.now()
    with transaction.atomic():
        people = []
        for i, c in enumerate(cases):
            given_m, given_f, family = NAMES[LANGUAGE.get(c.nationality, "ar")]
            given = rng.choice(given_f if c.sex == "female" else given_m)
            fam = rng.choice(family)
            year = c.lodged_on.year
            body = f"{year:04d}{(index * CHUNK + i + _PART_OFFSET[part]) % 10**7:07d}"
            people.append(
                Person(
                    registration_number=body + luhn_digit(body),
                    given_name=given,
                    family_name=fam,
                    name_key=name_key(given, fam),
                    date_of_birth=c.born,
                    sex=c.sex,
                    nationality=c.nationality,
                    stateless=not c.nationality,
                    languages=LANGUAGE.get(c.nationality, ""),
                    preferred_language=LANGUAGE.get(c.nationality, "en"),
                    unaccompanied_minor=c.unaccompanied,
                    is_demo=True,
                    created_at=_at(c.lodged_on, rng),
                )
            )
        Person.objects.bulk_create(people, batch_size=2000)
        apps = []
        for i, (c, p) in enumerate(zip(cases, people, strict=True)):
            last = c.decisions[-1] if c.decisions else None
            apps.append(
                Application(
                    reference=_reference(rng),
                    person_id=p.pk,
                    kind=c.kind,
                    track=c.track,
                    state=c.state,
                    unit=ctx.unit,
                    assigned_to=ctx.caseworker if c.assigned else None,
                    lodged_on=c.lodged_on,
                    interview_held_at=c.interview_held_at,
                    decided_at=last[2] if last and c.state != State.APPEALED else None,
                    appeal_deadline=_appeal_deadline(c),
                    appealed_at=c.appeal_lodged_at,
                    is_final=c.is_final,
                    external_id=f"demo:{part}:{index * CHUNK + i}",
                    is_demo=True,
                    created_at=_at(c.lodged_on, rng),
                    version=1 + len(c.decisions) + (c.appeal_lodged_at is not None),
                )
            )
        Application.objects.bulk_create(apps, batch_size=2000)
        decisions, events, appeals, interviews, dls = [], [], [], [], []
        planned: list[tuple[Application, Case, Interview]] = []
        for c, app in zip(cases, apps, strict=True):
            events.append(
                AuditEvent(
                    application_id=app.pk,
                    person_id=app.person_id,
                    actor=ctx.registrar,
                    at=app.created_at,
                    action="lodged",
                    target_state=State.SUBMITTED,
                    changes={"kind": c.kind, "track": c.track},
                )
            )
            _decision_rows(c, app, ctx, decisions, events, appeals)
            if c.interview_held_at:
                interviews.append(
                    Interview(
                        application_id=app.pk,
                        scheduled_at=c.interview_held_at,
                        held_at=c.interview_held_at,
                        location="UDI, Oslo",
                        language=LANGUAGE.get(c.nationality, "en"),
                    )
                )
            if c.interview_at:
                iv = Interview(
                    application_id=app.pk,
                    scheduled_at=c.interview_at,
                    location="UDI, Oslo",
                    language=LANGUAGE.get(c.nationality, "en"),
                )
                interviews.append(iv)
                planned.append((app, c, iv))
            dls.extend(_deadline_rows(c, app, ctx, now))
        Decision.objects.bulk_create(decisions, batch_size=2000)
        AuditEvent.objects.bulk_create(events, batch_size=2000)
        Appeal.objects.bulk_create(appeals, batch_size=2000)
        Interview.objects.bulk_create(interviews, batch_size=2000)
        for app, _c, iv in planned:
            dls.append(_deadline(INTERVIEW, iv.pk, app, iv.scheduled_at, ctx.caseworker))
        Deadline.objects.bulk_create(dls, batch_size=2000)
        _set_next_deadlines([d for d in dls if d.closed_at is None])
    ctx.on_chunk(part, len(cases))
    return len(cases)


_PART_OFFSET = {"protection2022": 0, "collective2023": 0, "open": 9_000_000}


def _appeal_deadline(c: Case) -> dt.datetime | None:
    if c.state != State.REJECTED or c.is_final or not c.decisions:
        return None
    return appeal_deadline_for(track=c.track, notified_at=c.decisions[0][2])


ACTION = {
    (Instance.FIRST, State.ACCEPTED): "accept",
    (Instance.FIRST, State.REJECTED): "reject",
    (Instance.FIRST, State.WITHDRAWN): "withdraw",
}


def _decision_rows(c: Case, app: Application, ctx: Context, decisions, events, appeals) -> None:  # noqa: ANN001
    for n, (instance, outcome, at) in enumerate(c.decisions):
        permit, months = PERMIT_BY_OUTCOME.get(outcome, ("", None))
        if instance == Instance.FIRST:
            target = (
                State.WITHDRAWN
                if outcome == Outcome.WITHDRAWN
                else State.ACCEPTED
                if outcome in PERMIT_BY_OUTCOME and outcome != Outcome.MINOR_LIMITED
                else State.REJECTED
            )
            action, source, actor = ACTION[(instance, target)], State.EXAMINED, ctx.decider
        else:
            target = State.ACCEPTED if outcome != Outcome.REJECTED else State.REJECTED
            action = "grant_appeal" if target == State.ACCEPTED else "dismiss_appeal"
            source, actor = State.APPEALED, ctx.appeals
        decisions.append(
            Decision(
                application_id=app.pk,
                instance=instance,
                outcome=outcome,
                grounds="Demo data: generated decision.",
                permit_type=permit,
                permit_months=months,
                decided_by=actor,
                decided_at=at,
                notified_at=at,
            )
        )
        events.append(
            AuditEvent(
                application_id=app.pk,
                person_id=app.person_id,
                actor=actor,
                at=at,
                action=action,
                source_state=source,
                target_state=target,
                changes={"outcome": outcome},
            )
        )
        if n == 0 and c.appeal_lodged_at:
            events.append(
                AuditEvent(
                    application_id=app.pk,
                    person_id=app.person_id,
                    actor=ctx.caseworker,
                    at=c.appeal_lodged_at,
                    action="appeal",
                    source_state=State.REJECTED,
                    target_state=State.APPEALED,
                )
            )
            decided = c.decisions[1][2] if len(c.decisions) > 1 else None
            appeals.append(
                Appeal(
                    application_id=app.pk,
                    lodged_at=c.appeal_lodged_at,
                    lodged_by="the applicant",
                    outcome=""
                    if decided is None
                    else ("granted" if c.state == State.ACCEPTED else "dismissed"),
                    decided_at=decided,
                )
            )


def _deadline(source, object_id: int, app: Application, due: dt.datetime, user, closed=None):  # noqa: ANN001, ANN202
    return Deadline(
        source=source.key,
        object_id=object_id,
        application_id=app.pk,
        person_id=app.person_id,
        due_at=due,
        remind_from=due + source.first_offset,
        recipient_user=user if source.notify_staff else None,
        notify_person=source.notify_person,
        closed_at=closed,
    )


def _deadline_rows(c: Case, app: Application, ctx: Context, now: dt.datetime) -> list[Deadline]:
    rows = []
    if c.kind != ApplicationKind.COLLECTIVE:
        lodged_at = dt.datetime.combine(c.lodged_on, dt.time(12), tzinfo=UTC)
        due = lodged_at + EXAMINATION_TARGET_PERIOD
        closed = c.decisions[0][2] if c.decisions else None
        user = ctx.caseworker if c.assigned else None
        rows.append(_deadline(EXAMINATION_TARGET, app.pk, app, due, user, closed))
    if c.decisions and c.decisions[0][1] in (
        Outcome.REJECTED,
        Outcome.MINOR_LIMITED,
        Outcome.DUBLIN,
    ):
        due = appeal_deadline_for(track=c.track, notified_at=c.decisions[0][2])
        # Past appeal deadlines are closed, so that a demo does not send years-old reminders.
        closed = c.appeal_lodged_at or (due if due < now else None)
        rows.append(_deadline(APPEAL, app.pk, app, due, ctx.caseworker, closed))
    return rows


def _set_next_deadlines(open_deadlines: list[Deadline]) -> None:
    soonest: dict[int, dt.datetime] = {}
    for d in open_deadlines:
        if d.application_id not in soonest or d.due_at < soonest[d.application_id]:
            soonest[d.application_id] = d.due_at
    for app_id, due in soonest.items():
        Application.objects.filter(pk=app_id).update(next_deadline=due)
