"""Integration's part of the demo data (``seed_demo`` finds this module and runs its hooks).

In plausible proportions, on the demo's cases (added to each chunk, COPY on PostgreSQL):

- temporary work permits (Immigration Act § 94) for about a third of asylum seekers whose
  interview was held and who waited for a decision: 6 months at a time, renewed while the case
  is open, ended by the decision (expired); about one in eight refused (identity not
  documented). Permits still running have their renewal deadline, some in the coming weeks;
- family reunification for refugees' close family: the sponsor's 6- and 12-month windows
  (open while they run, so their reminders fire during a demo), one to three family members
  registered, mostly within the windows (exempt from the income requirement, as
  ``eligibility.income_requirement`` decides), decided or still being examined;
- the introduction programme for people settled at 18-55 with a qualifying permit: Norwegian
  training, social studies and (collective protection, from month 4) work; finished
  programmes with an outcome and a Norwegian test, running ones with their planned end.

The rows are what the declared transitions (``workflow.py``) leave behind: a permit's periods
have the kind its grant and renewals write, and a deadline is open or closed as the
transition that brought the record to its state leaves it.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.contrib.auth import get_user_model

from casework.applications.choices import ApplicationKind, Outcome, State, Track
from casework.intake import demo as demo_data
from casework.transitions.declaration import Transition, declarations

from . import deadlines, eligibility
from .choices import (
    CefrLevel,
    FamilyRelation,
    FamilyState,
    InterviewWaiverGroup,
    ProgrammeElementKind,
    ProgrammeOutcome,
    ProgrammeState,
    SponsorBasis,
    WorkPermitState,
)
from .models import (
    FamilyReunification,
    IntroductionProgramme,
    MunicipalityOfficer,
    NorwegianTest,
    ProgrammeElement,
    WorkPermit,
    WorkPermitPeriod,
)
from .records import RecordsPeriod

WORK_PERMIT_SHARE = 0.35  # of eligible asylum seekers who ask for one
REFUSED_SHARE = 0.12
FAMILY_SHARE: dict[str, float] = {Outcome.REFUGEE_CONVENTION: 0.35, Outcome.REFUGEE_OTHER: 0.3}
PROGRAMME_SHARE = 0.85
OUTCOMES = ProgrammeOutcome.values  # work, education, other
LEVELS = CefrLevel.values
WAIVER = {"SY": InterviewWaiverGroup.SYRIA, "YE": InterviewWaiverGroup.YEMEN}
_FAMILY_SERIAL = {"protection2022": 6_000_000, "recent": 7_000_000, "open": 7_500_000}

WORK_PERMIT = demo_data.Table(
    WorkPermit,
    ("id", "person_id", "application_id", "state", "requested_on", "interview_waiver_group",
     "valid_from", "valid_until", "lapses_at", "unmet_conditions", "grounds", "decided_by_id",
     "decided_at", "ended_at", "version", "created_at"),
)  # fmt: skip
PERIOD = demo_data.Table(
    WorkPermitPeriod, ("permit_id", "kind", "valid_from", "valid_until", "granted_by_id",
                       "granted_at")
)  # fmt: skip
FAMILY = demo_data.Table(
    FamilyReunification,
    ("id", "sponsor_id", "sponsor_basis", "sponsor_application_id", "protection_decided_on",
     "protection_outcome", "sponsor_arrived_on", "applicant_id", "relation",
     "relationship_since", "registered_on", "documents_handed_in_on", "state", "income_rule",
     "income_rule_reason", "registration_deadline", "documents_deadline", "age_rule_applies",
     "grounds", "decided_at", "appeal_deadline", "appealed_at", "is_final", "created_at"),
)  # fmt: skip
PROGRAMME = demo_data.Table(
    IntroductionProgramme,
    ("id", "person_id", "settlement_id", "municipality_id", "collective_protection", "state",
     "enrolled_on", "start_on", "planned_end_on", "outcome", "ended_on", "created_by_id",
     "created_at"),
)  # fmt: skip
ELEMENT = demo_data.Table(
    ProgrammeElement, ("programme_id", "kind", "hours_per_week", "start_on", "end_on", "provider")
)
TEST = demo_data.Table(NorwegianTest, ("programme_id", "taken_on", "skill", "level"))
demo_data.TABLES += [WORK_PERMIT, PERIOD, FAMILY, PROGRAMME, ELEMENT, TEST]


def _declared(model: type, source: str, target: str) -> Transition:
    """The declared transition of ``model`` from ``source`` to ``target``."""
    return next(
        d for d in declarations(model).values() if source in d.source and d.target == target
    )


def _leaves_open(declaration: Transition, source: str) -> bool:
    """Whether ``declaration`` leaves the deadline of ``source`` open (it opens or moves it)."""
    return any(move.source == source and move.due is not None for move in declaration.deadlines)


def _period_kind(declaration: Transition) -> str:
    return next(w.kind for w in declaration.writes if isinstance(w, RecordsPeriod))


_S, _F = WorkPermitState, FamilyState
# The transition that left a demo permit in its state, and the first and later periods' kinds.
PERMIT_LAST = {
    _S.GRANTED: _declared(WorkPermit, _S.GRANTED, _S.GRANTED),
    _S.EXPIRED: _declared(WorkPermit, _S.GRANTED, _S.EXPIRED),
}
FIRST_PERIOD = _period_kind(_declared(WorkPermit, _S.REQUESTED, _S.GRANTED))
LATER_PERIOD = _period_kind(PERMIT_LAST[_S.GRANTED])
# The transition that left a demo family member's application with an appeal deadline.
FAMILY_LAST = {
    _F.REJECTED: _declared(FamilyReunification, _F.EXAMINED, _F.REJECTED),
    _F.APPEALED: _declared(FamilyReunification, _F.REJECTED, _F.APPEALED),
}

_users: dict[str, int | None] = {}
# The rules' own function, remembered: a few thousand distinct days at any scale.
_end_of = lru_cache(maxsize=8192)(deadlines.end_of)
UNMET_IDENTITY = json.dumps(
    [{"code": "identity", "message": "Identity is not documented by a verified passport, "
      "national ID card or travel document."}]
)  # fmt: skip


def start(ctx: Any, *, scale: float, seed: int) -> None:
    user = get_user_model().objects.filter(username="integration").first()
    _users["integration"] = user.pk if user else None


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=dt.UTC)


def on_chunk(chunk: demo_data.Chunk) -> None:
    if not chunk.write:
        return
    rng = demo_data.Rng(f"{chunk.seed}:integration:{chunk.part}:{chunk.index}")
    today = chunk.ctx.today
    yesterday = today - dt.timedelta(days=1)
    permits: list[tuple] = []
    families: list[tuple] = []
    programmes: list[tuple] = []
    for i, c in enumerate(chunk.cases):
        if c.kind == ApplicationKind.PROTECTION:
            permit = _work_permit(c, rng, yesterday)
            if permit:
                permits.append((c, permit))
            first = c.decisions[0] if c.decisions else None
            if first and c.state == State.ACCEPTED and _age(c.born, first[2].date()) >= 18:
                family = _family(c, chunk, rng, yesterday)
                if family:
                    families.append((c, i, family))
        if "settlement" in c.extra and rng.random() < PROGRAMME_SHARE:
            programme = _programme(c, rng, yesterday)
            if programme:
                programmes.append((c, programme))
    _write_permits(chunk, permits, today)
    _write_families(chunk, families, rng, today)
    _write_programmes(chunk, programmes, today)


# --- Work permits ---------------------------------------------------------------------------


def _work_permit(c: demo_data.Case, rng: random.Random, yesterday: dt.date) -> Any:
    """§ 94: interview held (or waived for the group), no decision yet, not Dublin."""
    if c.track == Track.DUBLIN or rng.random() >= WORK_PERMIT_SHARE:
        return None
    waiver = WAIVER.get(c.nationality, "")
    if c.interview_held_at is None and not waiver:
        return None
    since = c.interview_held_at.date() if c.interview_held_at else c.lodged_on
    requested = since + dt.timedelta(days=rng.randint(3, 30))
    decided = c.decisions[0][2].date() if c.decisions else None
    if requested > yesterday or (decided and requested + dt.timedelta(days=30) >= decided):
        return None
    answered = requested + dt.timedelta(days=rng.randint(5, 25))
    if rng.random() < REFUSED_SHARE:
        return (requested, waiver, answered, WorkPermitState.REFUSED, [], None)
    periods = []
    begin = answered
    while True:
        until = eligibility.add_months(begin, 6) - dt.timedelta(days=1)
        periods.append((begin, until))
        if decided is not None and decided <= until:
            return (requested, waiver, answered, WorkPermitState.EXPIRED, periods, decided)
        if until >= yesterday:
            return (requested, waiver, answered, WorkPermitState.GRANTED, periods, None)
        begin = until + dt.timedelta(days=1)


def _write_permits(chunk: demo_data.Chunk, permits: list, today: dt.date) -> None:
    decider = demo_data._pk(chunk.ctx.decider)
    for pk, (c, (requested, waiver, answered, state, periods, ended)) in zip(
        chunk.ids.take(WorkPermit, len(permits)), permits, strict=True
    ):
        first, last = (periods[0], periods[-1]) if periods else (None, None)
        chunk.add(WORK_PERMIT, (
            pk, c.person_id, c.app_id, state, requested, waiver, first and first[0],
            last and last[1], None, UNMET_IDENTITY if state == WorkPermitState.REFUSED else "[]",
            "Demo data: identity not documented." if state == WorkPermitState.REFUSED else "",
            decider, _at(answered), _at(ended) if ended else None, 1 + len(periods),
            _at(requested),
        ))  # fmt: skip
        for n, (begin, until) in enumerate(periods):
            granted = begin if n == 0 else begin - dt.timedelta(days=14)
            kind = FIRST_PERIOD if n == 0 else LATER_PERIOD
            chunk.add(PERIOD, (pk, kind, begin, until, decider, _at(granted)))
        if periods:
            due = _end_of(periods[-1][1])
            renewal = deadlines.WORK_PERMIT_RENEWAL.key
            closed = None if _leaves_open(PERMIT_LAST[state], renewal) else _at(ended or today)
            chunk.deadline(
                deadlines.WORK_PERMIT_RENEWAL.key, pk, due=due, person_id=c.person_id,
                closed=closed,
            )  # fmt: skip


# --- Family reunification -------------------------------------------------------------------


def _family(c: demo_data.Case, chunk: demo_data.Chunk, rng: random.Random, yesterday: dt.date):
    """The sponsor's windows, and the family members who applied (maybe none)."""
    decision = next(
        (d for d in reversed(c.decisions) if d[1] not in (Outcome.REJECTED,)), c.decisions[-1]
    )
    outcome, decided_on = decision[1], decision[2].date()
    members: list[tuple[FamilyRelation, int, dt.date]] = []
    if rng.random() < FAMILY_SHARE.get(outcome, 0.1):
        registered = decided_on + dt.timedelta(
            days=rng.randint(20, 160) if rng.random() < 0.85 else rng.randint(190, 400)
        )
        if registered <= yesterday:
            ages: list[tuple[FamilyRelation, int]] = []
            if rng.random() < 0.75:
                ages.append((FamilyRelation.SPOUSE, rng.randint(20, 50)))
            ages += [(FamilyRelation.CHILD, rng.randint(1, 16))] * rng.choice((0, 1, 1, 2, 3))
            if not ages:
                ages.append((FamilyRelation.CHILD, rng.randint(1, 16)))
            members = [(rel, age, registered) for rel, age in ages]
    return outcome, decided_on, members


