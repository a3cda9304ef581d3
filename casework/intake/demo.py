"""Writing the bulk demo dataset (``casework.intake.demo_cases``) as rows, fast.

Rows are written in chunks (one transaction each) bypassing the per-row services but writing
what they would, built by the same builders (``casework.people.rows``,
``casework.applications.rows``, ``audit_event``, ``deadline_new``): people, applications, their
history rows, an audit event for each registration, lodging and decision, decisions, appeals,
held interviews, and ``Deadline`` rows (closed for finished cases, open for open ones). On
PostgreSQL each table of a chunk goes in with one ``COPY`` (psycopg 3), elsewhere with one
``executemany``; ids are reserved before the rows are made, so rows of several tables (and
other apps' hooks: reception's placements and settlements, integration's work permits, family
reunifications and programmes) are built in one pass. Each chunk has its own seeded generator
and external ids (``demo:<part>:<n>``), so a chunk already present is skipped: running again
adds nothing. On SQLite each chunk commits on its own and an interrupted run resumes; on
PostgreSQL the load is one transaction (see ``bulk_load``) and an interrupted run leaves
nothing behind. Memory stays flat whatever the scale.
"""

from __future__ import annotations

import datetime as dt
import json
import queue
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager, nullcontext, suppress
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.contrib.auth.models import User
from django.db import connection, transaction
from django.db.models import JSONField
from django.utils import timezone
from simple_history.utils import get_history_model_for_model

from casework.applications.choices import (
    ACCEPT_OUTCOMES,
    Instance,
    NotificationChannel,
    Outcome,
    State,
)
from casework.applications.models import Appeal, Application, Decision, Interview
from casework.applications.records import RecordsAppeal, RecordsDecision
from casework.applications.rows import application_lodged_rows, application_new
from casework.applications.workflow import TRANSITIONS, appeal_deadline_for
from casework.audit.history import history_row
from casework.audit.models import AuditEvent
from casework.audit.services import audit_event
from casework.core.partitions import (
    PARTITIONED_LOGS,
    ensure_partitions,
    is_partitioned,
    recursive_indexdef,
)
from casework.deadlines.models import Deadline
from casework.deadlines.registry import (
    APPEAL,
    EXAMINATION_TARGET,
    INTERVIEW,
    QUEUE_NOTICE,
    QUEUE_NOTICE_PERIOD,
)
from casework.deadlines.services import deadline_new
from casework.intake.demo_cases import LANGUAGE, NAMES, Case, Context, Rng, moment_on, spoken
from casework.intake.writer import by_model, records_copy, records_insert
from casework.people.choices import DatePrecision
from casework.people.identity import REFERENCE_ALPHABET, luhn_digit
from casework.people.models import Person
from casework.people.rows import person_new, person_registered_rows
from casework.permits.terms import default_decision_permit
from casework.transitions.declaration import Transition

UTC = dt.UTC
CHUNK = 5000
# Where a run's time went (the command prints it): rows written, indexes made at the end.
SECONDS: defaultdict[str, float] = defaultdict(float)


# --- Writing rows -----------------------------------------------------------------------------
#
# A chunk of cases becomes rows of several tables at once. Ids are reserved up front (from the
# table's sequence on PostgreSQL, after the largest id on SQLite), so every row of the chunk,
# in every table and every app's hook, can point at the others before anything is written.
# On PostgreSQL each table's rows then go in with one ``COPY … FROM STDIN`` (psycopg 3's
# ``cursor.copy``); elsewhere with ``bulk_create``. Constraints and indexes stay in place the
# whole time: a bad row fails its chunk's transaction like any insert would.


def _default(f: Any, now: dt.datetime) -> Any:
    if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
        return now
    if f.has_default():
        return f.get_default()
    if f.null:
        return None
    if f.empty_strings_allowed:
        return ""
    raise ValueError(f"demo data must give {f.model.__name__}.{f.attname}")


