"""Reminder machinery: the sweep that creates reminder rows, their queueing and delivery.

The rows are the truth (an outbox). Every step is safe to repeat or to run twice at once:

1. **create** (``reminders_create_due``): one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
   joining the open deadlines to a ``VALUES`` list of every source × reminder kind ×
   audience × channel in the registry; the unique key (deadline, recipient, kind, channel,
   cycle, resend) makes a second sweep create nothing. Recurring notices are then moved on by
   a set-based UPDATE, in the same statement on PostgreSQL (a data-modifying ``WITH``).
2. **reclaim** (``reminders_reclaim_stale``): a row left ``sending`` longer than
   ``REMINDER_CLAIM_TIMEOUT`` (its worker died mid-delivery) goes back to ``pending``.
3. **enqueue** (``reminders_enqueue_pending``): pending rows not queued recently are marked
   ``queued_at`` (rows locked with SKIP LOCKED, so two sweeps never queue the same row) and one
   ``deliver_reminder(id)`` message each is published. If the broker is down the marks are
   undone and the next sweep tries again; nothing raises.
4. **deliver** (``reminder_deliver``, run by the task): claim the row with a conditional
   UPDATE ``pending → sending`` (a duplicate message finds nothing to claim), send through the
   channel outside any transaction, then mark it ``sent``. A failure is recorded (reason,
   attempts) and retried with backoff; after ``REMINDER_MAX_ATTEMPTS`` the row is ``failed``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Case, F, Q, Value, When
from django.utils import timezone

from casework.core.heartbeats import SWEEP, recorded_run
from casework.core.queue import task_named
from casework.core.statements import insert_values, prepared_cursor
from casework.deadlines.channels import PermanentDeliveryError, channels_for, get_channel
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.models import Deadline, Reminder
from casework.deadlines.registry import STAFF, DeadlineSource, sources
from casework.people.models import Person
from casework.staff.users import AnyUser

log = logging.getLogger(__name__)

# The delivery task (``tasks.deliver_reminder``), enqueued by name: the task module imports
# this one.
DELIVER_TASK = "casework.tasks.deliver_reminder"


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def claim_timeout() -> dt.timedelta:
    """How long a ``sending`` claim is trusted; well above the delivery task's time limit."""
    return dt.timedelta(seconds=_setting("REMINDER_CLAIM_TIMEOUT", 600))


def requeue_after() -> dt.timedelta:
    """How long a queued, still pending reminder waits before the sweep queues it again."""
    return dt.timedelta(seconds=_setting("REMINDER_REQUEUE_AFTER", 1800))


def max_attempts() -> int:
    return int(_setting("REMINDER_MAX_ATTEMPTS", 6))


def retry_countdown(attempts: int) -> int:
    """Exponential backoff: base, 2×base, 4×base … capped (seconds; short, no long ETAs)."""
    base = _setting("REMINDER_RETRY_BACKOFF", 30)
    cap = _setting("REMINDER_RETRY_BACKOFF_MAX", 600)
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


# --- 1. create ------------------------------------------------------------------------------------

_COLUMNS = (
    "deadline_id",
    "recipient",
    "kind",
    "channel",
    "cycle",
    "resend",
    "status",
    "created_at",
    "attempts",
    "failure",
)


@dataclass
class Created:
    counts: Counter = field(default_factory=Counter)  # (source, kind) -> rows created
    ids: list[int] = field(default_factory=list)
    advanced: int = 0  # recurring deadlines moved on to their next occurrence

    @property
    def total(self) -> int:
        return sum(self.counts.values())


_EARLIEST = dt.datetime(1, 1, 2, tzinfo=dt.UTC)  # open bounds of a due_at range


_LATEST = dt.datetime(9999, 12, 30, tzinfo=dt.UTC)


def _sql_time(value: dt.datetime) -> Any:
    """A datetime as the backend stores it (SQLite: naive UTC text), for hand-written SQL."""
    return connection.ops.adapt_datetimefield_value(value)