def _write_families(chunk: demo_data.Chunk, families: list, rng: random.Random, today) -> None:
    yesterday = today - dt.timedelta(days=1)
    rows = []
    serial0 = _FAMILY_SERIAL.get(chunk.part, 7_800_000) + chunk.index * demo_data.CHUNK * 4
    for c, i, (outcome, decided_on, members) in families:
        register_by, documents_by = eligibility.family_windows(decided_on)
        refugee = eligibility.sponsor_basis_refugee(SponsorBasis.PROTECTION, outcome)
        registered = members[0][2] if members else None
        handed_in = registered + dt.timedelta(days=rng.randint(10, 150)) if registered else None
        if handed_in and handed_in > yesterday:
            handed_in = None
        if refugee:  # the windows the service opens on a refugee's positive decision
            for source, last_day, done in (
                (deadlines.FAMILY_REGISTRATION_WINDOW, register_by, registered),
                (deadlines.FAMILY_DOCUMENTS_WINDOW, documents_by, handed_in),
            ):
                if last_day is None:
                    continue
                due = _end_of(last_day)
                closed = _at(done) if done else (due if last_day < today else None)
                chunk.deadline(source.key, c.app_id, due=due, person_id=c.person_id, closed=closed)
        for k, (relation, age, registered_on) in enumerate(members):
            rows.append((c, serial0 + i * 4 + k, relation, age, registered_on, handed_in,
                         outcome, decided_on, register_by, documents_by, refugee))  # fmt: skip
    if not rows:
        return
    person_ids = chunk.ids.take(demo_data.Person, len(rows))
    family_ids = chunk.ids.take(FamilyReunification, len(rows))
    for pid, fid, row in zip(person_ids, family_ids, rows, strict=True):
        (c, serial, relation, age, registered, handed_in, outcome, decided_on, register_by,
         documents_by, refugee) = row  # fmt: skip
        born = registered - dt.timedelta(days=age * 365 + rng.randint(0, 300))
        sex = ("female" if c.sex == "male" else "male") if relation == FamilyRelation.SPOUSE else (
            rng.choice(("female", "male"))
        )  # fmt: skip
        chunk.person(
            pid, year=registered.year, serial=serial, nationality=c.nationality, sex=sex,
            born=born, rng=rng, created_at=_at(registered),
        )  # fmt: skip
        since = c.lodged_on - dt.timedelta(days=rng.randint(400, 4000))
        before_arrival = relation != FamilyRelation.SPOUSE or since < c.lodged_on
        assessment = eligibility.income_requirement(
            sponsor_is_refugee=refugee,
            relation=relation,
            relationship_before_arrival=before_arrival,
            applicant_age_at_registration=eligibility.age_on(born, registered),
            protection_decided_on=decided_on,
            registered_on=registered,
            documents_handed_in_on=handed_in,
            today=today,
        )
        state, decided_at, appeal_deadline, appealed_at, grounds = _family_decision(
            registered, handed_in, relation, rng, yesterday
        )
        chunk.add(FAMILY, (
            fid, c.person_id, SponsorBasis.PROTECTION, c.app_id, decided_on, outcome,
            c.lodged_on, pid, relation, since if relation == FamilyRelation.SPOUSE else None,
            registered, handed_in, state, assessment.rule, assessment.reason,
            assessment.registration_deadline, assessment.documents_deadline,
            eligibility.age_rule_applies(
                relation=relation, relationship_before_arrival=before_arrival
            ),
            grounds, decided_at, appeal_deadline, appealed_at, False, _at(registered),
        ))  # fmt: skip
        if appeal_deadline is not None:
            open_ = (
                _leaves_open(FAMILY_LAST[state], deadlines.FAMILY_APPEAL.key)
                and appeal_deadline.date() >= today
            )
            chunk.deadline(
                deadlines.FAMILY_APPEAL.key, fid, due=appeal_deadline, person_id=pid,
                user=chunk.ctx.decider, closed=None if open_ else appealed_at or appeal_deadline,
            )  # fmt: skip


