"""The arrivals file: its columns, reading it as CSV records, and validating each row.

What a registration officer is promised about a file (the rules are in ``casework.intake.imports``'s
docstring): a bad row is reported with its line, field and reason, never its value; a file that
cannot be read as rows at all raises ``ImportFileError`` naming the line. Nothing here writes.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django_countries import countries

from casework.applications.choices import ApplicationKind
from casework.people.choices import DatePrecision, Sex
from casework.people.phones import phone_e164

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
    "phone",
    "unhcr_reference",
)
REQUIRED_COLUMNS = ("external_id", "given_name", "family_name", "date_of_birth", "arrival_date")
BATCH = 5000
MAX_STORED_ERRORS = 5000
MAX_LINE_BYTES = 64 * 1024  # a real row is under 1 KB; longer is binary data or a lost quote
MAX_RECORD_LINES = 10  # a quoted field never spans lines in this format: more is a lost quote
COUNTRY_CODES = frozenset(code for code, _name in countries)
KINDS = frozenset(ApplicationKind.values)
SEXES = frozenset(Sex.values)
EXTERNAL_ID = re.compile(r"[A-Za-z0-9._:/-]{1,64}")
DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
YEAR = re.compile(r"[0-9]{4}")
SURROGATE = re.compile("[\udc80-\udcff]")  # an undecodable byte (surrogateescape)


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
    phone: str = ""  # E.164
    unhcr_reference: str = ""  # a resettlement arrival's referral


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    notes: list[str] = field(default_factory=list)


class ImportFileError(ValueError):
    """The file as a whole cannot be read (encoding, missing columns, broken quoting)."""


# --- Reading: bytes -> lines -> records -------------------------------------------------------


def text_lines(binary: Any) -> Iterator[str]:
    """The lines of an uploaded or opened binary file as text, for ``csv``.

    UTF-8, a byte-order mark allowed. UTF-16 (with or without its mark) is refused with a
    clear message rather than guessed at. Bytes that are not UTF-8 are kept as lone surrogates
    (``surrogateescape``) so the row they are in is reported as a bad row with its line
    number, instead of the whole file failing at an arbitrary buffer boundary. A line longer
    than ``MAX_LINE_BYTES`` stops the import: it is not an arrivals file.
    """
    line = binary.readline(MAX_LINE_BYTES + 1)
    if line.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _looks_utf16(line):
        raise ImportFileError(
            "The file is UTF-16 text; save it as “CSV UTF-8” and import it again."
        )
    if line.startswith(codecs.BOM_UTF8):
        line = line[len(codecs.BOM_UTF8) :]
    number = 0
    while line:
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise ImportFileError(
                f"Line {number}: longer than {MAX_LINE_BYTES // 1024} KB; "
                "this is not an arrivals CSV file."
            )
        yield line.decode("utf-8", "surrogateescape")
        line = binary.readline(MAX_LINE_BYTES + 1)


def _looks_utf16(line: bytes) -> bool:
    """ASCII text in UTF-16 without a byte-order mark: every other byte is NUL, the rest not."""
    sample = line[:200]
    if len(sample) < 8:
        return False
    even, odd = sample[0::2], sample[1::2]
    return (odd.count(0) >= 0.9 * len(odd) and even.count(0) <= 0.1 * len(even)) or (
        even.count(0) >= 0.9 * len(even) and odd.count(0) <= 0.1 * len(odd)
    )


class _Lines:
    """Counts the lines ``csv`` pulls, and stops a record that runs on for too many lines."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._it = iter(lines)
        self.count = 0
        self.record_start = 1

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self._it)
        self.count += 1
        if self.count - self.record_start >= MAX_RECORD_LINES:
            raise ImportFileError(_unclosed(self.record_start))
        return line


def _unclosed(line: int) -> str:
    return (
        f'Line {line}: a quoted field is not closed (a " is missing), so the rows after it '
        "cannot be read. Nothing was imported from this file."
    )


_CSV_REASONS = (
    ("expected after", 'a quote inside a field must be doubled ("")'),
    ("field larger", "a field is far too long"),
    ("new-line character", "a line break inside a field"),
)


def _records(lines: Iterable[str]) -> Iterator[tuple[int, list[str] | RowError]]:
    """(line, fields) for each CSV record, or (line, error) for a record that is not CSV.

    Strict quoting: a quote in the middle of a field is a bad row, not a silent merge. An
    unterminated quote that runs to the end of the file is a file error (``ImportFileError``).
    """
    source = _Lines(lines)
    reader = csv.reader(source, strict=True)
    while True:
        source.record_start = source.count + 1
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            message = str(exc)
            if "unexpected end of data" in message:
                raise ImportFileError(_unclosed(source.record_start)) from exc
            reason = next((r for key, r in _CSV_REASONS if key in message), "not valid CSV")
            yield source.record_start, RowError(source.record_start, "", reason)
            continue
        if row:  # blank lines are skipped
            yield source.record_start, row


def _header(records: Iterator[tuple[int, list[str] | RowError]]) -> list[str]:
    try:
        _line, header = next(records)
    except StopIteration:
        raise ImportFileError("The file is empty.") from None
    if isinstance(header, RowError):
        raise ImportFileError(f"Line 1: the header row is not valid CSV ({header.reason}).")
    names = [h.strip().lower() for h in header]
    if any(SURROGATE.search(n) for n in names):
        raise ImportFileError("Line 1: not UTF-8 text; save the file as “CSV UTF-8”.")
    if not all(n.isprintable() for n in names):
        raise ImportFileError("Line 1: control characters in the header: not a CSV text file.")
    missing = [c for c in (*REQUIRED_COLUMNS, "kind") if c not in names]
    if missing:
        raise ImportFileError(
            f"Line 1: missing columns: {', '.join(missing)}. The first line must name the "
            f"columns: {', '.join(COLUMNS)}."
        )
    twice = sorted({n for n in names if n in COLUMNS and names.count(n) > 1})
    if twice:
        raise ImportFileError(f"Line 1: columns named twice: {', '.join(twice)}.")
    return names