@dataclass
class _DueInsert:
    """The sweep's reminder ``INSERT``: the ``k`` list as a CTE body, and the statement."""

    values: str  # "k (…) AS (VALUES …)"
    values_params: list[Any]
    insert: str  # "INSERT INTO reminder (…) SELECT … ON CONFLICT DO NOTHING"
    insert_params: list[Any]


def _due_insert(
    specs: list[DeadlineSource],
    now: dt.datetime,
    deadline_ids: list[int] | None,
    deadlines_from: str | None = None,
) -> _DueInsert | None:
    """``k``: one row per source × reminder kind × audience × channel taken from the registry,
    and the ``INSERT … SELECT … ON CONFLICT DO NOTHING`` joining the open deadlines to it on
    their source, so a whole sweep is one statement whatever the number of sources. Each
    channel's eligibility is a SQL condition (``Channel.eligible_sql``) chosen per row of ``k``
    by its index ``elig``. None when no reminder kind has any channel. ``deadlines_from``
    reads the deadlines from a ``WITH`` query of the same columns instead of their table (a
    deadline being inserted by the same statement, ``reminders_for_new_deadline``).
    """
    rows: list[str] = []
    values_params: list[Any] = []
    rules: list[tuple[str, list[Any]]] = []
    rule_index: dict[tuple[str, str], int] = {}
    for spec in specs:
        for kind in spec.reminders:
            for audience in sorted(kind.audiences):
                for channel in channels_for(audience, kind.channels):
                    key = (channel.name, audience)
                    if key not in rule_index:
                        sql, rule_params = channel.eligible_sql(audience)
                        if sql:
                            rules.append((sql, rule_params))
                        rule_index[key] = len(rules) if sql else 0
                    rows.append("(%s, %s, %s, %s, %s, %s, %s, %s)")
                    # Due when due_at is in (after, until]: an index range on (source, due_at).
                    values_params += [
                        spec.key,
                        kind.name,
                        _sql_time(now if kind.only_before_due else _EARLIEST),
                        _sql_time(_LATEST if kind.at_remind_from else now - kind.offset),
                        kind.at_remind_from,
                        audience == STAFF,
                        channel.name,
                        rule_index[key],
                    ]
    if not rows:
        return None
    sql_now = _sql_time(now)
    qn = connection.ops.quote_name
    eligibility = " OR ".join(
        ["k.elig = 0", *(f"(k.elig = {i} AND ({sql}))" for i, (sql, _p) in enumerate(rules, 1))]
    )
    only = ""
    if deadline_ids is not None:
        only = f"AND d.id IN ({', '.join(['%s'] * len(deadline_ids))})"
    insert = f"""INSERT INTO {qn(Reminder._meta.db_table)} ({", ".join(qn(c) for c in _COLUMNS)})
SELECT d.id,
       CASE WHEN k.staff THEN 'user:' || d.recipient_user_id ELSE 'person:' || d.person_id END,
       k.kind, k.channel, d.cycle, 0, %s, %s, 0, ''
FROM {deadlines_from or qn(Deadline._meta.db_table)} d
JOIN k ON d.source = k.source
LEFT JOIN {qn(get_user_model()._meta.db_table)} u ON u.id = d.recipient_user_id
LEFT JOIN {qn(Person._meta.db_table)} p ON p.id = d.person_id
WHERE d.closed_at IS NULL
  AND d.due_at > k.after AND d.due_at <= k.until
  AND (NOT k.at_remind_from OR d.remind_from <= %s)
  AND CASE WHEN k.staff THEN d.recipient_user_id IS NOT NULL
           ELSE d.notify_person AND d.person_id IS NOT NULL END
  AND ({eligibility})
  {only}
ON CONFLICT DO NOTHING"""  # noqa: S608  # nosec B608 - identifiers quoted, values parameters
    insert_params = [ReminderStatus.PENDING.value, sql_now, sql_now]
    insert_params += [p for _sql, rule_params in rules for p in rule_params]
    insert_params += list(deadline_ids or [])
    return _DueInsert(
        values="k (source, kind, after, until, at_remind_from, staff, channel, elig) "
        f"AS (VALUES {', '.join(rows)})",
        values_params=values_params,
        insert=insert,
        insert_params=insert_params,
    )