class Table:
    """One table the demo writes: the columns each row gives, the rest filled with defaults.

    A row is a tuple of the ``names`` given here, in order; JSON values are given as JSON
    text. ``id`` is among the names when other rows must point at this one.
    """

    def __init__(self, model: Any, names: tuple[str, ...]) -> None:
        self.model, self.names = model, tuple(names)
        self.label = model._meta.label

    def _prepare(self, now: dt.datetime) -> None:
        fields = [f for f in self.model._meta.concrete_fields if not f.primary_key]
        by_name = {f.attname: f for f in self.model._meta.concrete_fields}
        rest = [f for f in fields if f.attname not in self.names]
        self.rest_names = tuple(f.attname for f in rest)
        self.rest_values = tuple(_default(f, now) for f in rest)
        self.columns = tuple(by_name[n].column for n in self.names + self.rest_names)
        self.json = {i for i, n in enumerate(self.names) if isinstance(by_name[n], JSONField)}
        self.rest_text = tuple(
            json.dumps(v) if isinstance(by_name[n], JSONField) else v
            for n, v in zip(self.rest_names, self.rest_values, strict=True)
        )

    def write(self, rows: list[tuple], now: dt.datetime) -> None:
        if not rows:
            return
        started = time.perf_counter()
        try:
            self._write(rows, now)
        finally:
            SECONDS["writing rows"] += time.perf_counter() - started

    def _write(self, rows: list[tuple], now: dt.datetime) -> None:
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                self.copy(cur.cursor, rows, now)
            return
        self._prepare(now)
        self._now = now
        self._bulk_create(rows)

    def copy(self, cursor: Any, rows: list[tuple], now: dt.datetime) -> None:
        """``COPY … FROM STDIN`` of ``rows`` on a psycopg 3 cursor (PostgreSQL)."""
        if not rows:
            return
        self._prepare(now)
        table = connection.ops.quote_name(self.model._meta.db_table)
        cols = ", ".join(connection.ops.quote_name(c) for c in self.columns)
        rest = self.rest_text
        with cursor.copy(f"COPY {table} ({cols}) FROM STDIN") as copy:
            write_row = copy.write_row
            for row in rows:
                write_row(row + rest)

    def _bulk_create(self, rows: list[tuple]) -> None:
        model, names = self.model, self.names
        rest = dict(zip(self.rest_names, self.rest_values, strict=True))
        objs = []
        for row in rows:
            values = dict(zip(names, row, strict=True))
            for i in self.json:
                values[names[i]] = json.loads(row[i])
            objs.append(model(**values, **rest))
        records_insert(objs, self._now)


class Ids:
    """Reserves primary keys ahead of the rows that use them (one run, one connection)."""

    POOL = 20_000  # ids fetched from a sequence at a time (one query for several chunks)

    def __init__(self) -> None:
        self._next: dict[Any, int] = {}
        self._pool: dict[Any, list[int]] = {}

    def take(self, model: Any, n: int) -> list[int]:
        if n <= 0:
            return []
        table = model._meta.db_table
        if connection.vendor == "postgresql":
            pool = self._pool.setdefault(model, [])
            if len(pool) < n:
                with connection.cursor() as cur:
                    cur.execute(
                        "SELECT nextval(pg_get_serial_sequence(%s, 'id')) "
                        "FROM generate_series(1, %s)",
                        [connection.ops.quote_name(table), max(n, self.POOL)],
                    )
                    pool.extend(r[0] for r in cur.fetchall())
            taken, self._pool[model] = pool[:n], pool[n:]
            return taken
        if model not in self._next:
            with connection.cursor() as cur:
                # the table name comes from the model's _meta, not from input
                name = connection.ops.quote_name(table)
                cur.execute(f"SELECT COALESCE(MAX(id), 0) FROM {name}")  # noqa: S608  # nosec B608
                self._next[model] = cur.fetchone()[0] + 1
        first = self._next[model]
        self._next[model] = first + n
        return list(range(first, first + n))