def header_check(binary: Any) -> None:
    """Raise ``ImportFileError`` unless the file starts with a usable header (reads one line).

    For the admin's upload form: a wrong encoding, a binary file or missing columns are told at
    once, not later by a failed background job.
    """
    _header(_records(text_lines(binary)))


def arrivals_check(stream: Iterable[str]) -> int:
    """Read the whole file once without writing; raise ``ImportFileError`` if it is unreadable.

    Returns the number of data rows (for the progress bar). Row-level problems are left to
    the import, which reports them; this pass finds the problems that would stop an import
    half-way, so that a broken file imports nothing.
    """
    records = _records(stream)
    _header(records)
    return sum(1 for _ in records)


# --- Validation of one row ---------------------------------------------------------------------


def _date(value: str, *, year_only: bool = False) -> tuple[dt.date, str] | None:
    if year_only and YEAR.fullmatch(value):
        return dt.date(int(value), 1, 1), DatePrecision.YEAR
    if not DAY.fullmatch(value):
        return None
    try:
        return dt.date.fromisoformat(value), DatePrecision.DAY
    except ValueError:
        return None


def _clean(value: str) -> str | None:
    """The value, or None when it holds characters no field may hold (checked cheaply first)."""
    if value.isprintable():
        return value
    value = "".join(" " if c in "\u00a0\u2007\u202f" else c for c in value)  # no-break spaces
    return value if value.isprintable() else None


def validate_row(line: int, row: dict[str, str], today: dt.date) -> Arrival | list[RowError]:
    """Check one row; return the arrival, or every problem found in it (never raises)."""
    errors: list[RowError] = []

    def bad(fieldname: str, reason: str) -> None:
        errors.append(RowError(line, fieldname, reason))

    get: dict[str, str] = {}
    for name in COLUMNS:
        raw = (row.get(name) or "").strip()
        cleaned = _clean(raw)
        if cleaned is None:
            if SURROGATE.search(raw):
                bad(name, "not UTF-8 text (save the file as “CSV UTF-8”)")
            else:
                bad(name, "contains control or invisible characters")
            cleaned = ""
        get[name] = cleaned.strip()
    if errors:
        return errors
    for name in REQUIRED_COLUMNS:
        if not get[name]:
            bad(name, "required")
    if get["external_id"] and not EXTERNAL_ID.fullmatch(get["external_id"]):
        bad("external_id", "at most 64 letters, digits or . _ : / -")
    for name in ("given_name", "family_name"):
        if len(get[name]) > 120:
            bad(name, "longer than 120 characters")
    if len(get["centre"]) > 200:
        bad("centre", "longer than 200 characters")
    if len(get["unhcr_reference"]) > 40:
        bad("unhcr_reference", "longer than 40 characters")
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
    nationality = get["nationality"].upper() if get["nationality"].isascii() else "?"
    if nationality and nationality not in COUNTRY_CODES:
        bad("nationality", "not an ISO 3166 alpha-2 country code")
    sex = (get["sex"].lower() if get["sex"].isascii() else "?") or Sex.UNKNOWN
    if sex not in SEXES:
        bad("sex", "must be female, male, other or unknown")
    kind = get["kind"].lower() if get["kind"].isascii() else "?"
    if not kind:
        bad("kind", "required")
    elif kind not in KINDS:
        bad("kind", "must be protection, collective or resettlement")
    phone = ""
    if get["phone"]:
        try:
            phone = phone_e164(get["phone"])
        except ValidationError:
            bad("phone", "not a valid phone number (with the country code if not Norwegian)")
    if errors or born is None or arrived is None:
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
        phone=phone,
        unhcr_reference=get["unhcr_reference"] if kind == "resettlement" else "",
    )


def arrival_batches(stream: Iterable[str], today: dt.date, result: ImportResult) -> Iterator[list]:
    """Validated arrivals in batches; bad rows go to ``result`` as they are met."""
    records = _records(stream)
    header = _header(records)
    width = len(header)
    batch: list[Arrival] = []
    seen_in_batch: set[str] = set()
    for line, values in records:
        result.total += 1
        if isinstance(values, RowError):
            add_errors(result, [values])
        elif len(values) != width:
            reason = f"wrong number of columns ({len(values)}; the header has {width})"
            add_errors(result, [RowError(line, "", reason)])
        else:
            checked = validate_row(line, dict(zip(header, values, strict=True)), today)
            if isinstance(checked, list):
                add_errors(result, checked)
            elif checked.external_id in seen_in_batch:
                add_errors(result, [RowError(line, "external_id", "repeated in the file")])
            else:
                seen_in_batch.add(checked.external_id)
                batch.append(checked)
        if len(batch) >= BATCH or (result.total % BATCH == 0 and batch):
            yield batch
            batch, seen_in_batch = [], set()
    if batch:
        yield batch


def add_errors(result: ImportResult, errors: list[RowError]) -> None:
    result.error_count += 1
    if len(result.errors) < MAX_STORED_ERRORS:
        result.errors.extend(errors)
