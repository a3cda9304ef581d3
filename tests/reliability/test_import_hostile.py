"""Hostile input to the arrivals import: broken CSV, wrong encodings, random bytes, 100 MB.

What a registration officer is promised (casework/intake/imports.py): a bad row is reported with its
line, field and reason and the other rows are imported; a file that cannot be read as rows is
refused whole, with the line, before anything is written. Never a traceback: the command
raises only ``CommandError`` (printed by manage.py as one line) or exits 1 after its report.
Every test counts the rows in the database before and after.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from casework.intake import arrivals, imports
from casework.models import Application, AuditEvent, Deadline, ImportJob, Person

pytestmark = [pytest.mark.fault, pytest.mark.django_db]

ROOT = Path(__file__).resolve().parents[2]
SCALE = float(os.environ.get("FUZZ_SCALE", "1"))
HEADER = (
    "external_id,given_name,family_name,date_of_birth,nationality,sex,kind,arrival_date,centre\n"
)


def good(i: int) -> str:
    return f"h-{i},Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,\n"


def counts() -> tuple[int, ...]:
    return (
        Person.objects.count(),
        Person.history.count(),
        Application.objects.count(),
        Application.history.count(),
        AuditEvent.objects.count(),
        Deadline.objects.count(),
    )


NOTHING = (0, 0, 0, 0, 0, 0)


def imported(n: int) -> tuple[int, ...]:
    """What ``n`` collective arrivals leave: person, application, 2 history, 2 events, and 2
    notices (the queue notice and the "application received" notice)."""
    return (n, n, n, n, 2 * n, 2 * n)


def run(path: Path) -> tuple[int, str, str]:
    """The command as manage.py runs it: an exit status and what it printed (or its error)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_arrivals", str(path), stdout=out, stderr=err)
        return 0, out.getvalue(), err.getvalue()
    except SystemExit as exc:
        return int(exc.code), out.getvalue(), err.getvalue()
    except CommandError as exc:  # manage.py prints "CommandError: …", no traceback
        return 2, "", str(exc)


def write(tmp_path: Path, data: bytes, name: str = "arrivals.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


# --- Broken CSV -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("broken", "after"),
    [
        pytest.param('h-9,"Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,\n', 37),
        pytest.param('h-9,Olena,"Kovalenko\n', 0, id="on-the-last-line"),
    ],
)
def test_a_quote_never_closed_refuses_the_whole_file_with_its_line(tmp_path, broken, after):
    rows = [good(1), good(2), broken] + [good(i) for i in range(3, 3 + after)]
    code, _out, err = run(write(tmp_path, (HEADER + "".join(rows)).encode()))
    assert code == 2
    assert "Line 4: a quoted field is not closed" in err
    assert "Nothing was imported" in err
    assert counts() == NOTHING  # not even the two good rows before it


def test_a_stray_quote_inside_one_line_is_one_bad_row(tmp_path):
    bad = 'h-3,Olena,Kova"lenko"x,1980-01-01,UA,female,collective,2023-09-01,\n'
    data = HEADER + good(1) + '"h-2",Olena,"Kovalenko"x,1980,UA,female,collective,2023-09-01,\n'
    code, out, err = run(write(tmp_path, (data + bad + good(4)).encode()))
    assert code == 1
    assert 'line 3: row: a quote inside a field must be doubled ("")' in err
    assert "4 rows" in out and "3 imported" in out and "1 bad" in out
    assert counts() == imported(3)


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ("h-2,Olena,Kovalenko,1980-01-01,UA,female,collective\n", "(7; the header has 9)"),
        ("h-2,Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,,x\n", "(10; the"),
        ("h-2\n", "(1; the header has 9)"),
    ],
)
def test_a_row_with_the_wrong_number_of_columns_is_a_bad_row(tmp_path, row, reason):
    code, _out, err = run(write(tmp_path, (HEADER + good(1) + row + good(3)).encode()))
    assert code == 1
    assert f"line 3: row: wrong number of columns {reason}" in err
    assert counts() == imported(2)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (good(1) + good(2), "Line 1: missing columns: external_id"),
        (b"", "The file is empty."),
        ("\n\n\n", "The file is empty."),
        (HEADER.replace("kind", "kind,kind"), "Line 1: columns named twice: kind"),
        ("a,b\n" * 3, "Line 1: missing columns"),
    ],
)
def test_a_file_without_a_usable_header_is_refused(tmp_path, data, message):
    raw = data if isinstance(data, bytes) else data.encode()
    code, _out, err = run(write(tmp_path, raw))
    assert code == 2 and message in err
    assert counts() == NOTHING