def _advance_update(
    specs: list[DeadlineSource], now: dt.datetime, deadline_ids: list[int] | None
) -> tuple[str, list[Any]] | None:
    """PostgreSQL: the ``UPDATE`` moving recurring deadlines on, for the sweep's CTE."""
    recurring = [(spec, spec.every) for spec in specs if spec.every]
    if not recurring:
        return None
    values: list[str] = []
    params: list[Any] = []
    for spec, every in recurring:
        last = max(k.offset for k in spec.reminders)
        values.append("(%s, %s, %s, %s, %s, %s)")
        params += [
            spec.key,
            now - last,  # every reminder of this occurrence has fired
            now - every,  # a whole period behind: start again from now
            now + every,
            now + every + spec.first_offset,
            every,
        ]
    only = ""
    if deadline_ids is not None:
        only = f"AND d.id IN ({', '.join(['%s'] * len(deadline_ids))})"
        params += list(deadline_ids)
    table = connection.ops.quote_name(Deadline._meta.db_table)
    statement = f"""
UPDATE {table} AS d SET
    due_at = CASE WHEN d.due_at <= r.behind THEN r.restart ELSE d.due_at + r.every END,
    remind_from = CASE WHEN d.due_at <= r.behind THEN r.restart_remind
                       ELSE d.remind_from + r.every END,
    cycle = d.cycle + 1
FROM (VALUES {", ".join(values)}) AS r (source, fired, behind, restart, restart_remind, every)
WHERE d.source = r.source AND d.closed_at IS NULL AND d.due_at <= r.fired {only}
RETURNING 1"""  # noqa: S608  # nosec B608 - identifiers quoted, values parameters
    return statement, params


def reminders_create_due(
    *,
    now: dt.datetime | None = None,
    deadline_ids: list[int] | None = None,
    returning: bool = False,
    source_keys: list[str] | None = None,
) -> Created:
    """Create the reminder rows of every open deadline whose reminder time has come, and move
    recurring deadlines whose reminders have all fired on to their next occurrence.

    One statement per sweep on PostgreSQL, whatever the number of sources and deadlines
    (it was one ``INSERT … SELECT`` per source × kind × audience × channel, ~60
    statements): a ``WITH`` holding the reminder ``INSERT`` (``RETURNING`` the new rows, so
    the counts per source and kind stay) and the recurring deadlines' ``UPDATE``. Both see the
    deadlines as they were before the statement, so a notice is created for the occurrence
    that fell due, then the deadline moves on. SQLite runs the same ``INSERT`` and one
    ``UPDATE`` per recurring source, in one transaction. ``deadline_ids`` narrows it to some
    deadlines and ``source_keys`` to some sources (``deadline_set`` reminds at once of a
    deadline that is already close); ``returning`` fills ``ids`` with the new rows' ids.
    """
    now = now or timezone.now()
    result = Created()
    if deadline_ids is not None and not deadline_ids:
        return result
    registry = sources()
    if source_keys is None:
        specs = list(registry.values())
    else:
        specs = [registry[key] for key in source_keys if key in registry]
    insert = _due_insert(specs, now, deadline_ids)
    if connection.vendor == "postgresql":
        advance = _advance_update(specs, now, deadline_ids)
        _create_due_postgresql(result, insert, advance, returning)
        return result
    with transaction.atomic(savepoint=False):  # one unit, as the PostgreSQL statement is
        if insert is not None:
            deadline = connection.ops.quote_name(Deadline._meta.db_table)
            source_of = f"(SELECT source FROM {deadline} WHERE id = deadline_id)"  # noqa: S608  # nosec B608
            statement = f"WITH {insert.values}\n{insert.insert}\nRETURNING id, kind, {source_of}"
            with connection.cursor() as cursor:
                cursor.execute(statement, insert.values_params + insert.insert_params)
                for reminder_id, kind, source in cursor.fetchall():
                    result.counts[(source, kind)] += 1
                    if returning:
                        result.ids.append(reminder_id)
        for spec in specs:
            if spec.every:
                result.advanced += _advance_recurring(spec, spec.every, now, deadline_ids)
    return result