PERSON = Table(
    Person,
    ("id", "registration_number", "given_name", "family_name", "name_key", "date_of_birth",
     "sex", "nationality", "stateless", "languages", "preferred_language",
     "unaccompanied_minor", "is_demo", "created_at", "email"),
)  # fmt: skip
APPLICATION = Table(
    Application,
    ("id", "reference", "person_id", "kind", "track", "state", "unit_id", "assigned_to_id",
     "lodged_on", "interview_held_at", "decided_at", "notified_at", "appeal_deadline",
     "appealed_at",
     "is_final", "external_id", "is_demo", "created_at", "version", "next_deadline"),
)  # fmt: skip
DECISION = Table(
    Decision,
    ("application_id", "instance", "outcome", "grounds", "permit_type", "permit_months",
     "decided_by_id", "decided_at", "notified_at", "notification_channel"),
)  # fmt: skip
AUDIT = Table(
    AuditEvent,
    ("application_id", "person_id", "actor_id", "at", "action", "source_state",
     "target_state", "changes"),
)  # fmt: skip
APPEAL_ROW = Table(Appeal, ("application_id", "lodged_at", "lodged_by", "outcome", "decided_at"))
INTERVIEW_ROW = Table(
    Interview, ("id", "application_id", "scheduled_at", "held_at", "location", "language")
)
DEADLINE = Table(
    Deadline,
    ("source", "object_id", "application_id", "person_id", "due_at", "remind_from",
     "recipient_user_id", "notify_person", "closed_at"),
)  # fmt: skip
# The rows of registering and lodging come from the records' builders as model instances
# (``Chunk.record``), not as tuples: these entries only count their rows and take their
# indexes off during a PostgreSQL load.
HISTORICAL_PERSON = Table(get_history_model_for_model(Person), ())
HISTORICAL_APPLICATION = Table(get_history_model_for_model(Application), ())
# Written in this order (other apps' hooks append theirs), after the builders' instances.
TABLES: list[Table] = [PERSON, HISTORICAL_PERSON, APPLICATION, HISTORICAL_APPLICATION, DECISION,
                       AUDIT, APPEAL_ROW, INTERVIEW_ROW, DEADLINE]  # fmt: skip


