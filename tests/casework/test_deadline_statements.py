"""The deadlines' hand-built statements have the effect the ORM's would have, column by column.

Each test builds one data set, runs the hand-built statement and an ORM rendering of the same
rule on it (each in a savepoint rolled back afterwards, so both start from the same rows), and
compares every column of every row of the tables they touch. The statements have PostgreSQL
and SQLite branches: the suite runs on both databases.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest
import time_machine
from django.db import transaction
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import application_decide
from casework.deadlines.channels import channels_for
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.registry import (
    APPEAL,
    EXAMINATION_TARGET,
    INTERVIEW,
    QUEUE_NOTICE,
    STAFF,
    hidden_sources,
    sources,
)
from casework.deadlines.reminders import _advance_recurring, reminders_create_due
from casework.deadlines.services import (
    deadline_new,
    deadline_set,
    deadlines_close,
    refresh_next_deadline,
)
from casework.deadlines.statements import insert_if_new
from casework.models import Application, Deadline, Reminder, ResidencePermit
from casework.permits.deadlines import PERMIT_EXPIRY
from casework.vulnerability.services import tb_screening_open
from tests.casework.reminder_helpers import (
    T0,
    held_case,
    interview_case,
    lodged_case,
    rejected_case,
)
from tests.factories import ApplicationFactory, PersonFactory

pytestmark = pytest.mark.django_db

DAY = dt.timedelta(days=1)


class _Rollback(Exception):
    pass


def _columns(row: Any, skip: tuple[str, ...] = ()) -> dict[str, Any]:
    return {
        f.attname: getattr(row, f.attname)
        for f in type(row)._meta.concrete_fields
        if f.attname not in skip
    }


def _deadlines() -> dict[int, dict[str, Any]]:
    return {d.pk: _columns(d) for d in Deadline.objects.all()}


def _reminders() -> dict[tuple, dict[str, Any]]:
    """Every reminder, keyed by its natural key (new rows' ids differ between the two runs)."""
    return {
        (r.deadline_id, r.recipient, r.kind, r.channel, r.cycle, r.resend): _columns(r, ("id",))
        for r in Reminder.objects.all()
    }


def _applications() -> dict[int, dict[str, Any]]:
    return {a.pk: _columns(a) for a in Application.objects.all()}


def _effect(run: Callable[[], Any], *tables: Callable[[], Any]) -> tuple[Any, list[Any]]:
    """What ``run`` returns and the tables as it leaves them; then everything is undone."""
    out: list[Any] = []
    try:
        with transaction.atomic():
            out.append(run())
            out.append([table() for table in tables])
            raise _Rollback
    except _Rollback:
        pass
    return out[0], out[1]


# --- insert if new ------------------------------------------------------------------------------


def test_the_insert_if_new_writes_the_row_save_would_and_nothing_over_a_row_there_is(caseworker):
    app = ApplicationFactory(assigned_to=caseworker)

    def new() -> Deadline:
        return deadline_new(
            source=APPEAL.key, object_id=app.pk, due_at=T0 + 21 * DAY, application=app
        )

    with time_machine.travel(T0, tick=False):
        ours, (rows,) = _effect(lambda: insert_if_new(new()), _deadlines)
        _saved, (orm_rows,) = _effect(lambda: new().save(), _deadlines)
    assert ours.pk in rows and len(rows) == len(orm_rows) == 1
    assert not ours._state.adding and _columns(ours) == rows[ours.pk]
    [orm_row] = orm_rows.values()
    assert {k: v for k, v in rows[ours.pk].items() if k != "id"} == {
        k: v for k, v in orm_row.items() if k != "id"
    }
    # A row there is (open, or closed): the statement writes nothing, as get_or_create would not.
    for closed_at in (None, T0):
        Deadline.objects.all().delete()
        there = new()
        there.closed_at = closed_at
        there.save()
        before = _deadlines()
        assert insert_if_new(new()) is None
        _obj, created = Deadline.objects.get_or_create(
            source=APPEAL.key, object_id=app.pk, defaults={"due_at": T0}
        )
        assert not created and _deadlines() == before


@pytest.mark.services("postgres")
def test_a_notice_told_at_once_writes_in_one_statement_what_the_insert_and_the_sweep_would(
    caseworker,
):
    """PostgreSQL: the new deadline and its due reminders in one statement, the same rows as
    ``insert_if_new`` followed by ``reminders_create_due`` for it; nothing over a row there
    is."""
    from casework.deadlines.registry import DECISION_NOTICE, EVENT_WINDOW
    from casework.deadlines.statements import insert_if_new_reminding

    app = ApplicationFactory(assigned_to=caseworker, person=PersonFactory(email="a@example.org"))

    def new() -> Deadline:
        return deadline_new(
            source=DECISION_NOTICE.key, object_id=app.pk, due_at=T0 + EVENT_WINDOW,
            application=app,
        )  # fmt: skip

    def ours() -> tuple[Any, list[int]]:
        return insert_if_new_reminding(new(), T0)

    def theirs() -> tuple[Any, list[int]]:
        deadline = insert_if_new(new())
        created = reminders_create_due(
            now=T0, deadline_ids=[deadline.pk], returning=True, source_keys=[DECISION_NOTICE.key]
        )
        return deadline, created.ids

    with time_machine.travel(T0, tick=False):
        (deadline, ids), (rows, reminders) = _effect(ours, _deadlines, _reminders)
        (their_deadline, their_ids), (their_rows, their_reminders) = _effect(
            theirs, _deadlines, _reminders
        )
    assert len(ids) == len(their_ids) >= 1  # the applicant, by e-mail
    assert {r["channel"] for r in reminders.values()} >= {"email"}
    assert _columns(deadline) == rows[deadline.pk]

    def without_ids(row: dict[str, Any]) -> dict[str, Any]:  # new rows' ids differ
        return {c: v for c, v in row.items() if c not in ("id", "deadline_id")}

    assert [without_ids(r) for r in rows.values()] == [without_ids(r) for r in their_rows.values()]
    assert sorted((k[1:], without_ids(r)) for k, r in reminders.items()) == sorted(
        (k[1:], without_ids(r)) for k, r in their_reminders.items()
    )
    # A row there is: nothing written, no reminder.
    there = new()
    there.save()
    before = (_deadlines(), _reminders())
    assert insert_if_new_reminding(new(), T0) == (None, [])
    assert (_deadlines(), _reminders()) == before


# --- close --------------------------------------------------------------------------------------


def _deadline(app: Application, source: str, object_id: int, **values: Any) -> Deadline:
    return Deadline.objects.create(
        source=source,
        object_id=object_id,
        application=app,
        person_id=app.person_id,
        due_at=values.pop("due_at", T0 + 10 * DAY),
        remind_from=T0,
        **values,
    )


def _reminder(deadline: Deadline, status: str, **values: Any) -> Reminder:
    return Reminder.objects.create(
        deadline=deadline, recipient=f"person:{deadline.person_id}", channel="email",
        status=status, **values,
    )  # fmt: skip


def _orm_refresh(app: Application) -> None:
    soonest = (
        Deadline.objects.filter(application_id=OuterRef("pk"), closed_at=None)
        .exclude(source__in=hidden_sources())
        .order_by()
        .values("application_id")
        .annotate(soonest=Min("due_at"))
        .values("soonest")
    )
    Application.objects.filter(pk=app.pk).update(next_deadline=Subquery(soonest))
    app.refresh_from_db(fields=["next_deadline"])


def _orm_close(sources: list[str], object_id: int, app: Application | None) -> None:
    closing = Deadline.objects.filter(object_id=object_id, source__in=sources, closed_at=None)
    ids = list(closing.values_list("pk", flat=True))
    Deadline.objects.filter(pk__in=ids).update(closed_at=timezone.now())
    Reminder.objects.filter(deadline_id__in=ids, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.CANCELLED
    )
    if app is not None:
        _orm_refresh(app)


def test_closing_deadlines_writes_what_the_orm_writes(caseworker):
    app = ApplicationFactory(assigned_to=caseworker)
    other = ApplicationFactory(assigned_to=caseworker)
    a, b = APPEAL.key, INTERVIEW.key
    open_a = _deadline(app, a, app.pk, due_at=T0 + 3 * DAY)
    open_b = _deadline(app, b, app.pk, due_at=T0 + 5 * DAY)
    closed_before = _deadline(app, EXAMINATION_TARGET.key, app.pk, closed_at=T0 - DAY)
    untouched_source = _deadline(app, "casework.other", app.pk, due_at=T0 + 7 * DAY)
    other_object = _deadline(other, a, other.pk)
    for deadline in (open_a, open_b, closed_before, untouched_source, other_object):
        for status in ReminderStatus.values:
            _reminder(deadline, status, kind=status)
    app.refresh_from_db()
    refresh_next_deadline(app)
    assert app.next_deadline == T0 + 3 * DAY
    names = [a, b, EXAMINATION_TARGET.key]
    with time_machine.travel(T0 + DAY, tick=False):
        for application in (app, None):
            ours = _effect(
                lambda a=application: deadlines_close(
                    sources=names, object_id=app.pk, application=a
                ),
                _deadlines,
                _reminders,
                _applications,
            )[1]
            theirs = _effect(
                lambda a=application: _orm_close(names, app.pk, a),
                _deadlines,
                _reminders,
                _applications,
            )[1]
            assert ours == theirs
            assert ours[0][open_a.pk]["closed_at"] == T0 + DAY
            assert ours[0][closed_before.pk]["closed_at"] == T0 - DAY
        # Nothing open of these sources: nothing written.
        assert _effect(
            lambda: deadlines_close(sources=["casework.none"], object_id=app.pk, application=app),
            _deadlines,
            _reminders,
            _applications,
        )[1] == [_deadlines(), _reminders(), _applications()]


# --- a transition's deadlines: close and open ---------------------------------------------------


def test_moving_a_transition_s_deadlines_writes_what_closing_and_setting_each_would(caseworker):
    """``deadlines_move`` (one statement on PostgreSQL) against ``deadlines_close`` and a
    ``deadline_set`` per opening: the same deadlines, reminders and ``next_deadline``, column by
    column; a deadline there is already (closed) is reopened and moved, a notice told at once
    gets its reminders, and a source both closed and opened is reopened after the close."""
    from casework.deadlines.registry import DECISION_NOTICE, EVENT_WINDOW
    from casework.deadlines.registry import DELIVERY as DECISION_DELIVERY
    from casework.deadlines.services import deadlines_move

    app = ApplicationFactory(assigned_to=caseworker, person=PersonFactory(email="a@example.org"))
    exam = _deadline(app, EXAMINATION_TARGET.key, app.pk, due_at=T0 + 30 * DAY)
    queue = _deadline(app, QUEUE_NOTICE.key, app.pk, due_at=T0 + 2 * DAY)
    earlier_delivery = _deadline(
        app, DECISION_DELIVERY.key, app.pk, due_at=T0 - 5 * DAY, closed_at=T0 - 4 * DAY
    )
    for deadline in (exam, queue, earlier_delivery):
        for status in ReminderStatus.values:
            _reminder(deadline, status, kind=status)
    app.refresh_from_db()
    now = T0 + DAY
    cases = [
        # a decision: the examination's deadlines closed, the notice and the delivery opened
        (
            [EXAMINATION_TARGET.key, QUEUE_NOTICE.key],
            [(DECISION_NOTICE.key, now + EVENT_WINDOW), (DECISION_DELIVERY.key, now + 14 * DAY)],
        ),
        ([], [(APPEAL.key, now + 21 * DAY)]),  # nothing closed
        ([APPEAL.key], [(APPEAL.key, now + 7 * DAY)]),  # closed and opened: reopened
    ]
    with time_machine.travel(now, tick=False):
        for closing, opening in cases:

            def ours(closing=closing, opening=opening) -> None:
                deadlines_move(closing=closing, opening=opening, object_id=app.pk, application=app)

            def theirs(closing=closing, opening=opening) -> None:
                deadlines_close(sources=closing, object_id=app.pk, application=app)
                for source, due in opening:
                    deadline_set(source=source, object_id=app.pk, due_at=due, application=app)

            tables = (_deadlines, _reminders, _applications)
            our_rows, our_reminders, our_apps = _effect(ours, *tables)[1]
            their_rows, their_reminders, their_apps = _effect(theirs, *tables)[1]

            def without_ids(rows: dict[int, dict[str, Any]]) -> list[tuple]:
                return sorted(
                    (r["source"], sorted((c, str(v)) for c, v in r.items() if c != "id"))
                    for r in rows.values()
                )

            def reminder_rows(rows: dict[tuple, dict[str, Any]], deadlines: dict) -> list:
                return sorted(
                    (deadlines[k[0]]["source"], str(k[1:]), sorted(
                        (c, str(v)) for c, v in r.items() if c != "deadline_id"
                    ))
                    for k, r in rows.items()
                )  # fmt: skip

            assert without_ids(our_rows) == without_ids(their_rows)
            assert reminder_rows(our_reminders, our_rows) == reminder_rows(
                their_reminders, their_rows
            )
            assert our_apps == their_apps
            if closing == cases[0][0]:  # the decision's case, as the user sees it
                opened = {r["source"]: r for r in our_rows.values() if r["closed_at"] is None}
                assert set(opened) == {DECISION_NOTICE.key, DECISION_DELIVERY.key}
                assert opened[DECISION_DELIVERY.key]["id"] == earlier_delivery.pk  # reopened
                assert our_rows[earlier_delivery.pk]["cycle"] == earlier_delivery.cycle + 1
                notice = [k for k in our_reminders if k[0] == opened[DECISION_NOTICE.key]["id"]]
                assert notice  # told at once
                assert our_apps[app.pk]["next_deadline"] == now + 14 * DAY


# --- next deadline ------------------------------------------------------------------------------


def test_the_next_deadline_is_what_the_orm_computes(caseworker):
    no_deadline = ApplicationFactory(next_deadline=T0)  # stale: becomes NULL
    hidden_first = ApplicationFactory()
    _deadline(hidden_first, QUEUE_NOTICE.key, hidden_first.pk, due_at=T0 + DAY)  # hidden
    _deadline(hidden_first, APPEAL.key, hidden_first.pk, due_at=T0 + 9 * DAY)
    closed_first = ApplicationFactory()
    _deadline(closed_first, APPEAL.key, closed_first.pk, due_at=T0 + DAY, closed_at=T0)
    _deadline(closed_first, INTERVIEW.key, closed_first.pk, due_at=T0 + 4 * DAY)
    current = ApplicationFactory(next_deadline=T0 + 2 * DAY)  # already right: not written
    _deadline(current, APPEAL.key, current.pk, due_at=T0 + 2 * DAY)
    only_hidden = ApplicationFactory()
    _deadline(only_hidden, QUEUE_NOTICE.key, only_hidden.pk, due_at=T0 + DAY)
    cases = [no_deadline, hidden_first, closed_first, current, only_hidden]
    expected = [None, T0 + 9 * DAY, T0 + 4 * DAY, T0 + 2 * DAY, None]
    for app, soonest in zip(cases, expected, strict=True):
        app = Application.objects.get(pk=app.pk)
        ours_app = Application.objects.get(pk=app.pk)
        ours = _effect(lambda a=ours_app: refresh_next_deadline(a), _applications)[1]
        theirs_app = Application.objects.get(pk=app.pk)
        theirs = _effect(lambda a=theirs_app: _orm_refresh(a), _applications)[1]
        assert ours == theirs, app
        assert ours_app.next_deadline == theirs_app.next_deadline == soonest
        assert ours[0][app.pk]["next_deadline"] == soonest


# --- the sweep ----------------------------------------------------------------------------------


def _orm_eligible(channel: Any, deadlines: Any, audience: str) -> Any:
    """The channel's rule on a QuerySet: e-mail needs an address (``EmailChannel``'s SQL)."""
    if channel.name == "email":
        path = "recipient_user__email" if audience == STAFF else "person__email"
        return deadlines.exclude(**{path: ""})
    return channel.eligible(deadlines, audience)


def _orm_sweep(
    now: dt.datetime,
    deadline_ids: list[int] | None = None,
    source_keys: list[str] | None = None,
) -> tuple[Counter, int]:
    """The sweep's rule written with the ORM, one query per source × kind × audience × channel
    (as it was before the sweep became one statement); returns what the sweep reports."""
    registry = sources()
    specs = list(registry.values()) if source_keys is None else [registry[k] for k in source_keys]
    before = set(_reminders())
    rows: list[Reminder] = []
    source_of: dict[int, str] = {}
    for spec in specs:
        for kind in spec.reminders:
            for audience in sorted(kind.audiences):
                for channel in channels_for(audience, kind.channels):
                    due = Deadline.objects.filter(source=spec.key, closed_at=None)
                    if kind.only_before_due:
                        due = due.filter(due_at__gt=now)
                    if kind.at_remind_from:
                        due = due.filter(remind_from__lte=now)
                    else:
                        due = due.filter(due_at__lte=now - kind.offset)
                    if audience == STAFF:
                        due = due.filter(recipient_user__isnull=False)
                    else:
                        due = due.filter(notify_person=True, person__isnull=False)
                    if deadline_ids is not None:
                        due = due.filter(pk__in=deadline_ids)
                    for d in _orm_eligible(channel, due, audience):
                        source_of[d.pk] = d.source
                        recipient = (
                            f"user:{d.recipient_user_id}"
                            if audience == STAFF
                            else f"person:{d.person_id}"
                        )
                        rows.append(
                            Reminder(
                                deadline_id=d.pk,
                                recipient=recipient,
                                kind=kind.name,
                                channel=channel.name,
                                cycle=d.cycle,
                                resend=0,
                                status=ReminderStatus.PENDING,
                                created_at=now,
                                attempts=0,
                                failure="",
                            )  # fmt: skip
                        )
    Reminder.objects.bulk_create(rows, ignore_conflicts=True)
    created = set(_reminders()) - before
    counts = Counter((source_of[key[0]], key[2]) for key in created)
    advanced = sum(
        _advance_recurring(spec, spec.every, now, deadline_ids) for spec in specs if spec.every
    )
    return counts, advanced


def _compare_sweeps(now: dt.datetime, **narrow: Any) -> Counter:
    ours, tables = _effect(
        lambda: reminders_create_due(now=now, returning=True, **narrow), _deadlines, _reminders
    )
    theirs, orm_tables = _effect(lambda: _orm_sweep(now, **narrow), _deadlines, _reminders)
    assert tables == orm_tables, now
    assert (ours.counts, ours.advanced) == theirs, now
    assert len(ours.ids) == ours.total
    return ours.counts


def test_the_sweep_writes_the_reminders_and_moves_the_notices_the_orm_would(
    unit, registrar, caseworker, decider, other_caseworker
):
    lodged = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit)
    no_email = lodged_case(registrar=registrar, caseworker=caseworker, unit=unit, email="")
    rejected = rejected_case(caseworker=caseworker, decider=decider, unit=unit)
    # a decision whose delivery is never recorded: staff are reminded to record it
    undelivered = rejected_case(caseworker=caseworker, decider=decider, unit=unit, delivered=False)
    interview = interview_case(caseworker=caseworker, unit=unit)
    held = held_case(caseworker=caseworker, unit=unit)  # its review date comes up
    other_caseworker.email = ""  # staff without an address: admin panel only
    other_caseworker.save()
    unreachable = rejected_case(caseworker=other_caseworker, decider=decider, unit=unit)
    unassigned = ApplicationFactory(person=PersonFactory())  # no staff recipient
    with time_machine.travel(T0, tick=False):
        deadline_set(
            source=APPEAL.key, object_id=unassigned.pk, due_at=T0 + 4 * DAY, application=unassigned
        )
    # a granted case: its residence permit's expiry deadline (years ahead, reached below)
    granted = ApplicationFactory(
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=T0 - 3 * DAY,
    )
    with time_machine.travel(T0, tick=False):
        granted = application_decide(
            actor=decider, application=granted, outcome="refugee_convention", grounds="Yes."
        )
        # a person just arrived: the tuberculosis screening due within two weeks
        tb_screening_open(
            actor=None, person=PersonFactory(), arrived_on=T0.date(), recipient_user=caseworker
        )
    permit = ResidencePermit.objects.get(application=granted)
    expiry = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk).due_at
    assert lodged and no_email and unreachable and undelivered and held
    seen: Counter = Counter()
    moments = [
        T0 + 2 * DAY,
        T0 + 8 * DAY,
        T0 + 12 * DAY,
        T0 + 17 * DAY,
        T0 + 23 * DAY,
        T0 + 31 * DAY,
    ]
    moments += [T0 + 100 * DAY, T0 + 175 * DAY, T0 + 190 * DAY]
    # the permit's expiry: 3 months before, 5 weeks before, and once it has expired
    moments += [expiry - 90 * DAY, expiry - 34 * DAY, expiry + DAY]
    for step, now in enumerate(moments):
        with time_machine.travel(now, tick=False):
            seen += _compare_sweeps(now)
            if step == 1:  # narrowed as deadline_set narrows it
                interview_deadline = Deadline.objects.get(source=INTERVIEW.key)
                _compare_sweeps(
                    now, deadline_ids=[interview_deadline.pk], source_keys=[INTERVIEW.key]
                )
            reminders_create_due(now=now)  # keep this sweep's rows, then deliver some
            pending = list(Reminder.objects.filter(status=ReminderStatus.PENDING).order_by("pk"))
            for i, reminder in enumerate(pending):
                status = [ReminderStatus.SENT, ReminderStatus.FAILED, ReminderStatus.PENDING][i % 3]
                Reminder.objects.filter(pk=reminder.pk).update(status=status, attempts=i % 3)
            if step == 2:  # the interview moves: a new cycle, its reminders again
                deadline_set(
                    source=INTERVIEW.key,
                    object_id=interview_deadline.object_id,
                    due_at=now + 2 * DAY,
                    application=interview.application,
                )
            if step == 4:  # the rejected case's appeal is closed: no more reminders
                deadlines_close(sources=[APPEAL.key], object_id=rejected.pk, application=rejected)
    # Every casework source and kind was created at least once along the way; the event
    # notices' rows are made by their service at once (tests/casework/test_notices.py), so the
    # sweep has none left to make here.
    kinds = {
        (key, kind.name)
        for key, spec in sources().items()
        if key.startswith("casework.")
        for kind in spec.reminders
        if kind.name != "event"
    }
    assert kinds <= set(seen), kinds - set(seen)
