"""The only writers of deadlines: set, move, reopen and close them, and keep a case's next
deadline current.

The owning app's services call these inside their own transaction, with the date their rule
computes (the sources and their rules are in ``registry.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from casework.core.rows import new_row
from casework.deadlines.registry import get_source, hidden_sources

if TYPE_CHECKING:
    from django.contrib.auth.models import User

# Applications whose ``next_deadline`` is refreshed once, when ``next_deadline_refreshed_once``
# exits, instead of after every deadline call: a transition closes two or three deadlines and
# a signal receiver may set another. pk -> whether a deadline call touched it.
_deferred: ContextVar[dict[int, bool] | None] = ContextVar("deferred_next_deadline", default=None)


@contextmanager
def next_deadline_refreshed_once(application: Any) -> Iterator[None]:
    """Within this block, deadline calls for ``application`` leave ``next_deadline`` alone;
    it is refreshed once at the end if any of them touched it. Use inside a transaction."""
    deferred = _deferred.get()
    token = None
    if deferred is None:
        deferred = {}
        token = _deferred.set(deferred)
    nested = application.pk in deferred
    deferred.setdefault(application.pk, False)
    try:
        yield
        touched = not nested and deferred[application.pk]
    finally:
        if not nested:
            deferred.pop(application.pk, None)
        if token is not None:
            _deferred.reset(token)
    if touched:
        refresh_next_deadline(application)


def _touched(application: Any) -> None:
    deferred = _deferred.get()
    if deferred is not None and application.pk in deferred:
        deferred[application.pk] = True
    else:
        refresh_next_deadline(application)


# What ``deadline_set`` writes on a deadline it creates, moves or reopens.
DEADLINE_SET_FIELDS = (
    "due_at",
    "remind_from",
    "application",
    "person_id",
    "recipient_user_id",
    "notify_person",
    "closed_at",
)


def deadline_new(
    *,
    source: str,
    object_id: int,
    due_at: dt.datetime,
    application: Any = None,
    person: Any = None,
    recipient_user: User | None = None,
) -> Any:
    """The open ``Deadline`` row of ``source`` for ``object_id``, not written: its first
    reminder time from the source's rule, the case's person, and the staff recipient (by
    default the case's assigned caseworker) when the source notifies staff. ``deadline_set``
    writes it (or moves the row there is); the bulk writers write it as it is."""
    from casework.deadlines.models import Deadline

    spec = get_source(source)
    recipient_id: int | None
    if recipient_user is not None:
        recipient_id = recipient_user.pk
    else:
        recipient_id = getattr(application, "assigned_to_id", None)
    deadline = new_row(
        Deadline,
        {
            "source": source,
            "object_id": object_id,
            "due_at": due_at,
            "remind_from": due_at + spec.first_offset,
            "application_id": getattr(application, "pk", None),
            "person_id": (
                person.pk if person is not None else getattr(application, "person_id", None)
            ),
            "recipient_user_id": recipient_id if spec.notify_staff else None,
            "notify_person": spec.notify_person,
            "closed_at": None,
        },
    )
    if application is not None:  # at hand, as ``Deadline(application=…)`` keeps it
        deadline.application = application
    return deadline


def deadline_set(
    *,
    source: str,
    object_id: int,
    due_at: dt.datetime,
    application: Any = None,
    person: Any = None,
    recipient_user: User | None = None,
) -> Any:
    """Create or move the deadline of ``source`` for ``object_id``; reopen it if closed.

    Moving the due time (or reopening) starts a new cycle: reminders of the old date that
    were not sent yet are cancelled and the new date is reminded afresh. If a reminder of
    the new date is already due (an interview tomorrow), its rows are created now and their
    delivery is queued after commit; a dead broker does not fail the caller. The staff
    recipient defaults to the case's assigned caseworker.
    """
    from casework.deadlines.choices import ReminderStatus
    from casework.deadlines.models import Deadline, Reminder

    new = deadline_new(
        source=source,
        object_id=object_id,
        due_at=due_at,
        application=application,
        person=person,
        recipient_user=recipient_user,
    )
    values = {name: getattr(new, name) for name in DEADLINE_SET_FIELDS}
    # No savepoint: inside the caller's transaction an error rolls the whole service back.
    with transaction.atomic(savepoint=False):
        deadline = _insert_if_new(new)
        if deadline is None:  # there is one (open or closed): lock it and move it
            deadline = Deadline.objects.select_for_update().get(source=source, object_id=object_id)
            moved = deadline.due_at != due_at or deadline.closed_at is not None
            for name, value in values.items():
                setattr(deadline, name, value)
            if moved:
                deadline.cycle += 1
                Reminder.objects.filter(
                    deadline_id=deadline.pk, status=ReminderStatus.PENDING
                ).update(status=ReminderStatus.CANCELLED)
            deadline.save()
        if application is not None:
            _touched(application)
        # The first reminder of the new date may already be due (an interview tomorrow);
        # usually it is not (an appeal deadline in 3 weeks), and then there is nothing to ask.
        if deadline.remind_from <= timezone.now():
            from casework.deadlines.reminders import (
                reminders_create_due,
                reminders_enqueue_on_commit,
            )

            created = reminders_create_due(
                deadline_ids=[deadline.pk], returning=True, source_keys=[source]
            )
            reminders_enqueue_on_commit(created.ids)
    return deadline


def _insert_if_new(deadline: Any) -> Any:
    """``INSERT … ON CONFLICT (source, object_id) DO NOTHING RETURNING id``: the new row in one
    statement, or None if the source already has a deadline for the object. A concurrent
    ``deadline_set`` of the same deadline waits on the unique key, then moves the row instead
    of failing on it."""
    from casework.core.statements import insert_statement, insert_values, inserted, prepared_cursor

    conn, statement, fields = insert_statement(
        type(deadline), "ON CONFLICT (source, object_id) DO NOTHING"
    )
    with prepared_cursor(conn) as cursor:
        cursor.execute(statement, insert_values(deadline, fields, conn))
        row = cursor.fetchone()
    return None if row is None else inserted(deadline, row[0], conn)


def deadline_close(*, source: str, object_id: int, application: Any = None) -> None:
    """The thing happened (or no longer needs to): no more reminders for it."""
    deadlines_close(sources=[source], object_id=object_id, application=application)


def deadlines_close(*, sources: list[str], object_id: int, application: Any = None) -> None:
    """Close the open deadlines of these ``sources`` for ``object_id`` and cancel their
    reminders not yet sent, in one statement on PostgreSQL (a transition closes two or
    three at once)."""
    from casework.deadlines.choices import ReminderStatus
    from casework.deadlines.models import Deadline, Reminder

    if not sources:
        return
    qn = connection.ops.quote_name
    deadline, reminder = qn(Deadline._meta.db_table), qn(Reminder._meta.db_table)
    close = (
        f"UPDATE {deadline} SET closed_at = %s WHERE object_id = %s "  # noqa: S608  # nosec B608
        f"AND source IN ({', '.join(['%s'] * len(sources))}) AND closed_at IS NULL RETURNING id"
    )
    params = [connection.ops.adapt_datetimefield_value(timezone.now()), object_id, *sources]
    from casework.core.statements import prepared_cursor

    with transaction.atomic(savepoint=False), prepared_cursor() as cursor:
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
        if application is not None:
            _touched(application)


def refresh_next_deadline(application: Any) -> None:
    """Keep ``Application.next_deadline`` (shown and filtered in lists) at the soonest open one.

    One statement: the row is written only when the value changes (``IS DISTINCT FROM``),
    and the new value comes back with ``RETURNING``.
    """
    from casework.deadlines.models import Deadline

    qn = connection.ops.quote_name
    hidden = hidden_sources()
    not_hidden = f"AND source NOT IN ({', '.join(['%s'] * len(hidden))})" if hidden else ""
    soonest = (
        f"(SELECT MIN(due_at) FROM {qn(Deadline._meta.db_table)} "  # noqa: S608  # nosec B608
        f"WHERE application_id = %s AND closed_at IS NULL {not_hidden})"
    )
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    from casework.core.statements import prepared_cursor

    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(type(application)._meta.db_table)} SET next_deadline = {soonest} "  # noqa: S608  # nosec B608
            f"WHERE id = %s AND next_deadline {differs} {soonest} RETURNING next_deadline",
            [application.pk, *hidden, application.pk, application.pk, *hidden],
        )
        row = cursor.fetchone()
    if row is not None:
        application.next_deadline = _as_datetime(row[0])


def _as_datetime(value: Any) -> dt.datetime | None:
    """A datetime read by hand-written SQL, as the ORM would give it (aware; SQLite: text)."""
    if value is None or isinstance(value, dt.datetime) and timezone.is_aware(value):
        return value
    if isinstance(value, str):
        value = parse_datetime(value)
    return timezone.make_aware(value, dt.UTC) if timezone.is_naive(value) else value
