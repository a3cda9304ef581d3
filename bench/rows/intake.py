"""Intake of 33,000 arrivals (and 1,000,000 at full scale): ``import_arrivals`` vs ``COPY``.

All read the same CSV file. Ours runs ``manage.py import_arrivals`` as its own process (its
peak memory is that process's). Two baselines in the same run:

* the target's: ``COPY`` of the file into a bare table with the same columns (no constraints,
  no index), then the table is dropped;
* the floor (``extra``): ``COPY`` of exactly the rows the import wrote (people, applications,
  both history tables, audit events, deadlines: 8 rows an arrival) into copies of those six
  tables, made with ``LIKE … INCLUDING ALL``'s parts, holding the register as it was before
  the import, with every index, the primary keys and the foreign keys (deferred, checked at
  ``COMMIT``) of the real ones, logged like them; one transaction. Any import that writes
  these rows (the audit and history included) does at least this work. The copies and their
  files are dropped after.

And, also in ``extra``, the Python side alone: reading and validating the file as the command
does (``arrivals_check``, then the validated batches), in-process, no database.

The imported arrivals stay (external ids ``bench-<run>-<n>-…``: a new run imports new people).
"""

from __future__ import annotations

import csv
import os
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from bench.common import ROOT, Figure, Row

NAMES = ["Olena", "Taras", "Iryna", "Andrii", "Mohammed", "Amina", "Dmitry", "Nour", "Yonas"]
FAMILY = ["Kovalenko", "Shevchenko", "Bondarenko", "Al-Hassan", "Rahimi", "Sokolov", "Haddad"]
BARE = """
CREATE UNLOGGED TABLE IF NOT EXISTS bench_arrivals (
    external_id text, given_name text, family_name text, date_of_birth text,
    nationality text, sex text, kind text, arrival_date date, centre text
)
"""
FLOOR = "bench_floor_"  # prefix of the copies of the real tables


def make_csv(path: Path, n: int, run: str) -> Path:
    rng = random.Random(n)
    with path.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(
            ["external_id", "given_name", "family_name", "date_of_birth", "nationality", "sex",
             "kind", "arrival_date", "centre"]
        )  # fmt: skip
        for i in range(n):
            ukrainian = rng.random() < 0.9
            w.writerow([
                f"bench-{run}-{i:07d}",
                rng.choice(NAMES),
                rng.choice(FAMILY),
                f"{rng.randint(1940, 2022)}-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "UA" if ukrainian else rng.choice(["SY", "AF", "ER"]),
                rng.choice(["female", "male"]),
                "collective" if ukrainian else "protection",
                f"2023-{rng.randint(1, 12):02d}-{rng.randint(1, 28):02d}",
                "",
            ])  # fmt: skip
    return path


def have_import_arrivals() -> bool:
    from django.core.management import get_commands

    return "import_arrivals" in get_commands()


def ours(path: Path) -> Figure:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings"}
    log = path.with_suffix(".log")
    with log.open("wb") as stderr:  # a file, not a pipe: a long run's progress bar never blocks
        start = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "manage.py", "import_arrivals", str(path)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = log.read_text(errors="replace")[-500:]
    log.unlink()
    if proc.returncode:
        raise RuntimeError(f"import_arrivals failed ({proc.returncode}): {err}")
    return Figure(
        name="import_arrivals (validation, audit, history)",
        seconds=round(seconds, 3),
        peak_mem_mb=round(usage.ru_maxrss / 1024, 1),
        unit="rows/s",
    )


def baseline(path: Path) -> Figure:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(BARE)
        cur.execute("TRUNCATE bench_arrivals")
        start = time.perf_counter()
        with (
            path.open("rb") as f,
            cur.copy("COPY bench_arrivals FROM STDIN WITH (FORMAT csv, HEADER true)") as copy,
        ):
            while data := f.read(1 << 20):
                copy.write(data)
        seconds = time.perf_counter() - start
        cur.execute("DROP TABLE bench_arrivals")
    return Figure(name="COPY into a bare table", seconds=round(seconds, 3), unit="rows/s")