def reminders_for_new_deadline(
    deadline: Deadline, insert_sql: str, insert_params: list[Any], now: dt.datetime
) -> tuple[int | None, list[int]]:
    """PostgreSQL: insert a new deadline (``insert_sql``: its ``INSERT … ON CONFLICT DO
    NOTHING`` without ``RETURNING``) and create its reminders already due, in one statement;
    its key (None when the source already had a deadline for the object: nothing is written)
    and the new reminders' ids.

    The rule is the sweep's (``_due_insert``, the same ``INSERT … SELECT``) applied to the new
    row as the ``INSERT`` returns it: what ``insert_if_new`` followed by
    ``reminders_create_due(deadline_ids=[its id])`` write, in one round trip instead of two
    (a decision tells the applicant at once: one of its statements). Not for recurring
    sources, whose sweep also moves the deadline on.
    """
    spec = sources()[deadline.source]
    assert not spec.every, "a recurring source's deadline is moved on by the sweep"
    due = _due_insert([spec], now, None, deadlines_from="new_deadline")
    statement = f"WITH new_deadline AS ({insert_sql} RETURNING *)"
    params = list(insert_params)
    if due is None:
        statement += "\nSELECT id, ARRAY[]::bigint[] FROM new_deadline"
    else:
        statement += (
            f", {due.values}, ins AS ({due.insert}\nRETURNING id)\n"  # noqa: S608  # nosec B608 - built from the registry, values parameters
            "SELECT id, ARRAY(SELECT id FROM ins ORDER BY id) FROM new_deadline"
        )
        params += due.values_params + due.insert_params
    # Its text is fixed per source (the times are parameters): prepared once per connection.
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    return (None, []) if row is None else (row[0], list(row[1]))


def deadlines_closed_and_opened(
    *, closing: list[str], object_id: int, opening: list[Deadline], now: dt.datetime
) -> tuple[set[str], list[int]]:
    """PostgreSQL: what a transition does to its deadlines, in one statement: close the open
    deadlines of ``closing`` for ``object_id`` and cancel their pending reminders
    (``statements.close_open``); insert the new rows ``opening`` (none recurring, none of a
    source being closed) where their source has no deadline for the object yet; and create
    the reminders already due of those told at once (``reminders_for_new_deadline``'s rule).
    The sources inserted (the caller moves the others with ``deadline_set``) and the new
    reminders' ids.

    A decision closes the examination's deadlines and opens the applicant's notice and the
    delivery deadline: three statements, one round trip."""
    qn = connection.ops.quote_name
    table, reminder = qn(Deadline._meta.db_table), qn(Reminder._meta.db_table)
    meta = Deadline._meta
    fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
    ctes: list[str] = []
    params: list[Any] = []
    if closing:
        ctes += [
            f"closed AS (UPDATE {table} SET closed_at = %s WHERE object_id = %s "  # noqa: S608  # nosec B608
            f"AND source IN ({', '.join(['%s'] * len(closing))}) AND closed_at IS NULL "
            "RETURNING id)",
            f"cancelled AS (UPDATE {reminder} SET status = %s "  # noqa: S608  # nosec B608
            "WHERE status = %s AND deadline_id IN (SELECT id FROM closed))",
        ]
        params += [connection.ops.adapt_datetimefield_value(now), object_id, *closing]
        params += [ReminderStatus.CANCELLED.value, ReminderStatus.PENDING.value]
    row = f"({', '.join(['%s'] * len(fields))})"
    ctes.append(
        f"new_deadline AS (INSERT INTO {table} ({', '.join(qn(f.column) for f in fields)}) "  # noqa: S608  # nosec B608
        f"VALUES {', '.join([row] * len(opening))} "
        "ON CONFLICT (source, object_id) DO NOTHING RETURNING *)"
    )
    for deadline in opening:
        params += insert_values(deadline, fields, connection)
    told = [sources()[d.source] for d in opening if d.remind_from <= now]
    due = _due_insert(told, now, None, deadlines_from="new_deadline") if told else None
    reminded = "ARRAY[]::bigint[]"
    if due is not None:
        ctes += [due.values, f"ins AS ({due.insert}\nRETURNING id)"]
        params += due.values_params + due.insert_params
        reminded = "ARRAY(SELECT id FROM ins ORDER BY id)"
    # Built from the models' metadata and the registry; every value is a parameter.
    statement = f"WITH {', '.join(ctes)}\nSELECT source, {reminded} FROM new_deadline"  # nosec B608
    with prepared_cursor() as cursor:
        cursor.execute(statement, params)
        rows = cursor.fetchall()
    return {source for source, _ids in rows}, (list(rows[0][1]) if rows else [])


