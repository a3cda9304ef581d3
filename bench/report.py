"""The table of ``docs/performance.md``, rewritten between its markers by each run."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import ROOT

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


# --- the targets -------------------------------------------------------------------------------
# Each row names the target that judges it (``Row.key``); rows that name none (decisions and
# the Celery scale-out, whose mechanics live in their own modules) are recognised by module and
# title. A check returns the reasons a target is missed, from the row's own figures: none is
# "met". A row without the figure a check needs is "not met", its reason saying what is missing.

Check = Callable[[dict[str, Any]], list[str]]


@dataclass(frozen=True)
class Target:
    text: str
    check: Check | None  # None: a row shown for comparison, judged by nothing


def _get(row: dict[str, Any], side: str, key: str) -> Any:
    return row.get(side, {}).get(key)


def _ratio_at_least(limit: float, what: str) -> Check:
    def check(row: dict[str, Any]) -> list[str]:
        r = row.get("ratio")
        if r is None:
            return [f"no {what} ratio measured"]
        return [] if r >= limit else [f"{what} ratio {r} < {limit}"]

    return check


def _ratio_at_most(limit: float, what: str) -> Check:
    def check(row: dict[str, Any]) -> list[str]:
        r = row.get("ratio")
        if r is None:
            return [f"no {what} ratio measured"]
        return [] if r <= limit else [f"{what} {r}× > {limit}×"]

    return check


def _status(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_least(0.6, "CPU")(row)
    floor = row.get("checks", {}).get("floor_ratio")
    if why and floor is not None:  # the measured reason, beside the target it misses
        why.append(
            f"the floor (the bare view + CSRF, form, rate limits, the lookup's statement and "
            f"log row): {floor} of the bare view by CPU"
        )
    p99 = _get(row, "ours", "p99_ms")
    if p99 is None:
        why.append("no p99 measured")
    elif p99 >= 50:
        why.append(f"p99 {p99} ms ≥ 50 ms")
    return why + _errors(row)


def _errors(row: dict[str, Any]) -> list[str]:
    n = _get(row, "ours", "errors")
    return [f"{n} errors"] if n else []


def _api(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_least(0.7, "throughput")(row)
    if row.get("checks", {}).get("same_rows") is False:
        why.append("ours and the bare list listed different cases")
    return why + _errors(row)


def _admin(row: dict[str, Any]) -> list[str]:
    checks = row.get("checks", {})
    if checks.get("timed_out"):
        why = [f"a statement ran past {checks['timed_out']} s"]
        if checks.get("full_counts"):
            why.append(f"{checks['full_counts']} full COUNT(*)")
        return why
    why = []
    q = checks.get("queries", _get(row, "ours", "queries"))
    if q is None:
        why.append("queries not counted")
    elif q > 12:
        why.append(f"{q} queries > 12")
    if checks.get("full_counts"):
        why.append(f"{checks['full_counts']} full COUNT(*)")
    if _get(row, "baseline", "errors"):
        why.append(f"the bare view failed {_get(row, 'baseline', 'errors')} requests")
    slower = _ratio_at_most(2, "time per request")(row)
    floor = checks.get("floor_ratio")
    if slower and floor is not None:  # the measured reason, beside the target it misses
        slower.append(f"Django's own ModelAdmin over the same rows: {floor}× the bare view")
    return why + slower + _errors(row)


def _statistics(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_most(2, "time per request")(row)
    floor = row.get("checks", {}).get("floor_ratio")
    if why and floor is not None:  # the measured reason, beside the target it misses
        why.append(f"the same read through DRF's APIView: {floor}× the bare view")
    return why + _errors(row)


def _name_search(row: dict[str, Any]) -> list[str]:
    ms = row.get("checks", {}).get("search_ms", _get(row, "ours", "p50_ms"))
    if ms is None:
        return ["no search time measured"]
    return [] if ms <= 20 else [f"search {ms} ms > 20 ms"]


def _sweep(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_most(2, "time")(row)
    if row.get("checks", {}).get("same_rows") is False:
        why.append("ours and the INSERT … SELECT made different rows")
    return why


def _decisions(row: dict[str, Any]) -> list[str]:
    rate = _get(row, "ours", "throughput")
    if rate is None:
        return ["no decision rate measured"]
    why = [] if rate >= 300 else [f"{rate} decisions/s < 300"]
    if row.get("met") is False and not why:  # the row's own check: every case decided
        why.append("not every case was decided through the service")
    return why


def _permit_renewal(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_most(8, "time")(row)
    if row.get("checks", {}).get("all_renewed") is False:
        why.append("not every permit was renewed once through the service")
    return why


def _celery(row: dict[str, Any]) -> list[str]:
    why = _ratio_at_least(1.6, "throughput")(row)
    for side in ("ours", "baseline"):
        if _get(row, side, "errors"):
            why.append(f"{_get(row, side, 'errors')} deliveries failed ({side})")
    return why


TARGETS: dict[str, Target] = {
    "status": Target("≥ 0.6 of the bare view by CPU per request, p99 < 50 ms", _status),
    "status_all": Target("for comparison (the target is on waiting applicants)", None),
    "api": Target("≥ 0.7 of the bare DRF list with the same scope filter", _api),
    "admin": Target("≤ 12 queries, no full COUNT(*), ≤ 2× the bare view per request", _admin),
    "statistics": Target("≤ 2× a bare view reading precomputed rows", _statistics),
    "name_search": Target("≤ 20 ms (by index)", _name_search),
    "sweep": Target("≤ 2× its INSERT … SELECT", _sweep),
    "sweep_after_import": Target(
        "≤ 2× its INSERT … SELECT, also straight after a bulk import", _sweep
    ),
    "decisions": Target("≥ 300 decisions/s on two processes", _decisions),
    "permit_renewal": Target(
        "≤ 8× a bare UPDATE … RETURNING of the same rows (with renewal rows, audit, "
        "deadlines and notices)",
        _permit_renewal,
    ),
    "celery": Target("two Celery workers ≥ 1.6× one on I/O-bound delivery", _celery),
}


def target_key(row: dict[str, Any]) -> str:
    """The row's target: its own key, else recognised by module and title."""
    if row.get("key"):
        return row["key"]
    module, what = row.get("module", ""), row.get("what", "").lower()
    if module == "decisions" or "decisions" in what and "processes" in what:
        return "decisions"
    if module == "delivery" or "celery" in what and "smtp" in what:  # I/O-bound delivery
        return "celery"
    return ""


