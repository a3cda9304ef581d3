"""Bulk import of arrivals from CSV: validate every row, write valid rows in batches, skip repeats.

The format (UTF-8, comma separated, a header row; column order free, extra columns ignored):

    external_id     required; the sender's id of the person, at most 64 characters. A row
                    whose external id was imported before is skipped, so a file can be
                    imported again without duplicates.
    given_name      required (Latin script)
    family_name     required (Latin script)
    date_of_birth   required: YYYY-MM-DD, or YYYY when only the year is known
    nationality     ISO 3166 alpha-2 code (UA, SY, …); empty for a stateless person
    sex             female, male, other or unknown (empty: unknown)
    kind            protection, collective or resettlement
    arrival_date    required: YYYY-MM-DD, not in the future; the application is lodged that day
    centre          optional: code of the reception centre the person is placed in

A bad row is reported (line number, field, reason; never the value, which may be personal
data) and nothing of it is written. Valid rows are written with bulk inserts, a batch per
transaction, with what the per-row services write: the person, the application (state
``submitted``), an audit event for each, and the examination-target deadline for individual
applications. The file is read as a stream: memory stays flat whatever its length.
Duplicate detection by name (``person_flag_duplicates``) is not run on bulk imports.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django_countries import countries

from . import deadlines
from .choices import ApplicationKind, DatePrecision, Sex
from .identity import name_key, new_registration_number
from .models import Application, AuditEvent, Deadline, Person

COLUMNS = (
    "external_id",
    "given_name",
    "family_name",
    "date_of_birth",
    "nationality",
    "sex",
    "kind",
    "arrival_date",
    "centre",
)
REQUIRED_COLUMNS = ("external_id", "given_name", "family_name", "date_of_birth", "arrival_date")
BATCH = 1000
MAX_STORED_ERRORS = 5000
COUNTRY_CODES = frozenset(code for code, _name in countries)
KINDS = frozenset(ApplicationKind.values)
SEXES = frozenset(Sex.values)
EXTERNAL_ID = re.compile(r"^[A-Za-z0-9._:/-]{1,64}$")

# A reception app may register a resolver: centre codes -> {code: centre}, and a writer that
# places the new people. casework never imports reception (see DESIGN.md "Apps").
CENTRE_HOOKS: dict[str, Callable[..., Any]] = {}


@dataclass(frozen=True)
class RowError:
    line: int
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"line": self.line, "field": self.field, "reason": self.reason}


@dataclass
class Arrival:
    line: int
    external_id: str
    given_name: str
    family_name: str
    date_of_birth: dt.date
    dob_precision: str
    nationality: str
    sex: str
    kind: str
    arrival_date: dt.date
    centre: str
    centre_id: int | None = None


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    notes: list[str] = field(default_factory=list)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, missing columns)."""


def _date(value: str, *, year_only: bool = False) -> tuple[dt.date, str] | None:
    value = value.strip()
    if year_only and re.fullmatch(r"\d{4}", value):
        return dt.date(int(value), 1, 1), DatePrecision.YEAR
    try:
        return dt.date.fromisoformat(value), DatePrecision.DAY
    except ValueError:
        return None


def validate_row(line: int, row: dict[str, str | None], today: dt.date) -> Arrival | list[RowError]:
    """Check one row; return the arrival, or every problem found in it."""
    get = {k: (row.get(k) or "").strip() for k in COLUMNS}
    errors: list[RowError] = []

    def bad(fieldname: str, reason: str) -> None:
        errors.append(RowError(line, fieldname, reason))

    if None in row or any(v is None for v in row.values()):
        bad("", "wrong number of columns")
    for name in REQUIRED_COLUMNS:
        if not get[name]:
            bad(name, "required")
    if get["external_id"] and not EXTERNAL_ID.match(get["external_id"]):
        bad("external_id", "at most 64 letters, digits or . _ : / -")
    for name in ("given_name", "family_name"):
        if len(get[name]) > 120:
            bad(name, "longer than 120 characters")
    born = _date(get["date_of_birth"], year_only=True) if get["date_of_birth"] else None
    if get["date_of_birth"] and born is None:
        bad("date_of_birth", "not a date (YYYY-MM-DD or YYYY)")
    arrived = _date(get["arrival_date"]) if get["arrival_date"] else None
    if get["arrival_date"] and arrived is None:
        bad("arrival_date", "not a date (YYYY-MM-DD)")
    if arrived and arrived[0] > today:
        bad("arrival_date", "in the future")
    if arrived and arrived[0].year < 2000:
        bad("arrival_date", "before 2000")
    if born and born[0] > today:
        bad("date_of_birth", "in the future")
    if born and arrived and born[0] > arrived[0]:
        bad("date_of_birth", "after the arrival date")
    if born and born[0].year < 1900:
        bad("date_of_birth", "before 1900")
    nationality = get["nationality"].upper()
    if nationality and nationality not in COUNTRY_CODES:
        bad("nationality", "not an ISO 3166 alpha-2 country code")
    sex = get["sex"].lower() or Sex.UNKNOWN
    if sex not in SEXES:
        bad("sex", "must be female, male, other or unknown")
    kind = get["kind"].lower()
    if not kind:
        bad("kind", "required")
    elif kind not in KINDS:
        bad("kind", "must be protection, collective or resettlement")
    if errors:
        return errors
    return Arrival(
        line=line,
        external_id=get["external_id"],
        given_name=get["given_name"],
        family_name=get["family_name"],
        date_of_birth=born[0],
        dob_precision=born[1],
        nationality=nationality,
        sex=sex,
        kind=kind,
        arrival_date=arrived[0],
        centre=get["centre"],
    )