def parse_only(path: Path) -> Figure:
    """What the command does in Python before any row reaches the database: the read-only
    pass (``arrivals_check``) and the validated batches, in-process."""
    from django.utils import timezone

    from casework.intake import arrivals

    result = arrivals.ImportResult()
    start = time.perf_counter()
    with path.open("rb") as fh:
        arrivals.arrivals_check(arrivals.text_lines(fh))
    with path.open("rb") as fh:
        for _batch in arrivals.arrival_batches(
            arrivals.text_lines(fh), timezone.localdate(), result
        ):
            pass
    seconds = time.perf_counter() - start
    return Figure(
        name="parsing + validation only (no database)", seconds=round(seconds, 3), unit="rows/s"
    )


def _tables() -> list[str]:
    from casework.models import Application, AuditEvent, Deadline, Person

    models = [Person, Application, Person.history.model, Application.history.model]
    return [m._meta.db_table for m in (*models, AuditEvent, Deadline)]


def _written(prefix: str) -> dict[str, str]:
    """Per table, the ``SELECT`` of the rows the import wrote for external ids ``prefix…``
    (over the temporary tables ``bench_floor_people`` and ``bench_floor_apps``)."""
    people, apps, hp, ha, events, deadlines = _tables()

    def new(table: str, column: str, ids: str = "bench_floor_people") -> str:
        # EXISTS: a hash (anti-)join, where NOT … IN (1,000,000 ids) probes row by row
        return f"EXISTS (SELECT 1 FROM {ids} n WHERE n.id = {table}.{column})"

    return {
        people: new(people, "id"),
        apps: new(apps, "person_id"),
        hp: new(hp, "id"),
        ha: new(ha, "id", "bench_floor_apps"),
        events: new(events, "person_id"),
        deadlines: new(deadlines, "person_id"),
    }


def _make_copy(cur: Any, table: str, keep_out: str, tables: list[str]) -> None:
    """``FLOOR + table``: the table's columns, defaults, checks and persistence, its rows but
    ``keep_out``, then (faster than loading into them) its indexes, primary key and foreign
    keys, the latter pointing at the copies where the real ones point at one of ``tables``."""
    copy = FLOOR + table
    cur.execute("SELECT relpersistence FROM pg_class WHERE oid = %s::regclass", [table])
    unlogged = "UNLOGGED " if cur.fetchone()[0] == "u" else ""
    # identifiers from model metadata and the catalogue, no value from outside
    cur.execute(
        f"CREATE {unlogged}TABLE {copy} (LIKE {table} INCLUDING ALL EXCLUDING INDEXES)"  # nosec B608
    )
    cur.execute(
        f"INSERT INTO {copy} SELECT * FROM {table} WHERE NOT {keep_out}"  # nosec B608
    )
    cur.execute(
        "SELECT i.indisprimary, pg_get_indexdef(i.indexrelid), c.relname FROM pg_index i"
        " JOIN pg_class c ON c.oid = i.indexrelid WHERE i.indrelid = %s::regclass",
        [table],
    )
    for n, (primary, definition, name) in enumerate(cur.fetchall()):
        new = f"{copy}_{n}"
        definition = definition.replace(f"INDEX {name} ON", f"INDEX {new} ON", 1)
        # a partitioned table's index is defined "ON ONLY" the parent; the copy is a plain table
        for on in (f" ON ONLY public.{table} USING", f" ON public.{table} USING"):
            definition = definition.replace(on, f" ON public.{copy} USING")
        cur.execute(definition)
        if primary:
            cur.execute(f"ALTER TABLE {copy} ADD PRIMARY KEY USING INDEX {new}")
    cur.execute(
        "SELECT pg_get_constraintdef(oid), confrelid::regclass::text FROM pg_constraint"
        " WHERE conrelid = %s::regclass AND contype = 'f'",
        [table],
    )
    for n, (definition, target) in enumerate(cur.fetchall()):
        if target in tables:
            definition = definition.replace(f"REFERENCES {target}(", f"REFERENCES {FLOOR}{target}(")
        # NOT VALID: the rows copied above are not checked again; every row COPY'd is
        cur.execute(f"ALTER TABLE {copy} ADD CONSTRAINT {copy}_fk{n} {definition} NOT VALID")
    cur.execute(f"ANALYZE {copy}")


