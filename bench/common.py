"""Shared machinery of the benchmark rows: environment checks, gunicorn, wrk, measurements.

Every row measures "ours" and its baseline in the same run, one after the other, on the
same data, so the ratio holds even on a noisy shared machine where absolute figures do not.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BENCH = ROOT / "bench"
LUA = BENCH / "lua"
PYTHON = sys.executable
WRK_SECONDS = int(os.environ.get("BENCH_SECONDS", "10"))
WRK_CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
# How long one request may take before it counts as failed: gunicorn's worker timeout and
# PostgreSQL's statement timeout for the bench's servers and in-process page checks.
STATEMENT_TIMEOUT_S = int(os.environ.get("BENCH_STATEMENT_TIMEOUT", "60"))


def require_services() -> None:
    """Refuse clearly unless PostgreSQL and Redis are configured (no SQLite figures)."""
    db = os.environ.get("DATABASE_URL", "")
    broker = os.environ.get("CELERY_BROKER_URL", "")
    problems = []
    if not db.startswith(("postgres://", "postgresql://")):
        problems.append("DATABASE_URL=postgres://… (SQLite figures would mean nothing)")
    if not broker.startswith("redis://"):
        problems.append("CELERY_BROKER_URL=redis://…")
    if not shutil.which("wrk"):
        problems.append("wrk on the PATH (Debian: apt-get install -y wrk)")
    if problems:
        sys.exit("make bench refuses to run: it needs " + " and ".join(problems) + ".")


def django_setup() -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "bench.settings"
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- results ---------------------------------------------------------------------------------


@dataclass
class Figure:
    """One measured thing: ours or a baseline."""

    name: str
    throughput: float | None = None  # operations (requests, rows, decisions) per second
    unit: str = "req/s"
    p50_ms: float | None = None
    p95_ms: float | None = None
    p99_ms: float | None = None
    queries: float | None = None  # per request / per operation
    cpu_ms: float | None = None  # the web workers' user + system CPU per request
    peak_mem_mb: float | None = None
    seconds: float | None = None
    count: int | None = None
    errors: int | None = None
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {k: v for k, v in asdict(self).items() if v not in (None, "")}


@dataclass
class Row:
    """One row of the table in ``docs/performance.md``: ours beside its baseline, their ratio,
    the target."""

    what: str
    ours: Figure
    baseline: Figure
    target: str
    # "time": ours/baseline of seconds; "throughput": ours/baseline of req/s; "cpu": the
    # baseline's CPU per request / ours (1 = as cheap as the baseline, 0.5 = twice the CPU);
    # "per_request": ours/baseline of the time per request (baseline req/s / ours);
    # "latency": ours/baseline of the median latency.
    ratio_kind: str = "time"
    met: bool | None = None
    notes: list[str] = field(default_factory=list)
    extra: list[Figure] = field(default_factory=list)
    key: str = ""  # which target judges this row (``report.TARGETS``)
    checks: dict[str, Any] = field(default_factory=dict)  # measured facts the target reads

    @property
    def ratio(self) -> float | None:
        if self.ratio_kind == "time":
            a, b = self.ours.seconds, self.baseline.seconds
        elif self.ratio_kind == "cpu":
            a, b = self.baseline.cpu_ms, self.ours.cpu_ms
        elif self.ratio_kind == "per_request":
            a, b = self.baseline.throughput, self.ours.throughput
        elif self.ratio_kind == "latency":
            a, b = self.ours.p50_ms, self.baseline.p50_ms
        else:
            a, b = self.ours.throughput, self.baseline.throughput
        if not a or not b:
            return None
        return round(a / b, 3)

    def as_dict(self) -> dict[str, Any]:
        return {
            "what": self.what,
            "ours": self.ours.as_dict(),
            "baseline": self.baseline.as_dict(),
            "ratio": self.ratio,
            "ratio_kind": self.ratio_kind,
            "target": self.target,
            "met": self.met,
            "notes": self.notes,
            "extra": [f.as_dict() for f in self.extra],
            "key": self.key,
            "checks": self.checks,
        }


# --- processes -------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pid: int) -> float | None:
    """The process's peak resident set (VmHWM), from /proc."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


