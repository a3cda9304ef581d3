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

from casework.core.rows import new_row
from casework.deadlines.registry import get_source, hidden_sources
from casework.deadlines.statements import (
    close_open,
    insert_if_new,
    insert_if_new_reminding,
    next_deadline_update,
)

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
    now = timezone.now()
    reminded: list[int] | None = None
    # No savepoint: inside the caller's transaction an error rolls the whole service back.
    with transaction.atomic(savepoint=False):
        told_at_once = new.remind_from <= now and not get_source(source).every
        if told_at_once and connection.vendor == "postgresql":
            # A notice told at once (a decision, an interview booked): the row and its due
            # reminders in one statement.
            deadline, reminded = insert_if_new_reminding(new, now)
        else:
            deadline = insert_if_new(new)
        if deadline is None:  # there is one (open or closed): lock it and move it
            reminded = None
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
        if reminded is not None:
            from casework.deadlines.reminders import reminders_enqueue_on_commit

            reminders_enqueue_on_commit(reminded)
        elif deadline.remind_from <= timezone.now():
            from casework.deadlines.reminders import (
                reminders_create_due,
                reminders_enqueue_on_commit,
            )

            created = reminders_create_due(
                deadline_ids=[deadline.pk], returning=True, source_keys=[source]
            )
            reminders_enqueue_on_commit(created.ids)
    return deadline


def deadline_close(*, source: str, object_id: int, application: Any = None) -> None:
    """The thing happened (or no longer needs to): no more reminders for it."""
    deadlines_close(sources=[source], object_id=object_id, application=application)


def deadlines_close(*, sources: list[str], object_id: int, application: Any = None) -> None:
    """Close the open deadlines of these ``sources`` for ``object_id`` and cancel their
    reminders not yet sent, in one statement on PostgreSQL (a transition closes two or
    three at once)."""
    if not sources:
        return
    with transaction.atomic(savepoint=False):
        close_open(sources=sources, object_id=object_id)
        if application is not None:
            _touched(application)


def deadlines_move(
    *,
    closing: list[str],
    opening: list[tuple[str, dt.datetime]],
    object_id: int,
    application: Any = None,
    person: Any = None,
    recipient_user: User | None = None,
) -> None:
    """What a transition does to its deadlines: close those of ``closing`` for ``object_id``
    (``deadlines_close``) and open or move each of ``opening`` (source, due time) as
    ``deadline_set`` does. On PostgreSQL the closing and the new rows (and the reminders of
    those told at once) are one statement; a deadline there already is, or a recurring one,
    is then moved by ``deadline_set``. Inside the caller's transaction."""
    from casework.deadlines.reminders import (
        deadlines_closed_and_opened,
        reminders_enqueue_on_commit,
    )

    of = {
        "object_id": object_id,
        "application": application,
        "person": person,
        "recipient_user": recipient_user,
    }
    closed = set(closing)
    batch = [
        deadline_new(source=source, due_at=due, **of)
        for source, due in opening
        if source not in closed and not get_source(source).every
    ]
    if connection.vendor != "postgresql" or not batch:
        deadlines_close(sources=closing, object_id=object_id, application=application)
        for source, due in opening:
            deadline_set(source=source, due_at=due, **of)
        return
    with transaction.atomic(savepoint=False):
        opened, reminded = deadlines_closed_and_opened(
            closing=closing, object_id=object_id, opening=batch, now=timezone.now()
        )
        if reminded:
            reminders_enqueue_on_commit(reminded)
        for source, due in opening:
            if source not in opened:  # there is one (open or closed), or it recurs: moved
                deadline_set(source=source, due_at=due, **of)
        if application is not None:
            _touched(application)


def refresh_next_deadline(application: Any) -> None:
    """Keep ``Application.next_deadline`` (shown and filtered in lists) at the soonest open one,
    not counting the notices (``hidden_sources``); written only when it changes."""
    changed, value = next_deadline_update(application.pk, type(application), hidden_sources())
    if changed:
        application.next_deadline = value


def notice_event(
    *, source: str, object_id: int, application: Any, at: dt.datetime | None = None
) -> Any:
    """Tell the applicant that something happened (``registry.RECEIVED_NOTICE`` …): open or
    move the source's deadline to ``EVENT_WINDOW`` from now, so that its one ``event``
    reminder is created at once and delivered after the caller's commit. Call it inside the
    service's transaction: rolled back with it, nothing is sent."""
    from casework.deadlines.registry import EVENT_WINDOW

    return deadline_set(
        source=source,
        object_id=object_id,
        due_at=(at or timezone.now()) + EVENT_WINDOW,
        application=application,
    )


SMS_RECEIPT_STATUSES = {
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "rejected": "failed",
    "expired": "expired",
    "accepted": "accepted",
    "sent": "accepted",
}


def sms_receipt_record(*, message_id: str, status: str, detail: str = "") -> bool:
    """Record the gateway's delivery receipt of one text message; False if the message is not
    ours. ``status`` is the gateway's word (``SMS_RECEIPT_STATUSES`` maps the usual ones); a
    final status (delivered, failed, expired) is never moved back to "accepted" by a late or
    repeated receipt."""
    from casework.deadlines.models import SmsMessage

    mapped = SMS_RECEIPT_STATUSES.get(status.strip().lower())
    if mapped is None:
        raise ValueError("unknown status")
    with transaction.atomic():
        sms = SmsMessage.objects.select_for_update().filter(message_id=message_id).first()
        if sms is None:
            return False
        if mapped == SmsMessage.Status.ACCEPTED and sms.status != SmsMessage.Status.ACCEPTED:
            return True
        sms.status = mapped
        sms.detail = detail[:200]
        sms.status_at = timezone.now()
        sms.save(update_fields=["status", "detail", "status_at"])
    return True
