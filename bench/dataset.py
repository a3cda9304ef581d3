"""The benchmark's dataset: ``seed_demo --scale N``, built once and reused at the same scale.

The scale is remembered in a one-row table ``bench_dataset``; a database seeded at another
scale is refused (seed chunks of different scales would mix): use another database.
"""

from __future__ import annotations

from typing import Any

from django.core.management import call_command
from django.db import connection


def ensure(scale: float) -> dict[str, Any]:
    call_command("migrate", interactive=False, verbosity=0)
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE IF NOT EXISTS bench_dataset (scale double precision NOT NULL)")
        cur.execute("SELECT scale FROM bench_dataset")
        row = cur.fetchone()
    if row and row[0] != scale:
        raise SystemExit(
            f"This database holds the bench dataset at scale {row[0]:g}, not {scale:g}. "
            f"Use BENCH_SCALE={row[0]:g} or another database (DATABASE_URL)."
        )
    if not row:
        print(f"building the dataset: seed_demo --scale {scale:g} (once per database) …")
        call_command("seed_demo", scale=scale)
        with connection.cursor() as cur:
            cur.execute("INSERT INTO bench_dataset (scale) VALUES (%s)", [scale])
    with connection.cursor() as cur:
        # Planner statistics, as autovacuum keeps them on a production server. Where it is
        # off (as on the shared test machine) the freshly seeded tables had none: PostgreSQL
        # guessed one row for ``kind=collective&state=accepted`` (33,000 at scale 1) and
        # sorted them all for a page of 25 instead of reading the primary key backwards.
        cur.execute("ANALYZE")
        cur.execute(
            "SELECT (SELECT count(*) FROM casework_application), "
            "(SELECT count(*) FROM casework_person), "
            "(SELECT count(*) FROM casework_deadline WHERE closed_at IS NULL), "
            "(SELECT count(*) FROM casework_auditevent)"
        )
        apps, people, open_deadlines, events = cur.fetchone()
    return {
        "scale": scale,
        "applications": apps,
        "people": people,
        "open_deadlines": open_deadlines,
        "audit_events": events,
    }