@dataclass
class Chunk:
    """One chunk of generated cases on its way to the database, shared with the hooks.

    ``write`` is False when the chunk is already in the database (a second run, or a resumed
    one): hooks still see its cases, so that state carried from chunk to chunk (beds taken in
    reception centres, settlements per municipality) comes out the same, but add no rows.
    """

    part: str
    index: int
    cases: list[Case]
    ctx: Context
    seed: int
    write: bool
    ids: Ids
    now: dt.datetime
    rows: dict[Table, list[tuple]] = field(default_factory=dict)
    # The rows the records' builders made (people, applications, their history, audit events,
    # deadlines), in the order they were made; and the chunk's people and applications by id.
    records: list[Any] = field(default_factory=list)
    people: dict[int, Person] = field(default_factory=dict)
    applications: dict[int, Application] = field(default_factory=dict)

    def add(self, table: Table, row: tuple) -> None:
        self.rows.setdefault(table, []).append(row)

    def record(self, *rows: Any) -> None:
        """Rows the builders made (model instances, keys reserved or left to the database)."""
        self.records.extend(rows)

    def person(
        self,
        pid: int,
        *,
        year: int,
        serial: int,
        nationality: str,
        sex: str,
        born: dt.date,
        rng: random.Random,
        created_at: dt.datetime,
        unaccompanied: bool = False,
        given_name: str = "",
        family_name: str = "",
        dob_precision: str = DatePrecision.DAY,
        external_id: str | None = None,
    ) -> Person:
        """A demo person, registered as ``person_register`` registers one (the same builders:
        the person, their history row "+", the event ``person_registered``), with a name from
        the nationality's language unless given.

        Two in three have an e-mail address (in the reserved ``.invalid`` domain), so that the
        reminders meant for applicants (renew a work permit, register the family in time) are
        sent during a demo; the others are reached by letter, outside the system.
        """
        lang = LANGUAGE.get(nationality, "ar")
        given_m, given_f, family = NAMES[lang]
        given = rng.choice(given_f if sex == "female" else given_m)
        fam = rng.choice(family)
        person = person_new(
            id=pid,
            registration_number=registration_number(year, serial),
            given_name=given_name or given,
            family_name=family_name or fam,
            date_of_birth=born,
            dob_precision=dob_precision,
            sex=sex,
            nationality=nationality,
            languages=spoken(nationality, LANGUAGE.get(nationality, "")),
            preferred_language=LANGUAGE.get(nationality, "en"),
            unaccompanied_minor=unaccompanied,
            is_demo=True,
            created_at=created_at,
            email=f"demo{pid}@example.invalid" if rng.random() < 0.67 else "",
            external_id=external_id,
        )
        registrar = _pk(self.ctx.registrar)
        self.people[pid] = person
        self.record(
            person,
            *person_registered_rows(
                person, actor_id=registrar, at=created_at, history_user_id=registrar
            ),
        )
        return person

    def deadline(
        self,
        source: str,
        object_id: int,
        *,
        due: dt.datetime,
        application_id: int | None = None,
        person_id: int | None = None,
        user: Any = None,
        closed: dt.datetime | None = None,
    ) -> Deadline:
        """A ``Deadline`` row as ``casework.deadlines.services.deadline_set`` writes it (its
        builder, ``deadline_new``), closed at ``closed`` if given; the application and the
        person are the chunk's."""
        application = self.applications[application_id] if application_id else None
        person = self.people[person_id] if person_id else None
        deadline = deadline_new(
            source=source,
            object_id=object_id,
            due_at=due,
            application=application,
            person=person,
            # hooks may name the user by id
            recipient_user=User(pk=user) if isinstance(user, int) else user,
        )
        deadline.closed_at = closed
        self.record(deadline)
        return deadline

    def next_deadlines(self) -> dict[int, dt.datetime]:
        """Each application's soonest open deadline (notices not counted), for
        ``Application.next_deadline``, as ``deadline_set`` leaves it."""
        soonest: dict[int, dt.datetime] = {}
        for d in self.records:
            if type(d) is not Deadline or d.closed_at is not None or d.application_id is None:
                continue
            if not _source(d.source).shown_as_deadline:
                continue
            if d.application_id not in soonest or d.due_at < soonest[d.application_id]:
                soonest[d.application_id] = d.due_at
        return soonest


@lru_cache(maxsize=64)
def _source(key: str) -> Any:
    from casework.deadlines.registry import get_source

    return get_source(key)


def _pk(user: Any) -> int | None:
    """A user's id, from the user or the id itself."""
    return user if isinstance(user, int) else getattr(user, "pk", None)


# Other apps add rows to each chunk: ``CHUNK_HOOKS.append(func)``, ``func(chunk)``; and tables:
# ``TABLES.append(Table(...))``. ``START_HOOKS`` run once before the first chunk (``func(ctx,
# scale=…, seed=…)``), ``FINISH_HOOKS`` once after the last (``func(ctx) -> int`` rows).
CHUNK_HOOKS: list[Callable[[Chunk], None]] = []
START_HOOKS: list[Callable[..., None]] = []
FINISH_HOOKS: list[Callable[..., int]] = []


def write(
    part: str,
    cases: Iterator[Case],
    ctx: Context,
    *,
    is_demo: bool = True,
    seed: int = 0,
    ids: Ids | None = None,
) -> int:
    """Write ``cases`` in chunks; a chunk whose first external id exists is skipped."""
    ids = ids or Ids()
    written = 0
    batch: list[Case] = []
    index = 0
    for case in cases:
        batch.append(case)
        if len(batch) == CHUNK:
            written += _write_chunk(part, index, batch, ctx, seed, ids)
            index, batch = index + 1, []
    if batch:
        written += _write_chunk(part, index, batch, ctx, seed, ids)
    return written


