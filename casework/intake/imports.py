"""Bulk import of arrivals from CSV: validate every row, write valid rows in batches, skip repeats.

The format (comma separated, a header row; column order free, extra columns ignored):

    external_id     required; the sender's id of the person, at most 64 characters. A row
                    whose external id was imported before is skipped, so a file can be
                    imported again without duplicates.
    given_name      required (Latin script), at most 120 characters
    family_name     required (Latin script), at most 120 characters
    date_of_birth   required: YYYY-MM-DD, or YYYY when only the year is known
    nationality     ISO 3166 alpha-2 code (UA, SY, …); empty for a stateless person
    sex             female, male, other or unknown (empty: unknown)
    kind            protection, collective or resettlement
    arrival_date    required: YYYY-MM-DD, not in the future; the application is lodged that day
    centre          optional: id or name of the reception centre the person is placed in

The file must be UTF-8 ("CSV UTF-8" in spreadsheet programs; a byte-order mark is allowed).
Two kinds of problem, two answers:

* **A bad row** (a missing or malformed field, a wrong number of columns, characters that are
  not UTF-8, control characters such as NUL, a stray quote inside one line) is reported with
  its line number, the field and the reason (never the value, which may be personal data),
  and nothing of it is written; the other rows are imported.
* **A file that cannot be read as CSV rows at all** (UTF-16 or other non-UTF-8 header, no
  header or missing columns, a quote that is never closed and swallows the following lines, a
  line longer than ``MAX_LINE_BYTES``: random or binary data) is refused whole with one
  message naming the line. ``arrivals_check`` finds these in a first, read-only pass, so such
  a file imports nothing.

Valid rows are written a batch per transaction, with what the per-row services write: the
person, the application (state ``submitted``), their history rows, an audit event for each,
the examination-target deadline for individual applications and the "still in the queue"
notice. A batch lands whole or not at all. On PostgreSQL a batch is ``COPY``'d into a
temporary table and written with one set-based ``INSERT … SELECT … ON CONFLICT DO NOTHING``
statement; elsewhere the services' builders (``casework.people.rows``,
``casework.applications.rows``) make the rows and ``bulk_create`` writes them; a parity test
compares the two with the services column by column. The file is read as a stream: memory stays
flat whatever its length. Duplicate detection by name (``person_flag_duplicates``) is not run
on bulk imports. An external id repeated inside one batch is reported; repeated further apart
it is skipped as already imported.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from casework.applications.models import Application
from casework.applications.rows import application_lodged_rows, application_new
from casework.audit.models import AuditEvent
from casework.deadlines import registry as deadlines
from casework.deadlines.models import Deadline
from casework.intake.arrivals import (
    Arrival,
    ImportFileError,
    ImportResult,
    RowError,
    add_errors,
    arrival_batches,
    arrivals_check,
    text_lines,
)
from casework.intake.writer import OrmWriter
from casework.people.identity import REFERENCE_ALPHABET, REFERENCE_LENGTH, luhn_digit
from casework.people.models import Person
from casework.people.rows import name_key_cached, person_new, person_registered_rows
from casework.staff.users import AnyUser, recorded_user

EPOCH = dt.date(2000, 1, 1)  # placements come back as days since then


# A reception app may register a resolver: centre codes -> {code: centre}, and a writer that
# places the new people: casework never imports the apps built on it (an import contract).
CENTRE_HOOKS: dict[str, Callable[..., Any]] = {}


# --- Import -----------------------------------------------------------------------------------


def arrivals_import(
    *,
    stream: Iterable[str],
    actor: AnyUser | None = None,
    on_progress: Callable[[ImportResult], None] | None = None,
    on_error: Callable[[RowError], None] | None = None,
    is_demo: bool = False,
) -> ImportResult:
    """Import the arrivals in ``stream`` (lines of CSV text). Safe to run again on the same file.

    Each batch is one transaction: a batch either lands whole or not at all, and only valid
    rows are in a batch, so a bad row never leaves half a person behind. Run
    ``arrivals_check`` on the file first when it may be broken as a whole.
    """
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("import_hooks")  # reception.import_hooks: centres and placements
    result = ImportResult()
    today = timezone.localdate()
    reported = 0
    for batch in arrival_batches(stream, today, result):
        batch = _check_centres(batch, result)
        if on_error:
            for err in result.errors[reported:]:
                on_error(err)
            reported = len(result.errors)
        created, refused = _write_batch(batch, actor=actor, is_demo=is_demo, result=result)
        result.created += created
        result.skipped += len(batch) - created - refused
        if on_progress:
            on_progress(result)
    if on_error:
        for err in result.errors[reported:]:
            on_error(err)
    if on_progress:
        on_progress(result)
    return result


def _check_centres(batch: list[Arrival], result: ImportResult) -> list[Arrival]:
    """Resolve the centre column; a row naming no known centre is a bad row."""
    codes = {a.centre for a in batch if a.centre}
    if not codes:
        return batch
    if "resolve" not in CENTRE_HOOKS:
        note = "The centre column was ignored: no reception app provides centres."
        if note not in result.notes:
            result.notes.append(note)
        return batch
    found = CENTRE_HOOKS["resolve"](codes)
    kept = []
    for a in batch:
        if a.centre and a.centre not in found:
            add_errors(result, [RowError(a.line, "centre", "no such reception centre")])
            continue
        a.centre_id = found.get(a.centre)
        kept.append(a)
    return kept


class _Conflict(Exception):
    """A concurrent import wrote some of this batch's ids between our check and our insert."""


