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
    phone           optional: the person's mobile number, with the country code unless
                    Norwegian; stored in E.164 (+4791234567) for text messages
    unhcr_reference optional, for a resettlement arrival: UNHCR's reference of the referral

A resettlement arrival counts against the resettlement quota of its year of arrival
(Immigration Act § 35): it is written with its UNHCR referral, arrived, and takes a place of
that year's quota under the quota's lock; a row beyond the places left is a bad row ("the
resettlement quota of YEAR is full"), as a row beyond a centre's free beds is. A year with no
quota set takes no place (the quota counts them once it is set). A UNHCR reference already
registered is a bad row: record that referral's arrival on the referral itself.

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
notice. A batch lands whole or not at all. The services' builders (``casework.people.rows``,
``casework.applications.rows``) make the rows; the import only chooses how to write them: one
``COPY`` per table on PostgreSQL, ``bulk_create`` elsewhere (``casework.intake.writer``); a
parity test compares every column of every row with what the services write. Two imports of
one file at once write each arrival once: the unique external id refuses the second writer's
batch, which is rolled back whole and retried, and then finds those arrivals imported. The
file is read as a stream: memory stays flat whatever its length. Duplicate detection by name
(``person_flag_duplicates``) is not run on bulk imports. An external id repeated inside one
batch is reported; repeated further apart it is skipped as already imported.
"""

from __future__ import annotations

import base64
import datetime as dt
import secrets
from collections.abc import Callable, Iterable
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from casework.applications.choices import ApplicationKind
from casework.applications.models import Application
from casework.applications.rows import application_lodged_rows, application_new
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
from casework.intake.writer import CopyWriter, OrmWriter
from casework.people.identity import REFERENCE_ALPHABET, REFERENCE_LENGTH, luhn_digit
from casework.people.models import Person
from casework.people.rows import person_new, person_registered_rows
from casework.resettlement.models import ResettlementReferral
from casework.resettlement.services import import_places_take, imported_referrals_write
from casework.staff.roles import unit_id_of
from casework.staff.users import AnyUser, recorded_user

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


def _write_batch(
    batch: list[Arrival], *, actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    if not batch:
        return 0, 0
    reported, counted = len(result.errors), result.error_count
    for _attempt in range(3):
        try:
            with transaction.atomic():
                return _insert(batch, actor=actor, is_demo=is_demo, result=result)
        except IntegrityError:
            # a concurrent import wrote one of these external ids, or took a registration
            # number, between our look and our write (the unique indexes refuse the second):
            # the batch is rolled back whole; forget this attempt's "centre is full" reports
            # and look again, when the other import's rows are there to be skipped
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


def _resettlement_places(todo: list[Arrival], result: ImportResult) -> list[Arrival]:
    """Take a place of its arrival year's quota for each resettlement arrival, under the
    quota's lock; refuse the rows beyond the places left and those whose UNHCR reference is
    already registered."""
    resettled = [a for a in todo if a.kind == ApplicationKind.RESETTLEMENT]
    if not resettled:
        return todo
    references = [a.unhcr_reference for a in resettled if a.unhcr_reference]
    known = set(
        ResettlementReferral.objects.filter(unhcr_reference__in=references).values_list(
            "unhcr_reference", flat=True
        )
    )
    refused: set[int] = set()
    seen: set[str] = set()
    for a in resettled:
        if a.unhcr_reference and (a.unhcr_reference in known or a.unhcr_reference in seen):
            add_errors(result, [RowError(a.line, "unhcr_reference", "already registered")])
            refused.add(a.line)
        elif a.unhcr_reference:
            seen.add(a.unhcr_reference)
    counted = [a for a in resettled if a.line not in refused]
    for i in import_places_take(a.arrival_date.year for a in counted):
        a = counted[i]
        year = a.arrival_date.year
        add_errors(result, [RowError(a.line, "kind", f"the resettlement quota of {year} is full")])
        refused.add(a.line)
    return [a for a in todo if a.line not in refused]


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


# --- Writing: the builders' rows, by COPY (PostgreSQL) or the ORM ----------------------------


def _insert(
    batch: list[Arrival], *, actor: AnyUser | None, is_demo: bool, result: ImportResult
) -> tuple[int, int]:
    """One batch: what ``person_register`` and ``application_lodge`` write for each arrival
    (the same builders), written by ``casework.intake.writer``: one ``COPY`` per table on
    PostgreSQL, ``bulk_create`` elsewhere. Rows already imported are skipped; rows beyond a
    centre's free beds are refused."""
    ids = [a.external_id for a in batch]
    done = set(Person.objects.filter(external_id__in=ids).values_list("external_id", flat=True))
    done |= set(
        Application.objects.filter(external_id__in=ids).values_list("external_id", flat=True)
    )
    todo = [a for a in batch if a.external_id not in done]
    # beds first: a place of the quota is taken (written) for the rows that will be imported
    placed = _resettlement_places(_reserve_beds(todo, result), result)
    refused = len(todo) - len(placed)
    if not placed:
        return 0, refused
    numbers = _free_numbers(placed)
    references = _references(len(placed))
    now = timezone.now()
    actor_id = getattr(actor, "pk", None)
    unit_id = unit_id_of(actor)
    out: OrmWriter | CopyWriter = CopyWriter() if connection.vendor == "postgresql" else OrmWriter()
    people = [
        person_new(
            registration_number=number,
            given_name=a.given_name,
            family_name=a.family_name,
            date_of_birth=a.date_of_birth,
            dob_precision=a.dob_precision,
            sex=a.sex,
            nationality=a.nationality,
            phone=a.phone,
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
            # The importing user's unit, as a case lodged one by one gets its lodger's.
            unit_id=unit_id,
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
    out.flush(now)
    resettled = [
        (p.pk, app.pk, a.arrival_date, a.unhcr_reference)
        for a, p, app in zip(placed, people, apps, strict=True)
        if a.kind == ApplicationKind.RESETTLEMENT
    ]
    imported_referrals_write(rows=resettled, actor=actor, is_demo=is_demo)
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