def _write_chunk(
    part: str, index: int, cases: list[Case], ctx: Context, seed: int, ids: Ids
) -> int:
    first_id = f"demo:{part}:{index * CHUNK}"
    present = Application.objects.filter(external_id=first_id).exists()
    chunk = Chunk(part, index, cases, ctx, seed, not present, ids, timezone.now())
    # With the COPY writer the whole load is one transaction already (``bulk_load``).
    with transaction.atomic() if _writer is None else nullcontext():
        if chunk.write:
            person_ids = ids.take(Person, len(cases))
            app_ids = ids.take(Application, len(cases))
            for c, pid, aid in zip(cases, person_ids, app_ids, strict=True):
                c.person_id, c.app_id = pid, aid
            _casework_rows(chunk)
        for hook in CHUNK_HOOKS:
            hook(chunk)
        if not chunk.write:
            ctx.on_chunk(part, len(cases))
            return 0
        soonest = chunk.next_deadlines()
        for app in chunk.applications.values():
            app.next_deadline = soonest.get(app.pk)
        if _writer is not None:
            _writer.submit(chunk.rows, chunk.records, chunk.now)
        else:
            started = time.perf_counter()
            for objs in by_model(chunk.records).values():
                records_insert(objs, chunk.now)
            SECONDS["writing rows"] += time.perf_counter() - started
            for table in TABLES:
                table.write(chunk.rows.get(table, []), chunk.now)
    ctx.on_chunk(part, len(cases))
    return len(cases)


class CopyWriter:
    """COPYs each chunk's rows from a thread while the next chunk is being generated.

    Generating rows is Python's work and ingesting them PostgreSQL's, on another core: in
    turn they would take the sum of the two, side by side about the larger. The thread uses
    the same psycopg connection (so the same transaction); psycopg holds the connection's
    lock for a whole COPY, so the main thread's few queries (ids, the chunk-present check)
    simply wait for it. A failure in the thread is raised in the main thread.
    """

    def __init__(self) -> None:
        connection.ensure_connection()
        self._raw = connection.connection
        self._jobs: queue.Queue = queue.Queue(maxsize=2)
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="demo-copy", daemon=True)
        self._thread.start()

    def submit(self, rows: dict[Table, list[tuple]], records: list[Any], now: dt.datetime) -> None:
        if self._error is not None:
            raise self._error
        self._jobs.put((rows, records, now))

    def _run(self) -> None:
        while (job := self._jobs.get()) is not None:
            if self._error is not None:
                continue
            rows, records, now = job
            started = time.perf_counter()
            try:
                with self._raw.cursor() as cur:
                    for objs in by_model(records).values():
                        records_copy(cur, objs, now)
                    for table in TABLES:
                        table.copy(cur, rows.get(table, []), now)
            except BaseException as exc:  # handed to the main thread
                self._error = exc
            SECONDS["writing rows (alongside)"] += time.perf_counter() - started

    def close(self) -> None:
        started = time.perf_counter()
        self._jobs.put(None)
        self._thread.join()
        SECONDS["waiting for the last rows"] += time.perf_counter() - started
        if self._error is not None:
            raise self._error


_writer: CopyWriter | None = None


_PART_OFFSET = {"protection2022": 0, "collective2023": 0, "recent": 8_000_000, "open": 9_000_000}


def registration_number(year: int, serial: int) -> str:
    """12 digits: the year, a 7-digit serial and a Luhn check digit (like the DUF number)."""
    body = f"{year:04d}{serial % 10**7:07d}"
    return body + luhn_digit(body)