def _family_decision(registered, handed_in, relation, rng, yesterday):
    if handed_in is None:
        return FamilyState.SUBMITTED, None, None, None, ""
    decided = handed_in + dt.timedelta(days=rng.randint(40, 300))
    if decided > yesterday:
        return FamilyState.EXAMINED, None, None, None, ""
    decided_at = _at(decided, 11)
    if rng.random() < (0.85 if relation == FamilyRelation.CHILD else 0.78):
        return FamilyState.ACCEPTED, decided_at, None, None, "Demo data: family ties documented."
    appeal_deadline = decided_at + dt.timedelta(weeks=3)
    grounds = "Demo data: the family ties are not documented."
    appealed = decided_at + dt.timedelta(days=rng.randint(5, 20))
    if rng.random() < 0.4 and appealed.date() <= yesterday:
        return FamilyState.APPEALED, decided_at, appeal_deadline, appealed, grounds
    return FamilyState.REJECTED, decided_at, appeal_deadline, None, grounds


# --- Introduction programme -----------------------------------------------------------------


def _programme(c: demo_data.Case, rng: random.Random, yesterday: dt.date) -> Any:
    settlement_id, municipality, settled_on = c.extra["settlement"]
    outcome = c.decisions[-1][1]
    age = _age(c.born, settled_on)
    if not (eligibility.PROGRAMME_MIN_AGE <= age <= eligibility.PROGRAMME_MAX_AGE):
        return None
    if outcome not in eligibility.QUALIFYING_OUTCOMES:
        return None
    begin = settled_on + dt.timedelta(days=rng.randint(14, 90))
    if begin > yesterday:
        return None
    collective = c.kind == ApplicationKind.COLLECTIVE
    months = 12 if collective else rng.choice((24, 24, 36))
    planned_end = eligibility.add_months(begin, months)
    state, ended, result = ProgrammeState.ENROLLED, None, ""
    if planned_end <= yesterday:
        if rng.random() < 0.82:
            state, ended = ProgrammeState.COMPLETED, planned_end
            result = rng.choices(OUTCOMES, [50, 25, 25])[0]
        else:
            state = ProgrammeState.DISCONTINUED
            ended = begin + dt.timedelta(days=rng.randint(60, (planned_end - begin).days - 1))
            result = rng.choices(OUTCOMES, [45, 10, 45])[0]
    return (settlement_id, municipality, collective, state, begin, planned_end, result, ended)


