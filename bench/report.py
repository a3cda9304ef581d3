"""The table of ``docs/performance.md``, rewritten between its markers by each run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bench.common import ROOT

DOC = ROOT / "docs" / "performance.md"
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def _n(v: Any, unit: str = "") -> str:
    if v is None:
        return "–"
    if isinstance(v, float) and v >= 100:
        v = f"{v:,.0f}"
    return f"{v}{unit}"


def _fig(f: dict[str, Any]) -> str:
    if "throughput" not in f and "seconds" not in f:
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
    if "peak_mem_mb" in f:
        parts.append(f"peak {f['peak_mem_mb']} MB")
    if f.get("errors"):
        parts.append(f"**{f['errors']} errors**")
    return "; ".join(parts)


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
    for r in out["rows"]:
        kind = "time" if r["ratio_kind"] == "time" else "throughput"
        ratio = "–" if r["ratio"] is None else f"{r['ratio']} ({kind})"
        met = {True: "yes", False: "**no**", None: "–"}[r["met"]]
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
