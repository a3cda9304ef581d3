"""The deadlines' hand-built statements; the rules that call them are in ``services.py``.

Each is compared with the ORM's effect, column by column, in
``tests/casework/test_deadline_statements.py``; the reminder sweep's statement is in
``reminders.py``, step 1.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from casework.core.statements import insert_statement, insert_values, inserted, prepared_cursor


def insert_if_new(deadline: Any) -> Any:
    """``INSERT … ON CONFLICT (source, object_id) DO NOTHING RETURNING id``: the new row in one
    statement, or None if the source already has a deadline for the object. A concurrent
    ``deadline_set`` of the same deadline waits on the unique key, then moves the row instead
    of failing on it."""
    conn, statement, fields = insert_statement(
        type(deadline), "ON CONFLICT (source, object_id) DO NOTHING"
    )
    with prepared_cursor(conn) as cursor:
        cursor.execute(statement, insert_values(deadline, fields, conn))
        row = cursor.fetchone()
    return None if row is None else inserted(deadline, row[0], conn)


def insert_if_new_reminding(deadline: Any, now: dt.datetime) -> tuple[Any, list[int]]:
    """PostgreSQL: ``insert_if_new`` and the new row's reminders already due, in one statement
    (``reminders.reminders_for_new_deadline``): the new row (None if the source already has a
    deadline for the object, and then nothing was written) and the new reminders' ids."""
    from casework.deadlines.reminders import reminders_for_new_deadline

    conn, statement, fields = insert_statement(
        type(deadline), "ON CONFLICT (source, object_id) DO NOTHING"
    )
    head = statement.rsplit(" RETURNING ", 1)[0]  # the new row's every column is returned
    pk, reminder_ids = reminders_for_new_deadline(
        deadline, head, insert_values(deadline, fields, conn), now
    )
    return (None if pk is None else inserted(deadline, pk, conn)), reminder_ids


def close_open(*, sources: list[str], object_id: int) -> None:
    """Close the open deadlines of ``sources`` for ``object_id`` and cancel their reminders
    still pending: on PostgreSQL one statement (an ``UPDATE`` inside a ``WITH``), on SQLite
    the deadlines' ``UPDATE … RETURNING id``, then their reminders. Use inside a
    transaction."""
    from casework.deadlines.choices import ReminderStatus
    from casework.deadlines.models import Deadline, Reminder

    qn = connection.ops.quote_name
    deadline, reminder = qn(Deadline._meta.db_table), qn(Reminder._meta.db_table)
    close = (
        f"UPDATE {deadline} SET closed_at = %s WHERE object_id = %s "  # noqa: S608  # nosec B608
        f"AND source IN ({', '.join(['%s'] * len(sources))}) AND closed_at IS NULL RETURNING id"
    )
    params = [connection.ops.adapt_datetimefield_value(timezone.now()), object_id, *sources]
    with prepared_cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH closed AS ({close}) UPDATE {reminder} SET status = %s "  # noqa: S608  # nosec B608
                "WHERE status = %s AND deadline_id IN (SELECT id FROM closed)",
                [*params, ReminderStatus.CANCELLED.value, ReminderStatus.PENDING.value],
            )
        else:  # SQLite has no UPDATE inside WITH: the ids come back, then their reminders
            cursor.execute(close, params)
            ids = [row[0] for row in cursor.fetchall()]
            if ids:
                Reminder.objects.filter(deadline_id__in=ids, status=ReminderStatus.PENDING).update(
                    status=ReminderStatus.CANCELLED
                )


def next_deadline_update(pk: int, model: Any, hidden: list[str]) -> tuple[bool, Any]:
    """Set the case ``pk``'s ``next_deadline`` to its soonest open deadline not of a
    ``hidden`` source: whether it changed, and the new value.

    One statement: the row is written only when the value changes (``IS DISTINCT FROM``),
    and the new value comes back with ``RETURNING``.
    """
    from casework.deadlines.models import Deadline

    qn = connection.ops.quote_name
    not_hidden = f"AND source NOT IN ({', '.join(['%s'] * len(hidden))})" if hidden else ""
    soonest = (
        f"(SELECT MIN(due_at) FROM {qn(Deadline._meta.db_table)} "  # noqa: S608  # nosec B608
        f"WHERE application_id = %s AND closed_at IS NULL {not_hidden})"
    )
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(model._meta.db_table)} SET next_deadline = {soonest} "  # noqa: S608  # nosec B608
            f"WHERE id = %s AND next_deadline {differs} {soonest} RETURNING next_deadline",
            [pk, *hidden, pk, pk, *hidden],
        )
        row = cursor.fetchone()
    return (False, None) if row is None else (True, _as_datetime(row[0]))


def _as_datetime(value: Any) -> dt.datetime | None:
    """A datetime read by hand-written SQL, as the ORM would give it (aware; SQLite: text)."""
    if value is None or isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, dt.UTC) if timezone.is_naive(value) else value