def _create_due_postgresql(
    result: Created,
    insert: _DueInsert | None,
    advance: tuple[str, list[Any]] | None,
    returning: bool,
) -> None:
    """The whole sweep as one statement: ``WITH k, ins (the INSERT), adv (the UPDATE)``,
    returning a row per (source, kind) with its count (per new reminder with ``returning``)
    and one with the number of recurring deadlines moved on."""
    ctes: list[str] = []
    params: list[Any] = []
    selects: list[str] = []
    deadline = connection.ops.quote_name(Deadline._meta.db_table)
    if insert is not None:
        ctes += [insert.values, f"ins AS ({insert.insert}\nRETURNING id, deadline_id, kind)"]
        params += insert.values_params + insert.insert_params
        join = f"FROM ins JOIN {deadline} d ON d.id = ins.deadline_id"
        if returning:
            selects.append(f"SELECT 'r', d.source, ins.kind, ins.id {join}")
        else:
            selects.append(
                f"SELECT 'r', d.source, ins.kind, count(*) {join} GROUP BY d.source, ins.kind"
            )
    if advance is not None:
        ctes.append(f"adv AS ({advance[0]})")
        params += advance[1]
        selects.append("SELECT 'a', NULL, NULL, count(*) FROM adv")
    if not ctes:
        return
    statement = f"WITH {', '.join(ctes)}\n{' UNION ALL '.join(selects)}"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        for what, source, kind, n in cursor.fetchall():
            if what == "a":
                result.advanced += n
            elif returning:
                result.counts[(source, kind)] += 1
                result.ids.append(n)
            else:
                result.counts[(source, kind)] += n


def _advance_recurring(
    spec: DeadlineSource, every: dt.timedelta, now: dt.datetime, deadline_ids: Any
) -> int:
    """Move recurring deadlines whose reminders have all fired to their next occurrence.

    A sweep that did not run for longer than the period starts again from now rather than
    sending the missed notices one after another. (PostgreSQL: the same rule as one
    ``UPDATE … FROM (VALUES …)`` inside the sweep's statement, ``_advance_update``.)
    """
    last = max(k.offset for k in spec.reminders)
    qs = Deadline.objects.filter(source=spec.key, closed_at=None, due_at__lte=now - last)
    if deadline_ids is not None:
        qs = qs.filter(pk__in=deadline_ids)
    behind = Q(due_at__lte=now - every)
    return qs.update(
        due_at=Case(When(behind, then=Value(now + every)), default=F("due_at") + every),
        remind_from=Case(
            When(behind, then=Value(now + every + spec.first_offset)),
            default=F("remind_from") + every,
        ),
        cycle=F("cycle") + 1,
    )


# --- 2. reclaim -----------------------------------------------------------------------------------


def reminders_reclaim_stale(*, now: dt.datetime | None = None) -> int:
    """Put reminders whose delivery was interrupted (worker killed) back in the queue."""
    now = now or timezone.now()
    return Reminder.objects.filter(
        status=ReminderStatus.SENDING, claimed_at__lt=now - claim_timeout()
    ).update(
        status=ReminderStatus.PENDING,
        queued_at=None,
        failure="delivery interrupted (worker lost); retried by the sweep",
    )


# --- 3. enqueue -----------------------------------------------------------------------------------


