"""``make bench``: every row of ``docs/performance.md``'s table, each beside its baseline in
the same run.

    DATABASE_URL=postgres://… CELERY_BROKER_URL=redis://… BENCH_SCALE=30 make bench
    .venv/bin/python bench/run.py --only sweep,status      # some rows

Environment: ``BENCH_SCALE`` (seed_demo scale; 30 ≈ a million applications), ``BENCH_SECONDS``
(per wrk run, default 10), ``BENCH_CONNECTIONS`` (wrk connections, default 4),
``BENCH_WORKERS`` (gunicorn workers, default: cores), ``BENCH_DECISIONS``, ``BENCH_REMINDERS``,
``BENCH_INTAKE_MILLION=1`` (the 1,000,000-row intake below full scale).
Writes ``bench/results/<time>-scale<N>.json`` and the table in ``docs/performance.md``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import json
import os
import platform
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import common

ROWS = (
    "sweep",
    "intake",
    "sweep_after_import",  # the sweep again, on the database the intake has just filled
    "status",
    "api",
    "admin",
    "statistics",
    "name_search",
    "decisions",
    "permit_renewal",  # the group renewal of collective protection vs a bare UPDATE … RETURNING
    "scaleout",
    "delivery",  # reminder e-mails through an SMTP relay: 2 Celery workers vs 1
)


def analyse_written() -> list[str]:
    """``ANALYZE`` the tables a row wrote to (PostgreSQL's count of rows changed since the last
    analysis), as autovacuum would on a production server: without it every row after the
    intake ran on plans made for a quarter of the data. The tables analysed."""
    from django.db import connection

    time.sleep(1)  # a backend's counters reach the statistics views within a second
    with connection.cursor() as cur:
        cur.execute("SELECT pg_stat_clear_snapshot()")
        cur.execute(
            "SELECT schemaname, relname FROM pg_stat_user_tables "
            "WHERE n_mod_since_analyze > 0 ORDER BY relname"
        )
        tables = cur.fetchall()
        for schema, name in tables:
            cur.execute(f'ANALYZE "{schema}"."{name}"')
    return [name for _schema, name in tables]


class LoadSampler(threading.Thread):
    """The machine's load average every 2 s during the run (the machine may be shared)."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.samples: list[float] = []
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.samples.append(float(Path("/proc/loadavg").read_text().split()[0]))
            self.stop.wait(2)


def machine() -> dict:
    mem = Path("/proc/meminfo").read_text().splitlines()[0].split()[1]
    cpu = next(
        (ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
         if ln.startswith("model name")),
        platform.processor(),
    )  # fmt: skip
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SHOW server_version")
        pg = cur.fetchone()[0]
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "memory_gb": round(int(mem) / 1024 / 1024, 1),
        "python": platform.python_version(),
        "postgresql": pg,
        "kernel": platform.release(),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", default=os.environ.get("BENCH_ROWS", ""))
    parser.add_argument("--scale", type=float, default=float(os.environ.get("BENCH_SCALE", "30")))
    parser.add_argument(
        "--merge", type=Path, help="keep the rows of this earlier result that are not re-run"
    )
    parser.add_argument("--no-docs", action="store_true", help="do not rewrite the doc's table")
    args = parser.parse_args()
    common.require_services()
    common.django_setup()

    from django.contrib.auth import get_user_model

    from bench import dataset, report

    data = dataset.ensure(args.scale)
    print(f"dataset: {data}", flush=True)
    only = [r for r in args.only.split(",") if r] or list(ROWS)
    sampler = LoadSampler()
    sampler.start()
    started = dt.datetime.now(dt.UTC)
    results, failures = [], {}
    with tempfile.TemporaryDirectory(prefix="bench-") as tmp:
        ctx = {
            "scale": args.scale,
            "tmp": Path(tmp),
            "run_id": started.strftime("%Y%m%d%H%M%S"),
            "admin": get_user_model().objects.get(username="admin"),
            "workers": int(os.environ.get("BENCH_WORKERS", str(os.cpu_count() or 2))),
        }
        for name in only:
            print(f"--- {name}", flush=True)
            t = time.perf_counter()
            try:
                rows = importlib.import_module(f"bench.rows.{name}").run(ctx)
            except Exception:  # one broken row must not lose the others' figures
                failures[name] = traceback.format_exc()
                print(failures[name], file=sys.stderr, flush=True)
                analyse_written()  # what it wrote before failing
                continue
            for row in rows:
                judged = report.judge({"module": name, **row.as_dict()})
                print(json.dumps(judged, ensure_ascii=False), flush=True)
                results.append(judged)
            analysed = analyse_written()
            more = " …" if len(analysed) > 8 else ""
            print(
                f"    ({time.perf_counter() - t:.0f} s; then ANALYZE of {len(analysed)} "
                f"table(s) it wrote to: {', '.join(analysed[:8])}{more})",
                flush=True,
            )
    sampler.stop.set()
    load = sampler.samples or [0.0]
    if args.merge:
        earlier = json.loads(args.merge.read_text())
        kept = [r for r in earlier["rows"] if r.get("module") not in only]
        results = kept + results
        load += [earlier["load_during_run"]["min"], earlier["load_during_run"]["max"]]
        started = dt.datetime.fromisoformat(earlier["started"])
    out = {
        "started": started.isoformat(timespec="seconds"),
        "finished": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "load_during_run": {
            "min": min(load),
            "mean": round(sum(load) / len(load), 2),
            "max": max(load),
        },
        "dataset": data,
        "settings": {
            "wrk_seconds": common.WRK_SECONDS,
            "wrk_connections": common.WRK_CONNECTIONS,
            "gunicorn_workers": ctx["workers"],
        },
        "rows": results,
        "failures": failures,
    }
    results_dir = common.BENCH / "results"
    results_dir.mkdir(exist_ok=True)
    path = results_dir / f"{ctx['run_id']}-scale{args.scale:g}.json"
    path.write_text(json.dumps(out, indent=2, ensure_ascii=False) + "\n")
    print(f"results: {path.relative_to(common.ROOT)}")
    if not args.no_docs:
        report.write(out, path)
        print("table: docs/performance.md")
    if failures:
        sys.exit(f"rows that failed: {', '.join(failures)}")


if __name__ == "__main__":
    main()