def floor(prefix: str, tmp: Path) -> Figure:
    """``COPY`` of the rows the import wrote into indexed copies of the real tables."""
    from django.db import connection, transaction

    tables = _tables()
    people, apps = tables[0], tables[1]
    written = _written(prefix)
    files = {t: tmp / f"{t}.copy" for t in tables}
    try:
        with connection.cursor() as cur:
            cur.execute(
                f"CREATE TEMPORARY TABLE bench_floor_people AS SELECT id FROM {people}"  # nosec B608
                " WHERE external_id LIKE %s",
                [prefix + "%"],
            )
            cur.execute(
                f"CREATE TEMPORARY TABLE bench_floor_apps AS SELECT id FROM {apps}"  # nosec B608
                " WHERE person_id IN (SELECT id FROM bench_floor_people)"
            )
            cur.execute("ANALYZE bench_floor_people")
            cur.execute("ANALYZE bench_floor_apps")
            rows = {}
            for table in tables:
                sql = (
                    f"COPY (SELECT * FROM {table} WHERE {written[table]}) TO STDOUT (FORMAT binary)"  # nosec B608
                )
                with files[table].open("wb") as f, cur.copy(sql) as copy:
                    for data in copy:
                        f.write(data)
                cur.execute(f"SELECT count(*) FROM {table} WHERE {written[table]}")  # nosec B608
                rows[table] = cur.fetchone()[0]
            for table in tables:
                _make_copy(cur, table, written[table], tables)
        start = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for table in tables:  # referenced tables first (the checks wait for COMMIT anyway)
                sql = f"COPY {FLOOR}{table} FROM STDIN (FORMAT binary)"
                with files[table].open("rb") as f, cur.copy(sql) as copy:
                    while data := f.read(1 << 20):
                        copy.write(data)
        seconds = time.perf_counter() - start
    finally:
        with connection.cursor() as cur:
            for table in reversed(tables):
                cur.execute(f"DROP TABLE IF EXISTS {FLOOR}{table}")
            cur.execute("DROP TABLE IF EXISTS bench_floor_people, bench_floor_apps")
        for f in files.values():
            f.unlink(missing_ok=True)
    short = {t: t.removeprefix("casework_") for t in tables}
    return Figure(
        name=f"floor: COPY of the {sum(rows.values()):,} rows written, into indexed copies",
        seconds=round(seconds, 3),
        unit="rows/s",
        note=", ".join(f"{short[t]} {rows[t]:,}" for t in tables),
    )


def run(ctx: dict[str, Any]) -> list[Row]:
    sizes = [33_000]
    if ctx["scale"] >= 30 or os.environ.get("BENCH_INTAKE_MILLION") == "1":
        sizes.append(1_000_000)
    rows = []
    for n in sizes:
        tag = f"{ctx['run_id']}-{n}"  # each size its own people: none skipped as imported
        path = make_csv(ctx["tmp"] / f"arrivals-{n}.csv", n, tag)
        base = baseline(path)
        base.count, base.throughput = n, round(n / base.seconds, 1)
        extra = []
        if have_import_arrivals():
            mine = ours(path)
            mine.count, mine.throughput = n, round(n / mine.seconds, 1)
            extra.append(floor(f"bench-{tag}-", ctx["tmp"]))
            extra.append(parse_only(path))
            for f in extra:
                f.count, f.throughput = n, round(n / f.seconds, 1)
        else:
            mine = Figure(
                name="import_arrivals",
                note="not measured: this tree has no import_arrivals command",
            )
        row = Row(
            what=f"intake of {n:,} arrivals",
            ours=mine,
            baseline=base,
            target="≤ 3× COPY, constant memory at a million rows",
            extra=extra,
        )
        row.met = None if row.ratio is None else row.ratio <= 3
        if extra and mine.seconds:
            floor_fig, parse_fig = extra
            row.notes.append(
                f"ours/floor {mine.seconds / floor_fig.seconds:.2f}× (ours/bare COPY "
                f"{row.ratio}×); parsing + validation alone {parse_fig.seconds} s, "
                f"{100 * parse_fig.seconds / mine.seconds:.0f} % of ours"
            )
        rows.append(row)
        path.unlink()
    return rows