def _write_batch(
    batch: list[Arrival], *, actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    if not batch:
        return 0, 0
    # PostgreSQL: the set-based statement below (a benchmark shows it pays: about a third of
    # the time of building the rows in Python); elsewhere the builders' rows by the ORM. The
    # parity test holds the two to the same rows, column by column.
    insert = _insert_copy if connection.vendor == "postgresql" else _insert
    reported, counted = len(result.errors), result.error_count
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return insert(batch, actor=actor, is_demo=is_demo, result=result)
        except (IntegrityError, _Conflict):
            # a concurrent import took an id or number first: forget this attempt's "centre
            # is full" reports, look again
            del result.errors[reported:]
            result.error_count = counted
    raise IntegrityError("Could not write a batch after three attempts.")


def _reserve_beds(todo: list[Arrival], result: ImportResult) -> list[Arrival]:
    """Let reception lock the centres and refuse the rows beyond their free beds."""
    if not any(a.centre_id for a in todo) or "reserve" not in CENTRE_HOOKS:
        return todo
    full = CENTRE_HOOKS["reserve"]([a for a in todo if a.centre_id])
    for a in todo:
        if a.external_id in full:
            add_errors(result, [RowError(a.line, "centre", "the centre is full")])
    return [a for a in todo if a.external_id not in full]


def _place(rows: list[tuple[int, int, dt.date]], actor: AnyUser | None) -> None:
    if rows and "place" in CENTRE_HOOKS:
        CENTRE_HOOKS["place"](rows=rows, actor=actor)


# --- Fresh numbers and references -------------------------------------------------------------

_TO_REFERENCE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", REFERENCE_ALPHABET)


def _registration_numbers(years: list[int]) -> list[str]:
    """Registration numbers as ``identity.new_registration_number`` makes them, for a batch.

    Year, 7 digits from the system's CSPRNG (8 random bytes reduced mod 10^7: a bias of
    about 10^-12, invisible), Luhn digit. One ``os.urandom`` call per batch instead of one a row.
    """
    raw = secrets.token_bytes(8 * len(years))
    numbers = []
    for i, year in enumerate(years):
        body = f"{year:04d}{int.from_bytes(raw[8 * i : 8 * i + 8], 'big') % 10**7:07d}"
        numbers.append(body + luhn_digit(body))
    return numbers


def _references(n: int) -> list[str]:
    """``n`` public case references like ``identity.new_reference``: 50 random bits each.

    Base32 of CSPRNG bytes mapped one-to-one onto the reference alphabet, so every character
    is uniform and independent, as ``secrets.choice`` would make it, at a fraction of the cost.
    """
    per_chunk = 8  # 5 random bytes -> 8 base32 characters, without padding
    chars = n * REFERENCE_LENGTH
    raw = secrets.token_bytes(5 * -(-chars // per_chunk))
    text = base64.b32encode(raw).decode("ascii").translate(_TO_REFERENCE)
    return [text[i * REFERENCE_LENGTH : (i + 1) * REFERENCE_LENGTH] for i in range(n)]


# --- Writing: the builders' rows by the ORM (SQLite, other databases) -----------------------


def _insert(
    batch: list[Arrival], *, actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    """One batch: what ``person_register`` and ``application_lodge`` write for each arrival
    (the same builders), by ``bulk_create`` (``casework.intake.writer``). Rows already
    imported are skipped; rows beyond a centre's free beds are refused."""
    ids = [a.external_id for a in batch]
    done = set(Person.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
    done |= set(
        Application.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
    )
    todo = [a for a in batch if a.external_id not in done]
    placed = _reserve_beds(todo, result)
    refused = len(todo) - len(placed)
    if not placed:
        return 0, refused
    numbers = _free_numbers(placed)
    references = _references(len(placed))
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    out = OrmWriter()
    people = [
        person_new(
            registration_number=number,
            given_name=a.given_name,
            family_name=a.family_name,
            date_of_birth=a.date_of_birth,
            dob_precision=a.dob_precision,
            sex=a.sex,
            nationality=a.nationality,
            external_id=a.external_id,
            is_demo=is_demo,
            created_at=now,
        )
        for a, number in zip(placed, numbers, strict=True)
    ]
    out.keyed(people)
    apps = [
        application_new(
            reference=reference,
            person_id=p.pk,
            kind=a.kind,
            lodged_on=a.arrival_date,
            external_id=a.external_id,
            is_demo=is_demo,
            created_at=now,
        )
        for a, p, reference in zip(placed, people, references, strict=True)
    ]
    out.keyed(apps)
    for p in people:
        out.add(person_registered_rows(p, actor_id=actor_id, at=now, history_user_id=actor_id))
    for app in apps:
        out.add(
            application_lodged_rows(
                app, actor_id=actor_id, at=now, history_user_id=actor_id, via="import"
            )
        )
    out.flush()
    _place(
        [(p.pk, a.centre_id, a.arrival_date) for a, p in zip(placed, people, strict=True)
         if a.centre_id],
        actor,
    )  # fmt: skip
    return len(placed), refused


def _free_numbers(todo: list[Arrival]) -> list[str]:
    """Fresh registration numbers, unique in the batch and the register."""
    numbers = _registration_numbers([a.arrival_date.year for a in todo])
    for _round in range(10):
        taken = set(
            Person.objects.filter(registration_number__in=numbers).values_list(
                "registration_number", flat=True
            )
        )
        seen: set[str] = set()
        clash = []
        for i, n in enumerate(numbers):
            if n in taken or n in seen:
                clash.append(i)
            seen.add(n)
        if not clash:
            break
        fresh = _registration_numbers([todo[i].arrival_date.year for i in clash])
        for i, n in zip(clash, fresh, strict=True):
            numbers[i] = n
    return numbers


# --- Writing: PostgreSQL (COPY + one set-based statement) ------------------------------------

STAGE_COLUMNS = (
    ("line", "integer"),
    ("external_id", "text"),
    ("given_name", "text"),
    ("family_name", "text"),
    ("name_key", "text"),
    ("date_of_birth", "date"),
    ("dob_precision", "text"),
    ("sex", "text"),
    ("nationality", "text"),
    ("kind", "text"),
    ("lodged_on", "date"),
    ("centre_id", "bigint"),
    ("registration_number", "text"),
    ("reference", "text"),
)


def _insert_copy(
    batch: list[Arrival], *, actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    """One batch on PostgreSQL: COPY into a temporary table, then write set-based.

    Statements per batch, whatever its size: create the staging table, COPY, drop the rows
    already imported, find registration-number clashes, one ``INSERT … SELECT`` statement
    (people, applications, both history tables, audit events, deadlines, with data-modifying
    CTEs), and reception's two hooks when the batch names centres.
    """
    numbers = _unique_in_batch(batch, _registration_numbers([a.arrival_date.year for a in batch]))
    references = _references(len(batch))
    with connection.cursor() as cur:
        cur.execute(
            "CREATE TEMPORARY TABLE casework_import_stage ("
            + ", ".join(f"{name} {kind}" for name, kind in STAGE_COLUMNS)
            + ") ON COMMIT DROP"
        )
        columns = ", ".join(name for name, _kind in STAGE_COLUMNS)
        with cur.copy(f"COPY casework_import_stage ({columns}) FROM STDIN") as copy:
            for a, number, reference in zip(batch, numbers, references, strict=True):
                copy.write_row(
                    (
                        a.line,
                        a.external_id,
                        a.given_name,
                        a.family_name,
                        name_key_cached(a.given_name, a.family_name),
                        a.date_of_birth,
                        a.dob_precision,
                        a.sex,
                        a.nationality,
                        a.kind,
                        a.arrival_date,
                        a.centre_id,
                        number,
                        reference,
                    )
                )
        cur.execute("ANALYZE casework_import_stage")  # row counts for the planner: hash joins
        people, refused, placements = _write_staged(cur, batch, actor, is_demo, result)
        # ON COMMIT DROP does not fire inside an outer transaction (a test, a caller's atomic)
        cur.execute("DROP TABLE casework_import_stage")
    _place([(p, c, EPOCH + dt.timedelta(days=d)) for p, c, d in placements or []], actor)
    return people, refused


def _write_staged(
    cur: Any, batch: list[Arrival], actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int, list]:
    # Correlated scalar subqueries, not EXISTS: they are always probed per staged row through
    # the unique index. With EXISTS the planner may hash the whole register instead (it did at
    # a million people, on row estimates that lag behind a bulk load: 1.6 s a batch).
    cur.execute(
        "DELETE FROM casework_import_stage s WHERE (SELECT 1 FROM casework_person p"
        " WHERE p.external_id = s.external_id LIMIT 1) IS NOT NULL"
        " OR (SELECT 1 FROM casework_application a"
        " WHERE a.external_id = s.external_id LIMIT 1) IS NOT NULL RETURNING s.external_id"
    )
    done = {row[0] for row in cur.fetchall()}
    todo = [a for a in batch if a.external_id not in done]
    placed = _reserve_beds(todo, result)
    refused = len(todo) - len(placed)
    if refused:
        cur.execute(
            "DELETE FROM casework_import_stage WHERE external_id = ANY(%s)",
            [sorted({a.external_id for a in todo} - {a.external_id for a in placed})],
        )
    if not placed:
        return 0, refused, []
    _renumber_clashes(cur)
    cur.execute(*_batch_statement(actor=actor, is_demo=is_demo))
    people, applications, placements = cur.fetchone()
    if people != applications or people != len(placed):
        raise _Conflict  # rolls the batch back; the retry sees the other import's rows
    return people, refused, placements


def _unique_in_batch(batch: list[Arrival], numbers: list[str]) -> list[str]:
    """Draw again for the numbers that came up twice in one batch."""
    seen: set[str] = set()
    for i, number in enumerate(numbers):
        while number in seen:
            number = _registration_numbers([batch[i].arrival_date.year])[0]
        seen.add(number)
        numbers[i] = number
    return numbers


def _renumber_clashes(cur: Any) -> None:
    """Give a fresh number to staged rows whose registration number is already taken.

    Rare while a year holds few people; at a million arrivals in one year (10 % of the year's
    10^7 numbers) one row in ten, so this runs set-based: one query finds them all.
    """
    for _round in range(10):
        cur.execute(
            "SELECT s.line, EXTRACT(YEAR FROM s.lodged_on)::int FROM casework_import_stage s"
            " WHERE (SELECT 1 FROM casework_person p"
            " WHERE p.registration_number = s.registration_number LIMIT 1) IS NOT NULL"
        )
        clashes = cur.fetchall()
        if not clashes:
            return
        cur.execute("SELECT registration_number FROM casework_import_stage")
        taken = {row[0] for row in cur.fetchall()}
        fresh = []
        for _line, year in clashes:
            number = _registration_numbers([year])[0]
            while number in taken:
                number = _registration_numbers([year])[0]
            taken.add(number)
            fresh.append(number)
        cur.execute(
            "UPDATE casework_import_stage s SET registration_number = v.n"
            " FROM unnest(%s::int[], %s::text[]) AS v(line, n) WHERE s.line = v.line",
            [[line for line, _year in clashes], fresh],
        )
    raise _Conflict  # ten rounds of clashes: the year is nearly full; the retry draws anew


def _insert_sql(model: Any, provided: dict[str, str], params: dict[str, Any]) -> str:
    """``INSERT INTO table (every column) SELECT …``: ``provided`` SQL, else the field default.

    Built from the model so a column added later with a default needs no change here.
    Defaults become named parameters in ``params``.
    """
    columns, values = [], []
    for f in model._meta.concrete_fields:
        if f.primary_key and f.column not in provided:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in provided:
            values.append(provided[f.column])
        else:
            key = f"{model._meta.db_table}_{f.column}"
            values.append(f"%({key})s")
            params[key] = f.get_db_prep_save(f.get_default(), connection)
    return (
        f"INSERT INTO {connection.ops.quote_name(model._meta.db_table)} ({', '.join(columns)})"
        f" SELECT {', '.join(values)}"
    )


def _history_sql(model: Any, source: str, params: dict[str, Any]) -> str:
    """The "created" history row (``history_type`` "+") of each row in ``source``."""
    historical = model.history.model
    tracked = {f.column for f in model._meta.concrete_fields}
    provided = {
        "history_date": "%(now)s",
        "history_type": "'+'",
        "history_change_reason": "NULL",
        "history_user_id": "%(actor)s",
    }
    for f in historical._meta.concrete_fields:
        if f.column in tracked and f.column not in provided:
            provided[f.column] = f"{source}.{connection.ops.quote_name(f.column)}"
    return f"{_insert_sql(historical, provided, params)} FROM {source}"


def _local(day_sql: str, period: str) -> str:
    """Noon local time on that day plus a period, as aware Python arithmetic does it (wall
    clock: across a change to summer time it is still noon)."""
    return f"(({day_sql} + time '12:00') + %({period})s::interval) AT TIME ZONE %(tz)s"


def _batch_statement(*, actor: AnyUser | None, is_demo: bool) -> tuple[str, dict[str, Any]]:
    """People, applications, history, audit events and deadlines of the staged rows, at once.

    Data-modifying CTEs: each ``INSERT`` reads the rows the one before returned, so an
    application exists only for a person inserted by this statement (``ON CONFLICT DO
    NOTHING``: a row a concurrent import wrote first is left out, and the counts tell).
    """
    exam, queue = deadlines.EXAMINATION_TARGET, deadlines.QUEUE_NOTICE
    params: dict[str, Any] = {
        "now": timezone.now(),
        "tz": timezone.get_current_timezone_name(),
        "actor": getattr(actor, "pk", None),
        "is_demo": is_demo,
        "exam_due": deadlines.EXAMINATION_TARGET_PERIOD,
        "exam_remind": deadlines.EXAMINATION_TARGET_PERIOD + exam.first_offset,
        "queue_due": deadlines.QUEUE_NOTICE_PERIOD,
        "queue_remind": deadlines.QUEUE_NOTICE_PERIOD + queue.first_offset,
        "exam_source": exam.key,
        "queue_source": queue.key,
        "exam_notify": exam.notify_person,
        "queue_notify": queue.notify_person,
    }
    person_sql = _insert_sql(
        Person,
        {
            "registration_number": "s.registration_number",
            "given_name": "s.given_name",
            "family_name": "s.family_name",
            "name_key": "s.name_key",
            "date_of_birth": "s.date_of_birth",
            "dob_precision": "s.dob_precision",
            "sex": "s.sex",
            "nationality": "s.nationality",
            "stateless": "s.nationality = ''",
            "external_id": "s.external_id",
            "is_demo": "%(is_demo)s",
            "created_at": "%(now)s",
        },
        params,
    )
    app_sql = _insert_sql(
        Application,
        {
            "reference": "s.reference",
            "person_id": "p.id",
            "kind": "s.kind",
            "lodged_on": "s.lodged_on",
            "next_deadline": (
                f"CASE WHEN s.kind <> 'collective' THEN {_local('s.lodged_on', 'exam_due')} END"
            ),
            "external_id": "s.external_id",
            "is_demo": "%(is_demo)s",
            "created_at": "%(now)s",
            "updated_at": "%(now)s",
        },
        params,
    )
    event_sql = _insert_sql(
        AuditEvent,
        {
            "person_id": "e.person_id",
            "application_id": "e.application_id",
            "actor_id": "%(actor)s",
            "at": "%(now)s",
            "action": "e.action",
            "target_state": "e.target_state",
            "changes": "e.changes",
        },
        params,
    )
    parts = [
        f"p AS ({person_sql} FROM casework_import_stage s ORDER BY s.line"
        " ON CONFLICT (external_id) DO NOTHING RETURNING *)",
        f"a AS ({app_sql} FROM p JOIN casework_import_stage s ON s.external_id = p.external_id"
        " ORDER BY s.line ON CONFLICT (external_id) DO NOTHING RETURNING *)",
        f"hp AS ({_history_sql(Person, 'p', params)})",
        f"ha AS ({_history_sql(Application, 'a', params)})",
        # identifiers come from model metadata, every value is a parameter
        f"ev AS ({event_sql} FROM ("  # noqa: S608  # nosec B608
        "SELECT p.id AS person_id, NULL::bigint AS application_id,"
        " 'person_registered' AS action, '' AS target_state, '{}'::jsonb AS changes, 0 AS k"
        " FROM p UNION ALL SELECT a.person_id, a.id, 'lodged', a.state,"
        " jsonb_build_object('kind', a.kind, 'track', a.track, 'source', 'import'), 1 FROM a"
        ") e ORDER BY e.person_id, e.k)",
    ]
    for name, where in (("exam", "a.kind <> 'collective'"), ("queue", "TRUE")):
        deadline_sql = _insert_sql(
            Deadline,
            {
                "source": f"%({name}_source)s",
                "object_id": "a.id",
                "application_id": "a.id",
                "person_id": "a.person_id",
                "due_at": _local("a.lodged_on", f"{name}_due"),
                "remind_from": _local("a.lodged_on", f"{name}_remind"),
                "notify_person": f"%({name}_notify)s",
            },
            params,
        )
        parts.append(f"d_{name} AS ({deadline_sql} FROM a WHERE {where})")
    ctes = ", ".join(parts)
    sql = (
        f"WITH {ctes} SELECT (SELECT count(*) FROM p), (SELECT count(*) FROM a),"  # noqa: S608  # nosec B608
        " (SELECT array_agg(ARRAY[p.id, s.centre_id, s.lodged_on - date '2000-01-01'])"
        " FROM p JOIN casework_import_stage s ON s.external_id = p.external_id"
        " WHERE s.centre_id IS NOT NULL)"
    )
    return sql, params


# --- Background imports from the admin ------------------------------------------------------


def import_job_create(*, actor: AnyUser, upload: Any) -> Any:
    """Store an uploaded CSV as an import job and start it in the background after commit."""
    from django.core.exceptions import PermissionDenied

    from casework.audit.services import audit_log
    from casework.core.queue import on_commit_enqueue
    from casework.intake.models import ImportJob

    if not actor.has_perm("casework.add_importjob"):
        raise PermissionDenied("You may not import arrivals.")
    with transaction.atomic():
        job = ImportJob(created_by=recorded_user(actor), original_name=str(upload.name)[:200])
        job.file.save("arrivals.csv", upload, save=False)
        job.save()
        audit_log(actor=actor, action="import_started", changes={"import_job": job.pk})
        on_commit_enqueue("casework.tasks.run_import_job", job.pk)
    return job


def import_job_run(*, job_id: int) -> None:
    """Run an import job (the Celery task's body). A finished job is never run twice."""
    from casework.intake.models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return
    jobs = ImportJob.objects.filter(pk=job_id)
    try:
        with job.file.open("rb") as fh:
            total = arrivals_check(text_lines(fh))  # a broken file fails here, unwritten
        jobs.update(status=ImportJob.Status.RUNNING, started_at=timezone.now(), total_rows=total)

        def progress(result: ImportResult) -> None:
            jobs.update(
                processed_rows=result.total,
                created_count=result.created,
                skipped_count=result.skipped,
                error_count=result.error_count,
            )

        with job.file.open("rb") as fh:
            result = arrivals_import(
                stream=text_lines(fh), actor=job.created_by, on_progress=progress
            )
        jobs.update(
            status=ImportJob.Status.DONE,
            finished_at=timezone.now(),
            errors=[e.as_dict() for e in result.errors],
            message=" ".join(result.notes),
        )
    except ImportFileError as exc:
        jobs.update(status=ImportJob.Status.FAILED, finished_at=timezone.now(), message=str(exc))
    finally:
        job.refresh_from_db()
        if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED) and job.file:
            job.file.delete(save=False)  # personal data: keep no copy once imported
            jobs.update(file="")