def _publish(ids: list[int]) -> tuple[list[int], list[int]]:
    """Publish one delivery message per id; stop at the first broker error (it is down)."""
    deliver_reminder = task_named(DELIVER_TASK)
    published: list[int] = []
    try:
        with deliver_reminder.app.producer_or_acquire() as producer:
            for reminder_id in ids:
                deliver_reminder.apply_async((reminder_id,), producer=producer)
                published.append(reminder_id)
    except Exception as exc:  # any broker failure: rows stay pending
        log.warning(
            "broker unavailable (%s); %d reminders left for the next sweep",
            type(exc).__name__,
            len(ids) - len(published),
        )
    return published, ids[len(published) :]


def _chunks(ids: list[int], size: int = 2000):
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def reminders_enqueue_pending(
    *, now: dt.datetime | None = None, limit: int | None = None
) -> tuple[int, int]:
    """Queue delivery of pending reminders not queued recently. Returns (queued, failed)."""
    now = now or timezone.now()
    limit = limit or int(_setting("REMINDER_ENQUEUE_BATCH", 10000))
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after()))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        for chunk in _chunks(ids):
            Reminder.objects.filter(id__in=chunk).update(queued_at=now)
    published, failed = _publish(ids)
    for chunk in _chunks(failed):
        Reminder.objects.filter(id__in=chunk, queued_at=now).update(queued_at=None)
    return len(published), len(failed)


def reminders_enqueue_on_commit(ids: list[int]) -> None:
    """After the caller's commit, queue these reminders; a dead broker is logged, not raised
    (the rows stay pending and the next sweep queues them)."""
    if not ids:
        return

    def send() -> None:
        published, _failed = _publish(list(ids))
        for chunk in _chunks(published):
            Reminder.objects.filter(id__in=chunk, queued_at=None).update(queued_at=timezone.now())

    transaction.on_commit(send, robust=True)


# --- the sweep ------------------------------------------------------------------------------------


@dataclass
class SweepReport:
    created: Counter
    advanced: int
    reclaimed: int
    queued: int
    enqueue_failed: int

    def lines(self) -> list[str]:
        out = [f"created {n:>7}  {src} / {kind}" for (src, kind), n in sorted(self.created.items())]
        out += [
            f"created {sum(self.created.values()):>7}  in all",
            f"moved on {self.advanced:>6}  recurring notices",
            f"reclaimed {self.reclaimed:>5}  interrupted deliveries",
            f"queued  {self.queued:>7}  delivery tasks",
            f"failed  {self.enqueue_failed:>7}  to enqueue (broker down? the next sweep retries)",
        ]
        return out


def sweep(*, now: dt.datetime | None = None, enqueue: bool = True) -> SweepReport:
    """One sweep: create due reminders, reclaim interrupted ones, queue what is pending.

    A completed sweep records its heartbeat (``casework.core.heartbeats``): ``/healthz``
    turns unhealthy when none has completed for twice ``SWEEP_INTERVAL_SECONDS`` (beat
    stopped, or every sweep failing), and the metrics report its duration and rows.
    """
    now = now or timezone.now()
    with recorded_run(SWEEP) as rows:
        created = reminders_create_due(now=now)
        reclaimed = reminders_reclaim_stale(now=now)
        queued = failed = 0
        if enqueue:
            queued, failed = reminders_enqueue_pending(now=now)
        rows.update(
            created=created.total,
            advanced=created.advanced,
            reclaimed=reclaimed,
            queued=queued,
            enqueue_failed=failed,
        )
    log.info(
        "sweep: created=%d advanced=%d reclaimed=%d queued=%d enqueue_failed=%d",
        created.total,
        created.advanced,
        reclaimed,
        queued,
        failed,
    )
    return SweepReport(created.counts, created.advanced, reclaimed, queued, failed)


SENT, SKIPPED, CANCELLED, RETRY, FAILED = "sent", "skipped", "cancelled", "retry", "failed"


# --- 4. deliver -----------------------------------------------------------------------------------


