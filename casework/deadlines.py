"""The deadline registry: each app declares what dates matter, for whom, and when to remind.

``casework`` owns the machinery; ``reception`` and ``integration`` register their sources from
their ``AppConfig.ready`` so that ``casework`` never imports them. A source says

* **what**: ``key`` (``"<app>.<name>"``, at most 48 characters) and ``label``;
* **whose**: ``model``, the ``"app_label.Model"`` whose primary key is the deadline's
  ``object_id`` (one open deadline per source and object);
* **due when**: ``due_rule``, the rule in words with its legal basis; the owning app's service
  computes the date and calls ``deadline_set`` (there is no other way in);
* **who is told**: ``notify_staff`` (the ``recipient_user`` given to ``deadline_set``, by
  default the case's assigned caseworker) and ``notify_person`` (the applicant, sponsor…);
* **how long before**: ``reminders``, one ``ReminderKind`` per reminder, e.g.
  ``(soon(days=5), overdue())``; each kind reaches every audience it names on every channel
  registered for that audience (``casework.channels``);
* ``every``: for a recurring notice (the applicant's "still in the queue"), the period after
  which the sweep moves the deadline on and reminds again.

Example, in ``reception/apps.py``::

    def ready(self):
        from casework import deadlines
        deadlines.register(deadlines.DeadlineSource(
            key="reception.arrival_stay",
            label=_("arrival-centre stay limit"),
            model="reception.Placement",
            due_rule=_("21 days after arrival at an arrival centre"),
            reminders=(deadlines.soon(days=3), deadlines.overdue()),
        ))

and in ``reception/services.py``, inside the service's transaction::

    deadlines.deadline_set(source="reception.arrival_stay", object_id=placement.pk,
                           due_at=..., person=placement.person, recipient_user=officer)
    deadlines.deadline_close(source="reception.arrival_stay", object_id=placement.pk)

A source's deadlines are rows (``Deadline``); the sweep (``casework.reminders.sweep``) needs
nothing but those rows and this registry. ``lead=`` (one "soon" reminder that long before)
is still accepted for sources written before ``reminders=`` existed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

STAFF = "staff"
PERSON = "person"
AUDIENCES = (STAFF, PERSON)


@dataclass(frozen=True)
class ReminderKind:
    """One reminder of a deadline: its name, when it fires, and whom it reaches.

    ``offset`` is relative to the due time (negative: before it). The reminder is created by
    the first sweep at or after ``due_at + offset``; with ``only_before_due`` not once the
    deadline has passed (a "due soon" that would arrive late is not sent).
    """

    name: str
    offset: dt.timedelta
    audiences: frozenset[str] = frozenset(AUDIENCES)
    only_before_due: bool = False
    channels: tuple[str, ...] | None = None  # None: every channel registered for the audience
    # Fire when the deadline's own ``remind_from`` is reached instead of at ``due_at + offset``:
    # for dates its source computes by the calendar ("five months after the decision").
    at_remind_from: bool = False


def soon(
    *, days: float = 0, hours: float = 0, to: tuple[str, ...] = AUDIENCES, name: str = "soon"
) -> ReminderKind:
    """A "due soon" reminder ``days``/``hours`` before the due time, while it is still ahead."""
    return ReminderKind(
        name=name,
        offset=-dt.timedelta(days=days, hours=hours),
        audiences=frozenset(to),
        only_before_due=True,
    )


def overdue(
    *, days: float = 0, hours: float = 0, to: tuple[str, ...] = (STAFF,), name: str = "overdue"
) -> ReminderKind:
    """An "overdue" reminder once the deadline has passed (by ``days``/``hours``), to staff."""
    return ReminderKind(
        name=name, offset=dt.timedelta(days=days, hours=hours), audiences=frozenset(to)
    )


def on_remind_from(*, to: tuple[str, ...] = AUDIENCES, name: str = "soon") -> ReminderKind:
    """A "due soon" reminder at the ``remind_from`` the source set on each deadline row."""
    return ReminderKind(
        name=name,
        offset=dt.timedelta(0),
        audiences=frozenset(to),
        only_before_due=True,
        at_remind_from=True,
    )


def notice(*, to: tuple[str, ...] = (PERSON,), name: str = "notice") -> ReminderKind:
    """A notice at the due time itself; with ``DeadlineSource.every`` it recurs."""
    return ReminderKind(name=name, offset=dt.timedelta(0), audiences=frozenset(to))


@dataclass(frozen=True)
class DeadlineSource:
    """What a kind of deadline is, whose it is, who is told, and how long before."""

    key: str
    label: Any
    lead: dt.timedelta | None = None
    notify_staff: bool = True
    notify_person: bool = False
    person_message: Any = ""
    model: str = ""
    due_rule: Any = ""
    reminders: tuple[ReminderKind, ...] = ()
    every: dt.timedelta | None = None
    shown_as_deadline: bool = True  # False: a notice, not a date anyone must meet

    def __post_init__(self) -> None:
        if len(self.key) > 48:
            raise ValueError(f"deadline source key too long (max 48): {self.key}")
        if not self.reminders:
            lead = self.lead if self.lead is not None else dt.timedelta(0)
            object.__setattr__(self, "reminders", (soon(days=lead.total_seconds() / 86400),))
        names = [k.name for k in self.reminders]
        if len(names) != len(set(names)):
            raise ValueError(f"reminder kinds of {self.key} must have distinct names")

    @property
    def first_offset(self) -> dt.timedelta:
        """The earliest reminder relative to the due time (``Deadline.remind_from``)."""
        return min(k.offset for k in self.reminders)

    def kind(self, name: str) -> ReminderKind | None:
        return next((k for k in self.reminders if k.name == name), None)


_registry: dict[str, DeadlineSource] = {}


def register(source: DeadlineSource) -> DeadlineSource:
    """Declare a deadline source (call from ``AppConfig.ready``; registering again replaces)."""
    _registry[source.key] = source
    return source


def unregister(key: str) -> None:
    _registry.pop(key, None)


def sources() -> dict[str, DeadlineSource]:
    return dict(_registry)


def get_source(key: str) -> DeadlineSource:
    return _registry[key]


# --- casework's own sources -----------------------------------------------------------------

APPEAL = register(
    DeadlineSource(
        key="casework.appeal",
        label=_("appeal deadline"),
        model="casework.Application",
        due_rule=_(
            "3 weeks from notification of a rejection; 1 week if manifestly unfounded; "
            "48 hours for a Dublin request to stay (Immigration Act § 94, Public "
            "Administration Act § 29)"
        ),
        reminders=(soon(days=5), overdue(to=(STAFF,))),
        notify_person=True,
        person_message=_("You can appeal the decision until %(due)s."),
    )
)
INTERVIEW = register(
    DeadlineSource(
        key="casework.interview",
        label=_("asylum interview"),
        model="casework.Interview",
        due_rule=_("the time the interview is scheduled for"),
        reminders=(soon(days=3), overdue(days=1, to=(STAFF,))),
        notify_person=True,
        person_message=_("Your asylum interview is on %(due)s."),
    )
)
EXAMINATION_TARGET = register(
    DeadlineSource(
        key="casework.examination_target",
        label=_("examination target (6 months, Procedures Directive art. 31)"),
        model="casework.Application",
        due_rule=_("6 months after the application was lodged (Directive 2013/32/EU art. 31)"),
        reminders=(soon(days=14, to=(STAFF,)), overdue(to=(STAFF,))),
    )
)
EXAMINATION_TARGET_PERIOD = dt.timedelta(days=183)

QUEUE_NOTICE_PERIOD = dt.timedelta(days=30)
QUEUE_NOTICE = register(
    DeadlineSource(
        key="casework.queue_notice",
        label=_("notice to the applicant that the case is still in the queue"),
        model="casework.Application",
        due_rule=_("every 30 days while the application is submitted or under examination"),
        reminders=(notice(),),
        every=QUEUE_NOTICE_PERIOD,
        notify_staff=False,
        notify_person=True,
        shown_as_deadline=False,
    )
)


# --- writing deadlines (called by the owning app's services, inside their transaction) ------

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


def deadline_set(
    *,
    source: str,
    object_id: int,
    due_at: dt.datetime,
    application: Any = None,
    person: Any = None,
    recipient_user: Any = None,
) -> Any:
    """Create or move the deadline of ``source`` for ``object_id``; reopen it if closed.

    Moving the due time (or reopening) starts a new cycle: reminders of the old date that
    were not sent yet are cancelled and the new date is reminded afresh. If a reminder of
    the new date is already due (an interview tomorrow), its rows are created now and their
    delivery is queued after commit; a dead broker does not fail the caller. The staff
    recipient defaults to the case's assigned caseworker.
    """
    from .choices import ReminderStatus
    from .models import Deadline, Reminder

    spec = get_source(source)
    if recipient_user is not None:
        recipient_id = recipient_user.pk
    else:
        recipient_id = getattr(application, "assigned_to_id", None)
    values = {
        "due_at": due_at,
        "remind_from": due_at + spec.first_offset,
        "application": application,
        "person_id": person.pk if person is not None else getattr(application, "person_id", None),
        "recipient_user_id": recipient_id if spec.notify_staff else None,
        "notify_person": spec.notify_person,
        "closed_at": None,
    }
    # No savepoint: inside the caller's transaction an error rolls the whole service back.
    with transaction.atomic(savepoint=False):
        deadline = _insert_if_new(Deadline(source=source, object_id=object_id, **values))
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
            from .reminders import reminders_create_due, reminders_enqueue_on_commit

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
    from .statements import insert_statement, insert_values, inserted, prepared_cursor

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
    from .choices import ReminderStatus
    from .models import Deadline, Reminder

    if not sources:
        return
    qn = connection.ops.quote_name
    deadline, reminder = qn(Deadline._meta.db_table), qn(Reminder._meta.db_table)
    close = (
        f"UPDATE {deadline} SET closed_at = %s WHERE object_id = %s "  # noqa: S608  # nosec B608
        f"AND source IN ({', '.join(['%s'] * len(sources))}) AND closed_at IS NULL RETURNING id"
    )
    params = [connection.ops.adapt_datetimefield_value(timezone.now()), object_id, *sources]
    from .statements import prepared_cursor

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


def hidden_sources() -> list[str]:
    """Sources that are notices rather than deadlines (not in "next deadline", not in panels)."""
    return [key for key, spec in _registry.items() if not spec.shown_as_deadline]


def refresh_next_deadline(application: Any) -> None:
    """Keep ``Application.next_deadline`` (shown and filtered in lists) at the soonest open one.

    One statement: the row is written only when the value changes (``IS DISTINCT FROM``),
    and the new value comes back with ``RETURNING``.
    """
    from .models import Application, Deadline

    qn = connection.ops.quote_name
    hidden = hidden_sources()
    not_hidden = f"AND source NOT IN ({', '.join(['%s'] * len(hidden))})" if hidden else ""
    soonest = (
        f"(SELECT MIN(due_at) FROM {qn(Deadline._meta.db_table)} "  # noqa: S608  # nosec B608
        f"WHERE application_id = %s AND closed_at IS NULL {not_hidden})"
    )
    differs = "IS DISTINCT FROM" if connection.vendor == "postgresql" else "IS NOT"
    from .statements import prepared_cursor

    with prepared_cursor() as cursor:
        cursor.execute(
            f"UPDATE {qn(Application._meta.db_table)} SET next_deadline = {soonest} "  # noqa: S608  # nosec B608
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


# --- reads for the admin panels (selectors) -------------------------------------------------


@dataclass
class DeadlineRow:
    """A deadline as a panel shows it: what, when, and whether it is overdue or due soon."""

    deadline: Any
    label: str
    due_at: dt.datetime
    overdue: bool
    due_soon: bool
    reminders: list = field(default_factory=list)
    case_url: str = ""


def _row(deadline: Any, now: dt.datetime) -> DeadlineRow:
    spec = _registry.get(deadline.source)
    return DeadlineRow(
        deadline=deadline,
        label=str(spec.label) if spec else deadline.source,
        due_at=deadline.due_at,
        overdue=deadline.due_at <= now,
        due_soon=deadline.due_at > now and deadline.remind_from <= now,
    )


def deadlines_for_user(*, user: Any, now: dt.datetime | None = None, limit: int = 25) -> dict:
    """The logged-in user's own open deadlines that are overdue or within their reminder
    window, soonest first (the admin start page's "due soon / overdue" panel)."""
    from .models import Deadline

    now = now or timezone.now()
    qs = (
        Deadline.objects.filter(recipient_user=user, closed_at=None, remind_from__lte=now)
        .exclude(source__in=hidden_sources())
        .select_related("application")
        .order_by("due_at")
    )
    rows = [_row(d, now) for d in qs[:limit]]
    return {
        "overdue": [r for r in rows if r.overdue],
        "due_soon": [r for r in rows if r.due_soon],
        "more": max(0, qs.count() - limit) if len(rows) == limit else 0,
    }


def deadlines_for_application(application: Any, *, now: dt.datetime | None = None) -> list:
    """Every open deadline of one case with its reminders (the panel on the case's page)."""
    from django.db.models import Prefetch

    from .models import Deadline, Reminder

    now = now or timezone.now()
    qs = (
        Deadline.objects.filter(application=application, closed_at=None)
        .exclude(source__in=hidden_sources())
        .prefetch_related(Prefetch("reminders", queryset=Reminder.objects.order_by("created_at")))
        .order_by("due_at")
    )
    rows = []
    for d in qs:
        row = _row(d, now)
        row.reminders = list(d.reminders.all())
        rows.append(row)
    return rows