def test_nul_bytes_make_a_bad_row_or_refuse_a_binary_file(tmp_path):
    nul_row = "h-2,Ol\x00ena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,\n"
    code, _out, err = run(write(tmp_path, (HEADER + good(1) + nul_row + good(3)).encode()))
    assert code == 1
    assert "line 3: given_name: contains control or invisible characters" in err
    assert counts() == imported(2)

    code, _out, err = run(write(tmp_path, b"\x00" * 5000 + b"\n" + good(1).encode(), "nul.csv"))
    assert code == 2 and "Line 1: control characters in the header" in err
    assert counts() == imported(2)


# --- Encodings --------------------------------------------------------------------------------


def test_utf8_with_a_byte_order_mark_is_accepted(tmp_path):
    data = codecs.BOM_UTF8 + (HEADER + good(1) + good(2)).replace("Olena", "Олена").encode()
    code, out, _err = run(write(tmp_path, data))
    assert code == 0 and "2 imported" in out
    assert counts() == imported(2)
    assert Person.objects.filter(given_name="Олена").count() == 2


def test_latin1_rows_are_bad_rows_with_their_lines(tmp_path):
    rows = good(1) + good(2).replace("Olena", "Jos\xe9") + good(3).replace("Kovalenko", "M\xfcller")
    code, out, err = run(write(tmp_path, (HEADER + rows).encode("latin-1")))
    assert code == 1
    assert "line 3: given_name: not UTF-8 text" in err
    assert "line 4: family_name: not UTF-8 text" in err
    assert "1 imported" in out and "2 bad" in out
    assert counts() == imported(1)


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-le", "utf-16-be"])
def test_utf16_with_or_without_a_byte_order_mark_is_refused_clearly(tmp_path, encoding):
    data = (HEADER + good(1)).encode(encoding)  # "utf-16" writes the mark, -le/-be do not
    code, _out, err = run(write(tmp_path, data))
    assert code == 2
    assert "UTF-16" in err and "CSV UTF-8" in err
    assert counts() == NOTHING


@pytest.mark.parametrize("seed", range(6))
def test_random_bytes_are_refused_without_a_traceback(tmp_path, seed):
    rng = random.Random(seed)
    size = rng.choice([10, 1_000, 100_000, 1_000_000])
    data = rng.randbytes(size)
    if seed % 2:  # random bytes after a real header: bad rows, or a refused file
        data = HEADER.encode() + data
    code, _out, err = run(write(tmp_path, data))
    assert code in (1, 2) and err
    assert Person.objects.count() == 0 or code == 1  # only complete valid rows could import


# --- Size -------------------------------------------------------------------------------------


def _hundred_mb(path: Path, tail: str) -> int:
    """About 100 MB of valid rows (1.1 million), then ``tail``. Returns the file's size."""
    row = "{:07d},Olena,Kovalenko,1980-01-01,UA,female,collective,2023-09-01,\n"
    with path.open("w", newline="") as fh:
        fh.write(HEADER)
        written = len(HEADER)
        i = 0
        while written < 100 * 1024 * 1024:
            chunk = "".join(row.format(j) for j in range(i, i + 20_000))
            fh.write(chunk)
            written += len(chunk)
            i += 20_000
        fh.write(tail)
    return path.stat().st_size


def test_a_100_mb_file_broken_at_its_end_is_read_through_and_refused_unwritten(tmp_path):
    path = tmp_path / "big.csv"
    size = _hundred_mb(path, 'x,"never closed\n')
    assert size > 100 * 1024 * 1024
    started = time.monotonic()
    code, _out, err = run(path)
    seconds = time.monotonic() - started
    assert code == 2
    assert "a quoted field is not closed" in err and "Nothing was imported" in err
    assert counts() == NOTHING
    print(f"\n100 MB ({size:,} bytes) checked and refused in {seconds:.1f} s")