def still_current(reminder: Reminder) -> bool:
    """Whether the reminder still says something true: its deadline is open and (unless the
    deadline recurs, when every occurrence's notice stands) has not moved since."""
    deadline = reminder.deadline
    if deadline.closed_at is not None:
        return False
    spec = sources().get(deadline.source)
    return deadline.cycle == reminder.cycle or bool(spec and spec.every)


@dataclass
class Delivery:
    outcome: str
    attempts: int = 0


def reminder_deliver(*, reminder_id: int) -> Delivery:
    """Deliver one reminder: claim it, send it, mark it sent.

    The claim is a conditional UPDATE (``pending`` → ``sending``, attempts + 1) committed
    before sending, so a duplicated or redelivered message finds nothing to claim. The send
    happens outside any transaction (no lock held during SMTP), and only the claim's owner
    (same ``attempts``) may mark the row sent or failed. A worker killed between the send and
    that mark leaves the row ``sending``; reclaimed, it is sent again as the same message (one
    ``dedupe_key``, the e-mail's ``Message-ID``): at least once, a repeat recognisable.
    """
    now = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return Delivery(SKIPPED)
    reminder = Reminder.objects.select_related("deadline").get(pk=reminder_id)
    mine = Reminder.objects.filter(
        pk=reminder_id, status=ReminderStatus.SENDING, attempts=reminder.attempts
    )
    if not still_current(reminder):
        mine.update(status=ReminderStatus.CANCELLED)
        return Delivery(CANCELLED, reminder.attempts)
    channel = get_channel(reminder.channel)
    try:
        if channel is None:
            raise PermanentDeliveryError(f"no channel named {reminder.channel!r} is registered")
        if reminder.attempts > max_attempts():
            raise PermanentDeliveryError("too many interrupted attempts")
        channel.send(reminder)
    except PermanentDeliveryError as exc:
        mine.update(status=ReminderStatus.FAILED, failure=str(exc)[:1000])
        log.warning("reminder id=%s failed permanently", reminder_id)
        return Delivery(FAILED, reminder.attempts)
    except Exception as exc:  # any channel error is retried with backoff
        last = reminder.attempts >= max_attempts()
        mine.update(
            status=ReminderStatus.FAILED if last else ReminderStatus.PENDING,
            failure=f"{type(exc).__name__}: {exc}"[:1000],
            queued_at=timezone.now(),
        )
        log.warning(
            "reminder id=%s attempt %d failed (%s)%s",
            reminder_id,
            reminder.attempts,
            type(exc).__name__,
            "; giving up" if last else "",
        )
        return Delivery(FAILED if last else RETRY, reminder.attempts)
    if not mine.update(status=ReminderStatus.SENT, sent_at=timezone.now()):
        log.warning("reminder id=%s was sent after its claim had been reclaimed", reminder_id)
    return Delivery(SENT, reminder.attempts)


def reminder_resend(*, actor: AnyUser, reminder: Reminder) -> Reminder | None:
    """Deliberately deliver a reminder again (admin action): a new row, ``resend_of`` the old.

    The new row's ``resend`` counter is one above the highest of its key, so it fits the
    unique rule; a concurrent second resend of the same row gets the conflict and is skipped.
    Only sent or failed reminders of open deadlines are resent.
    """
    from django.db import IntegrityError
    from django.db.models import Max

    from casework.audit.services import audit_log

    if reminder.status not in (ReminderStatus.SENT, ReminderStatus.FAILED):
        return None
    if not still_current(reminder):
        return None
    key = {
        "deadline_id": reminder.deadline_id,
        "recipient": reminder.recipient,
        "kind": reminder.kind,
        "channel": reminder.channel,
        "cycle": reminder.cycle,
    }
    try:
        with transaction.atomic():
            top = Reminder.objects.filter(**key).aggregate(m=Max("resend"))["m"] or 0
            new = Reminder.objects.create(**key, resend=top + 1, resend_of=reminder)
            audit_log(
                actor=actor,
                action="reminder_resent",
                application=reminder.deadline.application,
                person=reminder.deadline.person,
                changes={"reminder": reminder.pk, "resend": new.pk, "channel": new.channel},
            )
            reminders_enqueue_on_commit([new.pk])
    except IntegrityError:
        return None
    return new