def open_csv(stream: Iterable[str]) -> csv.DictReader:
    reader = csv.DictReader(stream)
    try:
        header = reader.fieldnames
    except UnicodeDecodeError as exc:
        raise ImportFileError("The file is not UTF-8 text.") from exc
    except csv.Error as exc:
        raise ImportFileError("The file is not valid CSV.") from exc
    if not header:
        raise ImportFileError("The file is empty.")
    reader.fieldnames = [h.strip().lower() for h in header]
    missing = [c for c in (*REQUIRED_COLUMNS, "kind") if c not in reader.fieldnames]
    if missing:
        raise ImportFileError(f"Missing columns: {', '.join(missing)}.")
    return reader


def _batches(reader: csv.DictReader, today: dt.date, result: ImportResult) -> Iterator[list]:
    """Validated arrivals in batches; bad rows go to ``result`` as they are met."""
    batch: list[Arrival] = []
    seen_in_batch: set[str] = set()
    try:
        for row in reader:
            result.total += 1
            line = reader.line_num
            checked = validate_row(line, row, today)
            if isinstance(checked, list):
                _add_errors(result, checked)
            elif checked.external_id in seen_in_batch:
                _add_errors(result, [RowError(line, "external_id", "repeated in the file")])
            else:
                seen_in_batch.add(checked.external_id)
                batch.append(checked)
            if len(batch) >= BATCH or (result.total % BATCH == 0 and batch):
                yield batch
                batch, seen_in_batch = [], set()
    except UnicodeDecodeError as exc:
        raise ImportFileError(f"Line {reader.line_num + 1}: not UTF-8 text.") from exc
    except csv.Error as exc:
        raise ImportFileError(f"Line {reader.line_num}: not valid CSV ({exc}).") from exc
    if batch:
        yield batch


def _add_errors(result: ImportResult, errors: list[RowError]) -> None:
    result.error_count += 1
    if len(result.errors) < MAX_STORED_ERRORS:
        result.errors.extend(errors)


def arrivals_import(
    *,
    stream: Iterable[str],
    actor: Any = None,
    on_progress: Callable[[ImportResult], None] | None = None,
    on_error: Callable[[RowError], None] | None = None,
    is_demo: bool = False,
) -> ImportResult:
    """Import the arrivals in ``stream`` (lines of CSV text). Safe to run again on the same file.

    Each batch is one transaction: a batch either lands whole or not at all, and only valid
    rows are in a batch, so a bad row never leaves half a person behind.
    """
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("import_hooks")  # reception.import_hooks: centres and placements
    result = ImportResult()
    reader = open_csv(stream)
    today = timezone.localdate()
    reported = 0
    for batch in _batches(reader, today, result):
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
            _add_errors(result, [RowError(a.line, "centre", "no such reception centre")])
            continue
        a.centre_id = found.get(a.centre)
        kept.append(a)
    return kept