def _casework_rows(chunk: Chunk) -> None:
    """Each case's rows, built by the records' builders as the services build them, then
    carried forward through the case's transitions (``_transitions``)."""
    ctx, part, index = chunk.ctx, chunk.part, chunk.index
    rng = Rng(f"{chunk.seed}:{part}:rows:{index}")
    registrar = _pk(ctx.registrar)
    offset = _PART_OFFSET.get(part, 0)
    interviews: list[tuple[Case, dt.datetime, dt.datetime | None, str]] = []
    for i, c in enumerate(chunk.cases):
        created = c.lodged_at or moment_on(c.lodged_on, rng)
        external_id = c.external_id or f"demo:{part}:{index * CHUNK + i}"
        assert c.person_id is not None and c.app_id is not None  # taken before the rows
        chunk.person(
            c.person_id, year=c.lodged_on.year, serial=index * CHUNK + i + offset,
            nationality=c.nationality, sex=c.sex, born=c.born, rng=rng, created_at=created,
            unaccompanied=c.unaccompanied, given_name=c.given_name, family_name=c.family_name,
            dob_precision=c.dob_precision, external_id=external_id,
        )  # fmt: skip
        app = application_new(
            id=c.app_id,
            reference="".join(rng.choices(REFERENCE_ALPHABET, k=10)),
            person_id=c.person_id,
            kind=c.kind,
            track=c.track,
            lodged_on=c.lodged_on,
            unit_id=_pk(ctx.unit),
            external_id=external_id,
            is_demo=True,
            created_at=created,
        )
        chunk.applications[c.app_id] = app
        lodged = application_lodged_rows(
            app, actor_id=registrar, at=created, history_user_id=registrar, notify=False
        )
        chunk.record(app, *lodged)
        _transitions(c, app, [r for r in lodged if isinstance(r, Deadline)], chunk)
        lang = spoken(c.nationality, LANGUAGE.get(c.nationality, "en"))
        if c.interview_held_at:
            interviews.append((c, c.interview_held_at, c.interview_held_at, lang))
        if c.interview_at:
            interviews.append((c, c.interview_at, None, lang))
    for pk, (c, scheduled, held, lang) in zip(
        chunk.ids.take(Interview, len(interviews)), interviews, strict=True
    ):
        chunk.add(INTERVIEW_ROW, (pk, c.app_id, scheduled, held, "UDI, Oslo", lang))
        if held is None:  # scheduled, not held yet: its reminder comes up in the demo
            chunk.deadline(
                INTERVIEW.key, pk, due=scheduled, application_id=c.app_id,
                person_id=c.person_id, user=ctx.caseworker,
            )  # fmt: skip


def _transition_writing(record: type, instance: str = "", target: str = "") -> Transition:
    """The declared transition that writes ``record`` (a decision of ``instance`` ending in
    ``target``, or an appeal): its name is the audit action the demo rows carry."""
    for declaration in TRANSITIONS.values():
        for write in declaration.writes:
            if not isinstance(write, record) or (target and declaration.target != target):
                continue
            if not instance or getattr(write, "instance", "") == instance:
                return declaration
    raise LookupError(f"no transition writes {record.__name__} {instance} {target}")


