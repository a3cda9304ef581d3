"""Deadline sweep over all open deadlines vs one hand-written ``INSERT … SELECT``.

Both run inside a transaction that is rolled back, so the dataset is unchanged and each starts
from the same state; the rows each produced are fingerprinted (count and md5 of the sorted
keys) before the rollback, to show they produced the same rows. The statements each ran are
counted (the "queries" figure; savepoints aside).
"""

from __future__ import annotations

import gc
import time
from typing import Any

from bench.common import Figure, Row

FINGERPRINT = """
SELECT count(*), md5(coalesce(string_agg(
    deadline_id || '|' || recipient || '|' || kind || '|' || channel || '|' || cycle, ','
    ORDER BY deadline_id, recipient, kind, channel, cycle), ''))
FROM casework_reminder WHERE created_at = %s
"""


def handwritten_sql() -> tuple[str, list[Any]]:
    """One statement: open deadlines joined to a VALUES list of (source, reminder kind,
    audience, channel) built from the registry, the channels' eligibility written in SQL."""
    from casework.deadlines.channels import channels_for
    from casework.deadlines.registry import STAFF, sources

    values: list[str] = []
    params: dict[str, Any] = {}
    sms_rule = "1 = 0"  # the text-message channel's own rule (off while no gateway is set)
    representative_rule = "1 = 0"  # a minor's representative's channel: its own rule
    for spec in sources().values():
        for kind in spec.reminders:
            for audience in sorted(kind.audiences):
                for channel in channels_for(audience, kind.channels):
                    if channel.name == "sms":
                        sms_rule = channel.eligible_sql(audience)[0]
                    elif channel.name == "representative":
                        rule, rule_params = channel.eligible_sql(audience)
                        for j, value in enumerate(rule_params):  # its placeholders, named
                            rule = rule.replace("%s", f"%(rep{j})s", 1)
                            params[f"rep{j}"] = value
                        representative_rule = rule
                    elif channel.name not in ("admin", "email"):
                        raise RuntimeError(f"channel {channel.name}: eligibility not in the SQL")
                    i = len(values)
                    values.append(
                        f"(%(s{i})s, %(k{i})s, %(o{i})s::interval, %(r{i})s, %(b{i})s, "
                        f"%(a{i})s, %(c{i})s)"
                    )
                    params |= {
                        f"s{i}": spec.key,
                        f"k{i}": kind.name,
                        f"o{i}": f"{kind.offset.total_seconds()} seconds",
                        f"r{i}": kind.at_remind_from,
                        f"b{i}": kind.only_before_due,
                        f"a{i}": audience == STAFF,
                        f"c{i}": channel.name,
                    }
    sql = f"""
INSERT INTO casework_reminder
    (deadline_id, recipient, kind, channel, cycle, resend, status, created_at, attempts, failure)
SELECT d.id,
       CASE WHEN k.staff THEN 'user:' || d.recipient_user_id ELSE 'person:' || d.person_id END,
       k.kind, k.channel, d.cycle, 0, 'pending', %(now)s, 0, ''
FROM casework_deadline d
JOIN (VALUES {", ".join(values)}) AS k(source, kind, "offset", at_remind_from, before_due,
                                        staff, channel)
  ON d.source = k.source
LEFT JOIN auth_user u ON u.id = d.recipient_user_id
LEFT JOIN casework_person p ON p.id = d.person_id
WHERE d.closed_at IS NULL
  AND CASE WHEN k.at_remind_from THEN d.remind_from <= %(now)s
           ELSE d.due_at <= %(now)s - k."offset" END
  AND (NOT k.before_due OR d.due_at > %(now)s)
  AND CASE WHEN k.staff
           THEN d.recipient_user_id IS NOT NULL AND (k.channel <> 'email' OR u.email <> '')
           ELSE d.notify_person AND d.person_id IS NOT NULL
                AND (k.channel <> 'email' OR p.email <> '')
                AND (k.channel <> 'sms' OR ({sms_rule}))
                AND (k.channel <> 'representative' OR ({representative_rule})) END
ON CONFLICT DO NOTHING
"""
    return sql, params


def _timed(fn: Any, now: Any) -> tuple[float, tuple[int, str], int]:
    """Seconds, fingerprint of the rows made, and SQL statements run (savepoints aside)."""
    from django.db import connection, transaction

    statements = [0]

    def count(execute, sql, params, many, context):
        statements[0] += not sql.lstrip().startswith(("SAVEPOINT", "RELEASE SAVEPOINT"))
        return execute(sql, params, many, context)

    gc.collect()  # a collection of the set-up's garbage is no part of either side's time
    with transaction.atomic():
        with connection.execute_wrapper(count):
            start = time.perf_counter()
            fn(now)
            seconds = time.perf_counter() - start
        with connection.cursor() as cur:
            cur.execute(FINGERPRINT, [now])
            fingerprint = cur.fetchone()
        transaction.set_rollback(True)
    return seconds, fingerprint, statements[0]


def run(ctx: dict[str, Any]) -> list[Row]:
    from django.db import connection
    from django.utils import timezone

    from casework.deadlines.reminders import reminders_create_due
    from casework.models import Deadline

    sql, params = handwritten_sql()

    def ours(now: Any) -> None:
        reminders_create_due(now=now)

    def baseline(now: Any) -> None:
        with connection.cursor() as cur:
            cur.execute(sql, {**params, "now": now})

    open_deadlines = Deadline.objects.filter(closed_at=None).count()
    runs: dict[str, list[float]] = {"ours": [], "baseline": []}
    prints, statements = {}, {}
    for _ in range(int(ctx.get("repeat", 3))):  # alternate, keep the best of each
        # One moment for both sides (each runs in its own rolled-back transaction): with a
        # million open deadlines, a few reach their reminder time in the seconds between two
        # clock readings, and the two sides would rightly make different rows.
        now = timezone.now()
        for name, fn in (("ours", ours), ("baseline", baseline)):
            seconds, prints[name], statements[name] = _timed(fn, now)
            runs[name].append(seconds)
    same = prints["ours"] == prints["baseline"]
    rows = prints["ours"][0]
    mk = lambda name, secs, queries: Figure(  # noqa: E731
        name=name,
        seconds=round(min(secs), 4),
        throughput=round(rows / min(secs), 1) if rows else None,
        unit="reminders/s",
        count=rows,
        queries=queries,
        note=f"best of {len(secs)}: " + ", ".join(f"{s:.3f}" for s in secs),
    )
    row = Row(
        what=f"deadline sweep over {open_deadlines:,} open deadlines",
        ours=mk("sweep_deadlines (reminders_create_due)", runs["ours"], statements["ours"]),
        baseline=mk("one hand-written INSERT … SELECT", runs["baseline"], statements["baseline"]),
        target="≤ 2× the INSERT … SELECT",
        key="sweep",
        checks={"same_rows": same},
    )
    row.met = bool(same and row.ratio is not None and row.ratio <= 2)
    row.notes.append(
        f"same rows: {same} (ours {prints['ours'][0]} rows md5 {prints['ours'][1][:8]}, "
        f"baseline {prints['baseline'][0]} rows md5 {prints['baseline'][1][:8]})"
    )
    return [row]