def judge(row: dict[str, Any]) -> dict[str, Any]:
    """The row with its target's text, ``met`` from the target's check, and the measured
    reasons where it is missed (``missed``). A row no target judges keeps its own."""
    target = TARGETS.get(target_key(row))
    if target is None:
        return row
    out = {**row, "target": target.text}
    if target.check is None:
        out["met"], out["missed"] = None, []
        return out
    why = target.check(row)
    out["met"], out["missed"] = not why, why
    return out


def _n(v: Any, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and v >= 100:
        v = f"{v:,.0f}"
    return f"{v}{unit}"


def _fig(f: dict[str, Any]) -> str:
    if not any(k in f for k in ("throughput", "seconds", "p50_ms")):
        return f"{f['name']}: {f.get('note', '')}"
    parts = [f"**{f['name']}**"]
    if "throughput" in f:
        parts.append(f"{_n(f['throughput'])} {f.get('unit', '')}")
    if "p50_ms" in f:
        parts.append(f"p50/p95/p99 {f['p50_ms']}/{f['p95_ms']}/{f['p99_ms']} ms")
    if "seconds" in f and "p50_ms" not in f:
        parts.append(f"{f['seconds']} s")
    if "queries" in f:
        parts.append(f"{f['queries']} queries")
    if "cpu_ms" in f:
        parts.append(f"CPU {f['cpu_ms']} ms/request")
    if "peak_mem_mb" in f:
        parts.append(f"peak {f['peak_mem_mb']} MB")
    if f.get("errors"):
        parts.append(f"**{f['errors']} errors**")
    if f.get("note"):
        parts.append(f["note"])
    return "; ".join(parts)


KINDS = {
    "time": "time",
    "throughput": "throughput",
    "cpu": "by CPU per request",
    "per_request": "time per request",
    "latency": "median latency",
}


def table(out: dict[str, Any], path: Path) -> str:
    m, load, d, s = out["machine"], out["load_during_run"], out["dataset"], out["settings"]
    lines = [
        f"Run {out['started']} → {out['finished']} (`{path.relative_to(ROOT)}`), "
        f"**BENCH_SCALE={d['scale']:g}**: {d['applications']:,} applications, "
        f"{d['people']:,} people, {d['open_deadlines']:,} open deadlines, "
        f"{d['audit_events']:,} audit events.",
        "",
        f"Machine: {m['nproc']} cores ({m['cpu']}), {m['memory_gb']} GB, PostgreSQL "
        f"{m['postgresql']}, Python {m['python']}; load average during the run "
        f"{load['min']}–{load['max']} (mean {load['mean']}): shared with other work, so "
        f"absolute figures are noisy and the ratios are what counts. wrk: "
        f"{s['wrk_seconds']} s per run, {s['wrk_connections']} connections; gunicorn: "
        f"{s['gunicorn_workers']} sync workers.",
        "",
        "| what | ours | baseline (same run) | ours/baseline | target | met |",
        "|---|---|---|---|---|---|",
    ]
    for r in map(judge, out["rows"]):
        kind = KINDS.get(r["ratio_kind"], r["ratio_kind"])
        ratio = "–" if r["ratio"] is None else f"{r['ratio']} ({kind})"
        met = {True: "yes", False: "**no**", None: "–"}[r["met"]]
        if r.get("missed"):
            met += ": " + "; ".join(r["missed"])
        notes = "<br>" + "; ".join(r["notes"]) if r["notes"] else ""
        extra = "".join(f"<br>{_fig(f)}" for f in r.get("extra", []))  # further baselines
        lines.append(
            f"| {r['what']} | {_fig(r['ours'])}{notes} | {_fig(r['baseline'])}{extra} | {ratio} | "
            f"{r['target']} | {met} |"
        )
    for name in out.get("failures", {}):
        lines.append(f"| {name} | failed (see the JSON) | | | | **no** |")
    return "\n".join(lines)


def write(out: dict[str, Any], path: Path) -> None:
    text = DOC.read_text() if DOC.exists() else f"# Performance\n\n{START}\n{END}\n"
    if START not in text:
        text += f"\n{START}\n{END}\n"
    head, rest = text.split(START, 1)
    _old, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{START}\n{table(out, path)}\n{END}{tail}")