def _transitions(c: Case, app: Application, lodging: list[Deadline], chunk: Chunk) -> None:
    """What the case's transitions write after lodging, as the transition service writes it:
    the case as each transition leaves it (its history row "~"), the decision or appeal, the
    audit event, and the deadlines it closes and opens (``workflow.py``). The assignment and
    the start of the examination are folded into the lodged case (the caseworker, the staff
    recipient of its deadlines), without events of their own."""
    ctx = chunk.ctx
    if c.assigned:
        app.assigned_to_id = _pk(ctx.caseworker)
        for d in lodging:
            if _source(d.source).notify_staff:
                d.recipient_user_id = app.assigned_to_id
    app.interview_held_at = c.interview_held_at
    by_source = {d.source: d for d in lodging}

    def step(at: dt.datetime, actor: Any, action: str, source: str, changes: dict) -> None:
        app.version += 1
        event = audit_event(
            actor=actor, action=action, application=app, source_state=source,
            target_state=app.state, changes=changes,
        )  # fmt: skip
        event.at = at
        chunk.record(history_row(app, "~", date=at, user_id=_pk(actor)), event)

    def close(at: dt.datetime, *sources: str) -> None:
        for key in sources:
            if key in by_source and by_source[key].closed_at is None:
                by_source[key].closed_at = at

    for n, (instance, outcome, at) in enumerate(c.decisions):
        permit, months = default_decision_permit(outcome)
        if instance == Instance.FIRST:
            target = (
                State.WITHDRAWN
                if outcome == Outcome.WITHDRAWN
                else State.ACCEPTED
                if outcome in ACCEPT_OUTCOMES
                else State.REJECTED
            )
            actor = ctx.decider
        else:
            target = State.ACCEPTED if outcome != Outcome.REJECTED else State.REJECTED
            actor = ctx.appeals
        decided_by = _transition_writing(RecordsDecision, instance, target)
        source = State.EXAMINED if State.EXAMINED in decided_by.source else decided_by.source[0]
        _replay(app, target)
        # The demo's decisions reached the applicant the day they were made.
        app.decided_at = app.notified_at = at
        if instance == Instance.APPEAL:
            app.appeal_deadline, app.is_final = None, target == State.REJECTED
        elif target == State.REJECTED:
            app.appeal_deadline = appeal_deadline_for(track=c.track, notified_at=at)
        chunk.add(DECISION, (
            c.app_id, instance, outcome, "Demo data: generated decision.", permit, months,
            _pk(actor), at, at, NotificationChannel.AT_DECISION,
        ))  # fmt: skip
        step(at, actor, decided_by.name, source, {"outcome": outcome})
        close(at, EXAMINATION_TARGET.key, QUEUE_NOTICE.key, APPEAL.key)
        if n == 0 and target == State.REJECTED:
            due = app.appeal_deadline
            assert due is not None
            # Past appeal deadlines are closed, so that a demo does not send years-old reminders.
            closed = c.appeal_lodged_at or (due if due < chunk.now else None)
            by_source[APPEAL.key] = chunk.deadline(
                APPEAL.key, app.pk, due=due, application_id=c.app_id, person_id=c.person_id,
                user=ctx.caseworker, closed=closed,
            )  # fmt: skip
        if n == 0 and c.appeal_lodged_at:
            lodging_appeal = _transition_writing(RecordsAppeal)
            _replay(app, lodging_appeal.target)
            app.appealed_at = c.appeal_lodged_at
            step(c.appeal_lodged_at, ctx.caseworker, lodging_appeal.name,
                 lodging_appeal.source[0], {})  # fmt: skip
            close(c.appeal_lodged_at, QUEUE_NOTICE.key, APPEAL.key)
            forwarded_at = c.forwarded_at
            if c.state != State.UNDER_REVIEW and forwarded_at is not None:
                # The Directorate upheld its decision and sent the appeal to the board.
                forwarding = TRANSITIONS["forward_appeal"]
                _replay(app, forwarding.target)
                step(forwarded_at, ctx.decider, forwarding.name, forwarding.source[0], {})
            decided = c.decisions[1][2] if len(c.decisions) > 1 else None
            outcome_text = (
                "" if decided is None else "granted" if c.state == State.ACCEPTED else "dismissed"
            )
            chunk.add(APPEAL_ROW, (c.app_id, c.appeal_lodged_at, "the applicant", outcome_text,
                                   decided))  # fmt: skip
    if c.state == State.EXAMINED:
        _replay(app, State.EXAMINED)
    assert app.state == c.state, (app.state, c.state)
    notice = by_source.get(QUEUE_NOTICE.key)
    if notice is not None and notice.closed_at is None:
        _queue_notice_now(notice, chunk.now)


def _replay(app: Application, state: str) -> None:
    """Put ``app`` in ``state``: the field is protected (only transitions move it), and the
    demo replays transitions already made, so it sets the value as the field itself does."""
    Application._meta.get_field("state").set_state(app, state)