def test_a_100_mb_line_is_refused_at_once(tmp_path):
    path = tmp_path / "one-line.csv"
    with path.open("wb") as fh:
        fh.write(HEADER.encode())
        block = b"x" * (1024 * 1024)
        for _ in range(100):
            fh.write(block)
    code, _out, err = run(path)
    assert code == 2 and "Line 2: longer than 64 KB" in err
    assert counts() == NOTHING


def test_manage_py_prints_one_line_not_a_traceback(tmp_path):
    """The real process, as an officer runs it: a refused file is one line on stderr."""
    path = write(tmp_path, (HEADER + good(1)).encode("utf-16"))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    from tests.reliability.conftest import database_url

    if env.get("DATABASE_URL"):
        env["DATABASE_URL"] = database_url()
    proc = subprocess.run(
        [sys.executable, "manage.py", "import_arrivals", str(path)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 1
    assert "Traceback" not in proc.stderr
    assert proc.stderr.strip().startswith("CommandError: arrivals.csv: The file is UTF-16")


# --- The parser and the validator, fuzzed ------------------------------------------------------

FUZZ = settings(
    max_examples=max(1, int(150 * SCALE)),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=30)


def parse(data: bytes) -> list:
    """Everything the reading layer gives for ``data``: header, then (line, row or error)."""
    records = arrivals._records(arrivals.text_lines(io.BytesIO(data)))
    return [arrivals._header(records), *records]


@FUZZ
@given(st.binary(max_size=3000))
@example(b'a,"b\n' * 20)
@example(b"\xff\xfe" + "x".encode("utf-16-le"))
@example(b"\r" * 100)
def test_the_reader_refuses_or_reads_any_bytes_and_never_raises_anything_else(data):
    try:
        parse(data)
    except arrivals.ImportFileError as exc:
        assert str(exc)  # a message for the officer


@FUZZ
@given(st.lists(st.lists(TEXT, min_size=2, max_size=6), min_size=1, max_size=8))
def test_rows_written_as_csv_read_back_as_the_same_rows(rows):
    buf = io.StringIO(newline="")
    columns = list(arrivals.COLUMNS)
    csv.writer(buf).writerows([columns, *rows])
    try:
        header, *records = parse(buf.getvalue().encode("utf-8"))
    except arrivals.ImportFileError as exc:  # only a field with many line breaks may do this
        assert "quoted field is not closed" in str(exc)
        assert any(
            v.count("\n") + v.count("\r") >= arrivals.MAX_RECORD_LINES - 1 for r in rows for v in r
        )
        return
    assert header == columns
    assert [r for _line, r in records] == rows


TODAY = dt.date(2026, 6, 1)
DATES = st.dates(dt.date(1900, 1, 1), TODAY)


def date_text(day: dt.date) -> str:
    return day.isoformat()


@st.composite
def field_or_noise(draw, valid):
    """A valid value in any case and padding, or arbitrary text, or a near miss."""
    choice = draw(st.integers(0, 4))
    if choice == 0:
        return draw(TEXT)
    value = draw(valid)
    if choice == 1:
        value = value.upper() if draw(st.booleans()) else value.lower()
    if choice == 2:
        value = f"  {value}\t"
    if choice == 3:
        value = value + draw(st.sampled_from(["\x00", "\u202e", "\udc80", "ß", "x", "-"]))
    return value


ROW = st.fixed_dictionaries(
    {
        "external_id": field_or_noise(st.from_regex(r"[A-Za-z0-9._:/-]{1,64}", fullmatch=True)),
        "given_name": field_or_noise(st.sampled_from(["Olena", "Muḥammad", "Nour", "Ana María"])),
        "family_name": field_or_noise(st.sampled_from(["Kovalenko", "Al-Hassan", "Ó Briain"])),
        "date_of_birth": field_or_noise(
            st.one_of(DATES.map(date_text), st.integers(1900, 2026).map(str))
        ),
        "nationality": field_or_noise(st.sampled_from(["UA", "SY", "AF", "", "ER", "XK"])),
        "sex": field_or_noise(st.sampled_from(["female", "male", "other", "unknown", ""])),
        "kind": field_or_noise(st.sampled_from(["protection", "collective", "resettlement"])),
        "arrival_date": field_or_noise(st.dates(dt.date(2000, 1, 1), TODAY).map(date_text)),
        "centre": st.one_of(st.just(""), TEXT),
    }
)


@FUZZ
@given(ROW)
@example(dict.fromkeys(arrivals.COLUMNS, "\x00"))
@example({**dict.fromkeys(arrivals.COLUMNS, ""), "nationality": "ß", "sex": "unKnown"})
def test_the_validator_accepts_only_clean_rows_and_explains_every_refusal(row):
    checked = arrivals.validate_row(7, row, TODAY)
    if isinstance(checked, list):
        assert checked, "a refusal names at least one problem"
        for err in checked:
            assert err.line == 7 and err.field in (*arrivals.COLUMNS, "") and err.reason
            value = row.get(err.field, "")
            assert len(value.strip()) < 8 or value.strip() not in err.reason  # not the value
        return
    a = checked
    assert arrivals.EXTERNAL_ID.fullmatch(a.external_id)
    for name in (a.given_name, a.family_name):
        assert name and name == name.strip() and name.isprintable() and len(name) <= 120
    assert dt.date(1900, 1, 1) <= a.date_of_birth <= a.arrival_date <= TODAY
    assert a.arrival_date.year >= 2000
    assert a.nationality == "" or a.nationality in arrivals.COUNTRY_CODES
    assert a.sex in arrivals.SEXES and a.kind in arrivals.KINDS
    assert a.dob_precision in ("day", "year")
    # what was accepted is what was written, up to case and padding
    assert a.kind == row["kind"].strip().lower()
    assert a.nationality == row["nationality"].strip().upper()
    assert a.sex == (row["sex"].strip().lower() or "unknown")


# --- The admin's upload form -----------------------------------------------------------------


def upload(client, name: str, data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    return client.post(
        reverse("admin:casework_importjob_add"), {"file": SimpleUploadedFile(name, data)}
    )


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("arrivals.xlsx", HEADER.encode(), "Upload a .csv file"),
        ("arrivals.csv", b"", "The submitted file is empty."),
        ("arrivals.csv", (HEADER + good(1)).encode("utf-16"), "UTF-16"),
        ("arrivals.csv", b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 40, "Line 1:"),
        ("arrivals.csv", b"name,born\nA,1990\n", "Line 1: missing columns: external_id"),
        ("arrivals.csv", b"x" * (arrivals.MAX_LINE_BYTES + 10), "longer than 64 KB"),
    ],
)
def test_the_upload_form_refuses_what_is_not_an_arrivals_csv_and_says_why(
    client, registrar, name, data, message
):
    client.force_login(registrar)
    response = upload(client, name, data)
    assert response.status_code == 200  # the form again, with the error
    assert message in response.content.decode()
    assert not ImportJob.objects.exists()
    assert not AuditEvent.objects.exists()


def test_the_upload_form_refuses_a_file_over_the_size_limit(client, registrar):
    from casework.admin import imports as admin_imports

    client.force_login(registrar)
    data = (HEADER + good(1)).encode()
    data += b"#" * (admin_imports.MAX_UPLOAD_BYTES + 1 - len(data))  # 50 MB + 1 byte
    response = upload(client, "big.csv", data)
    assert response.status_code == 200
    assert "larger than 50 MB" in response.content.decode()
    assert not ImportJob.objects.exists()


def test_an_upload_broken_after_its_header_fails_as_a_job_and_writes_nothing(
    client, registrar, settings, tmp_path
):
    settings.MEDIA_ROOT = str(tmp_path)
    client.force_login(registrar)
    data = HEADER + good(1) + good(2) + 'h-3,"Olena\n' + good(4) * 12
    response = upload(client, "arrivals.csv", data.encode())
    assert response.status_code == 302
    job = ImportJob.objects.get()
    imports.import_job_run(job_id=job.pk)  # what the Celery task runs
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert job.message.startswith("Line 4: a quoted field is not closed")
    assert not job.file  # the personal data is not kept
    assert Person.objects.count() == 0 and Application.objects.count() == 0
    page = client.get(f"/admin/casework/importjob/{job.pk}/change/").content.decode()
    assert "Line 4: a quoted field is not closed" in page
