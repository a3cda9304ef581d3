"""Intake of 33,000 arrivals (and 1,000,000 at full scale): ``import_arrivals`` vs ``COPY``.

Both read the same CSV file. Ours runs ``manage.py import_arrivals`` as its own process (its
peak memory is that process's); the baseline ``COPY``s the file into a bare table with the
same columns (no constraints, no index), then the table is dropped. The imported arrivals
stay (external ids ``bench-<run>-…``: a new run imports new people).
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
        proc = subprocess.Popen(  # noqa: S603
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


def run(ctx: dict[str, Any]) -> list[Row]:
    sizes = [33_000]
    if ctx["scale"] >= 30 or os.environ.get("BENCH_INTAKE_MILLION") == "1":
        sizes.append(1_000_000)
    rows = []
    for n in sizes:
        path = make_csv(ctx["tmp"] / f"arrivals-{n}.csv", n, ctx["run_id"])
        base = baseline(path)
        base.count, base.throughput = n, round(n / base.seconds, 1)
        if have_import_arrivals():
            mine = ours(path)
            mine.count, mine.throughput = n, round(n / mine.seconds, 1)
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
        )
        row.met = None if row.ratio is None else row.ratio <= 3
        rows.append(row)
        path.unlink()
    return rows