def _queue_notice_now(notice: Deadline, now: dt.datetime) -> None:
    """Move a still-open "in the queue" notice on to its occurrence after ``now``, as the
    reminders sweep (``casework.deadlines.reminders``) would have moved it every period."""
    every = QUEUE_NOTICE_PERIOD
    behind = (now - notice.due_at) // every + 1 if notice.due_at <= now else 0
    if behind:
        notice.due_at += behind * every
        notice.remind_from += behind * every
        notice.cycle += behind


def row_counts() -> dict[str, int]:
    """Rows in each table the demo writes (for the command's summary and the docs)."""
    with connection.cursor() as cur:
        out = {}
        for table in TABLES:
            name = connection.ops.quote_name(table.model._meta.db_table)
            cur.execute(f"SELECT COUNT(*) FROM {name}")  # noqa: S608 - a model's table name  # nosec B608
            out[table.model._meta.verbose_name_plural] = cur.fetchone()[0]
    return out


@contextmanager
def bulk_load() -> Iterator[None]:
    """On PostgreSQL: one transaction for the whole load, with the secondary indexes and the
    foreign keys of the demo's tables dropped while it runs and made again at the end.

    Building an index once over a million rows is many times faster than updating it a
    million times, and so is checking a foreign key with one join instead of a trigger per
    row. Unique indexes and primary keys stay (they guard the data, and the chunk-skipping
    lookup by external id uses one). Everything is one transaction (PostgreSQL's DDL is
    transactional): an interrupted run leaves the database as it was, never without its
    indexes. Elsewhere (SQLite) it does nothing: each chunk commits on its own.
    """
    if connection.vendor != "postgresql":
        yield
        return
    names = [t.model._meta.db_table for t in TABLES]
    with transaction.atomic(), connection.cursor() as cur:
        # Demo data: a crash loses at most the last moments, never consistency.
        cur.execute("SET LOCAL synchronous_commit = off")
        # Sort a million-row index in memory rather than in temporary files.
        cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
        # Check what is pending (rows written earlier in an enclosing transaction) now, or
        # the tables cannot be altered.
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute(
            "SELECT c.conrelid::regclass::text, c.conname, pg_get_constraintdef(c.oid) "
            "FROM pg_constraint c WHERE c.contype = 'f' AND c.conrelid::regclass::text = ANY(%s)",
            [names],
        )
        foreign_keys = cur.fetchall()
        cur.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i "
            "WHERE i.indrelid::regclass::text = ANY(%s) AND NOT i.indisunique "
            "AND NOT i.indisprimary",
            [names],
        )
        indexes = cur.fetchall()
        q = connection.ops.quote_name
        for table, name, _definition in foreign_keys:
            cur.execute(f"ALTER TABLE {q(table)} DROP CONSTRAINT {q(name)}")
        for name, _definition in indexes:
            cur.execute(f"DROP INDEX {q(name)}")
        global _writer
        _writer = CopyWriter()
        try:
            yield
        except BaseException:
            with suppress(BaseException):
                _writer.close()
            raise
        else:
            _writer.close()
        finally:
            _writer = None
        started = time.perf_counter()
        # The demo's audit trail spans years: into its months' partitions, not the default
        # one, before the indexes are made (casework.core.partitions).
        for table, key in PARTITIONED_LOGS:
            if is_partitioned(cur, table):
                ensure_partitions(cur, table, key)
        for _name, definition in indexes:
            # A partitioned log's index is written "ON ONLY": made again as it is, it would
            # build no partition's index (casework.core.partitions).
            cur.execute(recursive_indexdef(definition))
        for table, name, definition in foreign_keys:
            cur.execute(f"ALTER TABLE {q(table)} ADD CONSTRAINT {q(name)} {definition}")
        cur.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cur.execute("SET CONSTRAINTS ALL DEFERRED")  # Django's foreign keys are deferred
        SECONDS["indexes and foreign keys"] += time.perf_counter() - started
    with connection.cursor() as cur:
        for name in dict.fromkeys(names):
            cur.execute(f"ANALYZE {connection.ops.quote_name(name)}")
