"""The deadline sweep again, right after the intake row: a database that has just taken a
bulk import (its arrivals' deadlines and recurring notices), measured as the sweep row is
(``bench/rows/sweep.py``), reported as its own row."""

from __future__ import annotations

from typing import Any

from bench.common import Row
from bench.rows import sweep


def run(ctx: dict[str, Any]) -> list[Row]:
    rows = sweep.run(ctx)
    for row in rows:
        row.what += ", straight after the intake's import"
        row.key = "sweep_after_import"
    return rows