def _write_batch(
    batch: list[Arrival], *, actor: Any, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _insert(batch, actor=actor, is_demo=is_demo, result=result)
        except IntegrityError:
            continue  # a concurrent import took an id or number first: look again
    raise IntegrityError("Could not write a batch after three attempts.")


def _insert(
    batch: list[Arrival], *, actor: Any, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    ids = [a.external_id for a in batch]
    done = set(Person.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
    done |= set(
        Application.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
    )
    todo = [a for a in batch if a.external_id not in done]
    refused = 0
    if any(a.centre_id for a in todo) and "reserve" in CENTRE_HOOKS:
        # Locks the centres and refuses the rows beyond their free beds, before any write.
        full = CENTRE_HOOKS["reserve"]([a for a in todo if a.centre_id])
        for a in todo:
            if a.external_id in full:
                _add_errors(result, [RowError(a.line, "centre", "the centre is full")])
        todo = [a for a in todo if a.external_id not in full]
        refused = len(batch) - len(done) - len(todo)
    if not todo:
        return 0, refused
    numbers = _registration_numbers(todo)
    now = timezone.now()
    people = [
        Person(
            registration_number=numbers[i],
            given_name=a.given_name,
            family_name=a.family_name,
            name_key=name_key(a.given_name, a.family_name),
            date_of_birth=a.date_of_birth,
            dob_precision=a.dob_precision,
            sex=a.sex,
            nationality=a.nationality,
            stateless=not a.nationality,
            external_id=a.external_id,
            is_demo=is_demo,
            created_at=now,
        )
        for i, a in enumerate(todo)
    ]
    Person.objects.bulk_create(people)
    apps = [
        Application(
            person_id=p.pk,
            kind=a.kind,
            lodged_on=a.arrival_date,
            external_id=a.external_id,
            is_demo=is_demo,
            created_at=now,
            next_deadline=_examination_due(a.arrival_date)
            if a.kind != ApplicationKind.COLLECTIVE
            else None,
        )
        for a, p in zip(todo, people, strict=True)
    ]
    Application.objects.bulk_create(apps)
    actor_id = getattr(actor, "pk", None)
    events = []
    for p, app in zip(people, apps, strict=True):
        events.append(
            AuditEvent(person_id=p.pk, actor_id=actor_id, at=now, action="person_registered")
        )
        events.append(
            AuditEvent(
                application_id=app.pk,
                person_id=p.pk,
                actor_id=actor_id,
                at=now,
                action="lodged",
                target_state=app.state,
                changes={"kind": app.kind, "track": app.track, "source": "import"},
            )
        )
    AuditEvent.objects.bulk_create(events)
    _examination_targets(apps)
    if "place" in CENTRE_HOOKS:
        CENTRE_HOOKS["place"](
            rows=[(p.pk, a.centre_id, a.arrival_date) for a, p in zip(todo, people, strict=True)
                  if a.centre_id],
            actor=actor,
        )  # fmt: skip
    return len(todo), refused


def _registration_numbers(todo: list[Arrival]) -> list[str]:
    """Fresh registration numbers (year of arrival first), unique in the batch and the register."""
    numbers = [new_registration_number(a.arrival_date.year) for a in todo]
    for _round in range(10):
        taken = set(
            Person.objects.filter(registration_number__in=numbers).values_list(
                "registration_number", flat=True
            )
        )
        seen: set[str] = set()
        clash = False
        for i, n in enumerate(numbers):
            if n in taken or n in seen:
                numbers[i] = new_registration_number(todo[i].arrival_date.year)
                clash = True
            seen.add(numbers[i])
        if not clash:
            return numbers
    return numbers


def _examination_due(lodged_on: dt.date) -> dt.datetime:
    """The examination target, as ``application_lodge`` sets it (6 months from lodging)."""
    lodged_at = dt.datetime.combine(lodged_on, dt.time(12), tzinfo=timezone.get_current_timezone())
    return lodged_at + deadlines.EXAMINATION_TARGET_PERIOD


def _examination_targets(apps: list[Application]) -> None:
    spec = deadlines.EXAMINATION_TARGET
    Deadline.objects.bulk_create(
        Deadline(
            source=spec.key,
            object_id=app.pk,
            application_id=app.pk,
            person_id=app.person_id,
            due_at=app.next_deadline,
            remind_from=app.next_deadline + spec.first_offset,
            notify_person=spec.notify_person,
        )
        for app in apps
        if app.next_deadline is not None
    )


def text_lines(binary: Any) -> io.TextIOWrapper:
    """Decode an uploaded or opened binary file as UTF-8 (a byte-order mark is allowed)."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", newline="")


# --- Background imports from the admin ------------------------------------------------------


def import_job_create(*, actor: Any, upload: Any) -> Any:
    """Store an uploaded CSV as an import job and start it in the background after commit."""
    from django.core.exceptions import PermissionDenied

    from .models import ImportJob
    from .services import audit_log, on_commit_enqueue
    from .tasks import run_import_job

    if not actor.has_perm("casework.add_importjob"):
        raise PermissionDenied("You may not import arrivals.")
    with transaction.atomic():
        job = ImportJob(created_by=actor, original_name=str(upload.name)[:200])
        job.file.save("arrivals.csv", upload, save=False)
        job.save()
        audit_log(actor=actor, action="import_started", changes={"import_job": job.pk})
        on_commit_enqueue(run_import_job, job.pk)
    return job


def import_job_run(*, job_id: int) -> None:
    """Run an import job (the Celery task's body). A finished job is never run twice."""
    from .models import ImportJob

    job = ImportJob.objects.filter(pk=job_id).first()
    if job is None or job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        return
    jobs = ImportJob.objects.filter(pk=job_id)
    try:
        with job.file.open("rb") as fh:
            total = max(sum(1 for _ in fh) - 1, 0)
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