CLOCK_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def cpu_seconds(pid: int) -> float:
    """User + system CPU the process has used so far (``/proc/<pid>/stat`` fields 14 and 15,
    in clock ticks); 0 for a process that is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return 0.0
    # The command name (field 2) is in parentheses and may hold spaces: count after it.
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def cpu_per_request_ms(before: dict[int, float], after: dict[int, float], requests: int) -> float:
    """Milliseconds of CPU per request from two readings of the workers' CPU (pid → seconds).

    A worker that started during the run counts from 0; one gone by its end is not counted
    (gunicorn restarts a worker only when it fails or times out, which the errors show).
    """
    if requests <= 0:
        return 0.0
    used = sum(after.get(pid, before.get(pid, 0.0)) - before.get(pid, 0.0) for pid in after)
    return round(1000 * used / requests, 3)


def children(pid: int) -> list[int]:
    try:
        out = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return []
    return [int(p) for p in out]


class Gunicorn:
    """gunicorn on loopback with the bench settings, started and stopped by the runner."""

    def __init__(self, workers: int = 1) -> None:
        self.workers = workers
        self.port = free_port()
        self.proc: subprocess.Popen | None = None
        self.log = tempfile.NamedTemporaryFile(prefix="bench-gunicorn-", suffix=".log")  # noqa: SIM115

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gunicorn:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "bench.settings",
            # A statement is cancelled when gunicorn would give up on its request: without it a
            # killed worker's query runs on in PostgreSQL (minutes) and loads every later figure.
            "PGOPTIONS": f"-c statement_timeout={STATEMENT_TIMEOUT_S * 1000}",
        }
        self.proc = subprocess.Popen(
            [
                str(Path(PYTHON).parent / "gunicorn"),
                "bench.wsgi:application",
                "--workers",
                str(self.workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--worker-class",
                "sync",
                "--timeout",
                str(STATEMENT_TIMEOUT_S),
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            # Any answer means a worker serves. /healthz answers 503 where the scheduled work
            # is not current, as in a bench database that no beat has swept: not our concern.
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=5)  # noqa: S310
                serving = True
            except urllib.error.HTTPError:
                serving = True
            except OSError:
                serving = False
            if serving and len(children(self.proc.pid)) >= self.workers:
                return self
            if self.proc.poll() is not None:
                break
            time.sleep(0.3)
        self.log.seek(0)
        raise RuntimeError("gunicorn did not start:\n" + self.log.read().decode()[-2000:])

    def worker_cpu(self) -> dict[int, float]:
        """Each worker's CPU seconds so far (the master, which serves no request, left out)."""
        return {p: cpu_seconds(p) for p in children(self.proc.pid)} if self.proc else {}

    def worker_peak_mb(self) -> float | None:
        peaks = [peak_rss_mb(p) for p in children(self.proc.pid)] if self.proc else []
        peaks = [p for p in peaks if p is not None]
        return max(peaks) if peaks else None

    def __exit__(self, *exc: object) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()


_DONE_RE = re.compile(r"^BENCH (\{.*\})$", re.M)


def wrk(
    url: str,
    script: str,
    *,
    env: dict[str, str] | None = None,
    seconds: int | None = None,
    connections: int | None = None,
    server: Gunicorn | None = None,
) -> dict[str, Any]:
    """Run wrk for a bounded time with a lua script; return its JSON summary (see lua/).

    With ``server``, the summary also holds ``cpu_ms``: its workers' CPU per request over the
    run (read from /proc before and after)."""
    seconds = seconds or WRK_SECONDS
    connections = connections or WRK_CONNECTIONS
    cmd = [
        "wrk",
        "-t1",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA / script),
        url,
    ]
    before = server.worker_cpu() if server else {}
    out = subprocess.run(
        cmd, capture_output=True, text=True, env={**os.environ, **(env or {})}, check=True
    ).stdout
    after = server.worker_cpu() if server else {}
    m = _DONE_RE.search(out)
    if not m:
        raise RuntimeError("wrk gave no summary:\n" + out)
    summary = json.loads(m.group(1))
    if server:
        summary["cpu_ms"] = cpu_per_request_ms(before, after, summary["requests"])
    return summary