def _write_programmes(chunk: demo_data.Chunk, programmes: list, today: dt.date) -> None:
    officer = _users.get("integration")
    rng = demo_data.Rng(f"{chunk.seed}:programme:{chunk.part}:{chunk.index}")
    levels = LEVELS
    ids = chunk.ids.take(IntroductionProgramme, len(programmes))
    for pk, (c, p) in zip(ids, programmes, strict=True):
        settlement_id, municipality, collective, state, begin, planned_end, result, ended = p
        chunk.add(PROGRAMME, (
            pk, c.person_id, settlement_id, municipality, collective, state,
            begin - dt.timedelta(days=7), begin, planned_end, result, ended, officer,
            _at(begin - dt.timedelta(days=7)),
        ))  # fmt: skip
        provider = "Demo municipality's adult education centre"
        chunk.add(ELEMENT, (pk, ProgrammeElementKind.NORWEGIAN, Decimal("15"), begin, ended,
                            provider))  # fmt: skip
        if collective:
            work_from = eligibility.add_months(begin, eligibility.WORK_FROM_MONTH - 1)
            if ended is None or work_from <= ended:
                chunk.add(ELEMENT, (pk, ProgrammeElementKind.WORK, Decimal("15"), work_from,
                                    ended, "NAV"))  # fmt: skip
        else:
            chunk.add(ELEMENT, (pk, ProgrammeElementKind.SOCIAL_STUDIES, Decimal("3"), begin,
                                ended, provider))  # fmt: skip
        if ended is not None:
            level = rng.choices(levels, [10, 30, 40, 17, 3])[0]
            chunk.add(TEST, (pk, ended - dt.timedelta(days=14), "oral", level))
        else:
            chunk.deadline(
                deadlines.PROGRAMME_END.key, pk, due=_end_of(planned_end),
                person_id=c.person_id, user=officer,
            )  # fmt: skip


def finish(ctx: Any) -> int:
    """The demo integration officer works for the municipality with the most programmes
    running, so that their start page and lists show real work (idempotent)."""
    from django.db.models import Count

    from reception.models import Municipality

    from .services import municipality_officer_add

    users = get_user_model().objects
    user, admin = users.filter(username="integration").first(), users.filter(username="admin")
    busiest = (
        IntroductionProgramme.objects.filter(state=ProgrammeState.ENROLLED)
        .values("municipality_id")
        .annotate(n=Count("id"))
        .order_by("-n", "municipality_id")
        .first()
    )
    if user is None or busiest is None or not admin.exists():
        return 0
    if MunicipalityOfficer.objects.filter(user=user).exists():
        return 0
    municipality_officer_add(
        actor=admin.get(),
        user=user,
        municipality=Municipality.objects.get(pk=busiest["municipality_id"]),
    )
    return 1


def _age(born: dt.date, on: dt.date) -> int:
    return eligibility.age_on(born, on)


demo_data.START_HOOKS.append(start)
demo_data.CHUNK_HOOKS.append(on_chunk)
demo_data.FINISH_HOOKS.append(finish)