def http_figure(name: str, summary: dict[str, Any], server: Gunicorn, queries: float | None):
    errors = summary["errors_status"] + summary["errors_other"]
    return Figure(
        name=name,
        throughput=round(summary["requests"] / summary["seconds"], 1),
        p50_ms=round(summary["p50_us"] / 1000, 1),
        p95_ms=round(summary["p95_us"] / 1000, 1),
        p99_ms=round(summary["p99_us"] / 1000, 1),
        queries=queries,
        cpu_ms=summary.get("cpu_ms"),
        peak_mem_mb=server.worker_peak_mb(),
        count=summary["requests"],
        errors=errors,
        seconds=summary["seconds"],
    )


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


def sql_statements(captured: list[dict[str, Any]]) -> list[str]:
    """The SQL queries captured, without transaction control (BEGIN, COMMIT, SAVEPOINT …)."""
    return [q["sql"] for q in captured if not q["sql"].lstrip().upper().startswith(
        TRANSACTION_CONTROL
    )]  # fmt: skip


class StatementTimeout:
    """The bench process's own statements cancelled after ``STATEMENT_TIMEOUT_S``, as its
    servers' are (an in-process page check must not wait minutes on one statement)."""

    def __enter__(self) -> StatementTimeout:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(f"SET statement_timeout = {STATEMENT_TIMEOUT_S * 1000}")
        return self

    def __exit__(self, *exc: object) -> None:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute("SET statement_timeout = 0")


def count_queries(method: str, path: str, **kwargs: Any) -> tuple[int, int]:
    """(status, queries) of one request in-process (the second of two: caches warm); queries
    are SQL statements other than transaction control."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = kwargs.pop("client", None) or Client()
    for _ in range(2):
        with CaptureQueriesContext(connection) as ctx:
            response = getattr(client, method)(path, **kwargs)
    return response.status_code, len(sql_statements(ctx.captured_queries))


def write_lines(path: Path, lines: list[str]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def timed_gets(
    server: Gunicorn,
    name: str,
    paths: list[str],
    *,
    headers: dict[str, str] | None = None,
    max_requests: int = 20,
    max_seconds: float = 30.0,
    queries: float | None = None,
) -> Figure:
    """GET ``paths`` in turn, one at a time, until ``max_requests`` or ``max_seconds``: for pages
    too slow for wrk's timeout. Each answer must be 200. Latency percentiles over the requests
    made; CPU per request from the workers as for wrk."""
    times: list[float] = []
    errors = 0
    before = server.worker_cpu()
    start = time.perf_counter()
    while len(times) < max_requests and time.perf_counter() - start < max_seconds:
        path = paths[len(times) % len(paths)]
        request = urllib.request.Request(server.base + path, headers=headers or {})  # noqa: S310
        t = time.perf_counter()
        try:
            with urllib.request.urlopen(request, timeout=120) as response:  # noqa: S310
                response.read()
                errors += response.status != 200
        except OSError:
            errors += 1
        times.append(time.perf_counter() - t)
    seconds = time.perf_counter() - start
    after = server.worker_cpu()
    ordered = sorted(times)

    def pct(p: float) -> float:
        return round(1000 * ordered[min(len(ordered) - 1, int(p * len(ordered)))], 1)

    return Figure(
        name=name,
        throughput=round(len(times) / seconds, 2),
        p50_ms=pct(0.5),
        p95_ms=pct(0.95),
        p99_ms=pct(0.99),
        queries=queries,
        cpu_ms=cpu_per_request_ms(before, after, len(times)),
        peak_mem_mb=server.worker_peak_mb(),
        count=len(times),
        errors=errors,
        seconds=round(seconds, 3),
    )
