"""The permits' hand-built statements: a decision's permit granted, and one batch of a group
renewal's permits extended at once.

A granted permit (``grant``), on PostgreSQL: the permit row, its audit event (which names the
permit by its new key) and its expiry deadline in one statement; a decision's transaction
takes one round trip for them instead of three. ``tests/permits/test_permit_grant.py``
compares its rows with the ORM's column by column.

The group renewal (``renew_batch``):

On PostgreSQL one statement (data-modifying ``WITH``) picks the next batch of the run's
permits not yet renewed by it (locking them), extends them (``UPDATE … RETURNING``), and in
the same statement inserts each one's renewal row and audit event, moves its expiry deadline
(a new cycle, the old date's unsent reminders cancelled) and opens the holder's renewal
notice. Elsewhere (SQLite) the ORM does the same, row set by row set (``renew_batch_orm``);
``tests/permits/test_group_renewal.py`` compares the two column by column.

The caller holds the run's row lock (``services.renewal_run_execute``): two workers running
one run take turns batch by batch, and each batch's statement starts after the previous
batch committed, so its ``NOT EXISTS`` sees every renewal already made and no permit is
renewed twice by one run (the unique key ``one_renewal_per_run`` holds it in the database
too).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import OuterRef, QuerySet

from casework.audit.models import AuditEvent
from casework.core.statements import (
    ProbeExists,
    insert,
    insert_values,
    inserted,
    prepared_cursor,
)
from casework.deadlines.choices import ReminderStatus
from casework.deadlines.models import Deadline, Reminder
from casework.deadlines.registry import EVENT_WINDOW
from casework.permits.choices import PermitType
from casework.permits.deadlines import PERMIT_EXPIRY, PERMIT_RENEWED
from casework.permits.models import PermitRenewal, RenewalRun, ResidencePermit
from casework.permits.terms import until_after

RENEWED_ACTION = "permit.renewed"


def run_permits(run: RenewalRun) -> QuerySet[ResidencePermit]:
    """Every permit the run's criteria name: collective protection only (§ 34), of the
    group, the holders' nationalities, granted in the date range, expiring by the day; none
    a later decision ended."""
    qs = ResidencePermit.objects.filter(permit_type=PermitType.COLLECTIVE, ended_on=None)
    if run.group:
        qs = qs.filter(group=run.group)
    codes = [c.strip().upper() for c in run.nationalities.split(",") if c.strip()]
    if codes:
        qs = qs.filter(person__nationality__in=codes)
    if run.granted_from:
        qs = qs.filter(valid_from__gte=run.granted_from)
    if run.granted_to:
        qs = qs.filter(valid_from__lte=run.granted_to)
    if run.expiring_by:
        qs = qs.filter(valid_until__lte=run.expiring_by)
    return qs


def pending_permits(run: RenewalRun, *, after: int = 0) -> QuerySet[ResidencePermit]:
    """The run's permits it has not renewed yet (those with an id above ``after``).

    Each permit asks the run's unique key whether it is renewed (``ProbeExists``: one index
    probe a permit). As a plain ``NOT EXISTS`` the planner, told by the statistics that a new
    run has renewed nothing, kept the run's renewals in memory and compared every permit
    with all of them: at a million cases a batch of 5,000 took 25 s by its twelfth batch."""
    done = PermitRenewal.objects.filter(run_id=run.pk, permit_id=OuterRef("pk"))
    qs = run_permits(run).filter(~ProbeExists(done))
    return qs.filter(pk__gt=after) if after else qs


def renewed_up_to(run: RenewalRun) -> int:
    """The highest permit id the run has renewed (0: none): batches pick permits in id order,
    so the next batch starts above it instead of walking the renewed ones again."""
    return (
        PermitRenewal.objects.filter(run_id=run.pk)
        .order_by("-permit_id")
        .values_list("permit_id", flat=True)
        .first()
        or 0
    )


def expiry_due(until: dt.date) -> dt.datetime:
    """The expiry deadline of a permit valid until ``until``: the end of that day, local."""
    from zoneinfo import ZoneInfo

    return dt.datetime.combine(until, dt.time(23, 59, 59), tzinfo=ZoneInfo(settings.TIME_ZONE))


@cache
def _grant_statement() -> tuple[str, tuple[list[Any], ...]]:
    """``grant``'s statement and the fields of each of its three rows, in their order: made
    once a process (PostgreSQL's quoting; the models' metadata)."""
    qn = connection.ops.quote_name
    permit_key = "(SELECT id FROM permit)"
    targets, columns = [], []
    for model in (ResidencePermit, AuditEvent, Deadline):
        meta = model._meta
        fields = [f for f in meta.concrete_fields if f is not meta.auto_field]
        exprs = [
            f"%s::jsonb || jsonb_build_object('subject', %s::text || {permit_key})"
            if model is AuditEvent and f.name == "changes"
            else permit_key
            if model is Deadline and f.name == "object_id"
            else "%s"
            for f in fields
        ]
        targets.append(
            f"{qn(meta.db_table)} ({', '.join(qn(f.column) for f in fields)}) "
            f"VALUES ({', '.join(exprs)})"
        )
        columns.append(fields)
    # Identifiers come from the models' metadata; every value is a parameter.
    sql = f"""
WITH permit AS (
  INSERT INTO {targets[0]} RETURNING id
), event AS (
  INSERT INTO {targets[1]} RETURNING id
), expiry AS (
  INSERT INTO {targets[2]} ON CONFLICT (source, object_id) DO NOTHING RETURNING id
)
SELECT (SELECT id FROM permit), (SELECT id FROM event), (SELECT id FROM expiry)"""  # noqa: S608  # nosec B608
    return sql, tuple(columns)


def grant(permit: ResidencePermit, event: AuditEvent, expiry: Deadline) -> bool:
    """PostgreSQL: insert the new ``permit``, its audit ``event`` (``changes["subject"]`` set
    to the permit's key) and its ``expiry`` deadline (``object_id``: the permit's key) in one
    statement, and set the three rows' keys. False: the source already had a deadline for
    that key (a stale row), which was left as it is for the caller to move
    (``deadline_set``); the permit and its event are written either way."""
    sql, (permit_fields, event_fields, expiry_fields) = _grant_statement()
    params = insert_values(permit, permit_fields, connection)
    for f, value in zip(event_fields, insert_values(event, event_fields, connection), strict=True):
        params += (
            [value, f"{ResidencePermit._meta.label_lower}:"] if f.name == "changes" else [value]
        )
    params += [
        value
        for f, value in zip(
            expiry_fields, insert_values(expiry, expiry_fields, connection), strict=True
        )
        if f.name != "object_id"
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        permit_id, event_id, expiry_id = cursor.fetchone()
    inserted(permit, permit_id, connection)
    inserted(event, event_id, connection)
    event.changes = {"subject": permit.audit_subject, **event.changes}
    expiry.object_id = permit_id
    if expiry_id is None:
        return False
    inserted(expiry, expiry_id, connection)
    return True


def grant_orm(permit: ResidencePermit, event: AuditEvent) -> None:
    """``grant`` without the deadline, a statement a row (SQLite, a permit whose first expiry
    reminder is already due, and the comparison the PostgreSQL statement is held to): the
    caller opens the deadline (``deadline_set``)."""
    insert(permit)
    event.changes = {"subject": permit.audit_subject, **event.changes}
    insert(event)


def renew_batch(
    *, run: RenewalRun, actor_id: int | None, now: dt.datetime, limit: int, after: int = 0
) -> int:
    """Renew the next ``limit`` permits of ``run`` (with an id above ``after``); how many were
    renewed (0: none left)."""
    if connection.vendor != "postgresql":
        return renew_batch_orm(run=run, actor_id=actor_id, now=now, limit=limit, after=after)
    pick_sql, pick_params = (
        pending_permits(run, after=after)
        .order_by("pk")
        .values_list("pk", flat=True)[:limit]
        .query.sql_with_params()
    )
    qn = connection.ops.quote_name
    permit = qn(ResidencePermit._meta.db_table)
    renewal = qn(PermitRenewal._meta.db_table)
    audit = qn(AuditEvent._meta.db_table)
    deadline = qn(Deadline._meta.db_table)
    reminder = qn(Reminder._meta.db_table)
    expiry_offset = -PERMIT_EXPIRY.first_offset
    notice_due = now + EVENT_WINDOW
    notice_from = notice_due + PERMIT_RENEWED.first_offset
    # Identifiers come from the models' metadata; the criteria are the ORM's own compiled
    # query with its parameters; every value is a parameter.
    sql = f"""
WITH picked AS (
  SELECT p.id, p.valid_until AS previous_until, p.person_id, p.application_id,
         p.valid_until + 1 AS start, (p.valid_until + 1) + make_interval(months => %s) AS shifted
  FROM {permit} p WHERE p.id IN (SELECT q.pk FROM ({pick_sql}) q)
  ORDER BY p.id FOR UPDATE OF p
), renewed AS (
  UPDATE {permit} p
  SET valid_until = CASE WHEN extract(day FROM picked.shifted) < extract(day FROM picked.start)
                         THEN picked.shifted::date ELSE picked.shifted::date - 1 END,
      renewal_count = p.renewal_count + 1, version = p.version + 1, updated_at = %s
  FROM picked WHERE p.id = picked.id
  RETURNING p.id, picked.previous_until, p.valid_until, p.person_id, p.application_id
), history AS (
  INSERT INTO {renewal} (permit_id, run_id, previous_until, new_until, renewed_at, renewed_by_id)
  SELECT id, %s, previous_until, valid_until, %s, %s FROM renewed
), audited AS (
  INSERT INTO {audit} (application_id, person_id, actor_id, at, action, source_state,
                       target_state, reason, changes)
  SELECT application_id, person_id, %s, %s, %s, '', '', %s,
         jsonb_build_object('subject', %s || id, 'run', %s::bigint,
                            'valid_until', jsonb_build_array(previous_until::text,
                                                             valid_until::text))
  FROM renewed
), moved AS (
  UPDATE {deadline} d
  SET due_at = (r.valid_until + time '23:59:59') AT TIME ZONE %s,
      remind_from = ((r.valid_until + time '23:59:59') AT TIME ZONE %s) - %s,
      cycle = d.cycle + 1, closed_at = NULL
  FROM renewed r WHERE d.source = %s AND d.object_id = r.id
  RETURNING d.id
), cancelled AS (
  UPDATE {reminder} SET status = %s
  WHERE status = %s AND deadline_id IN (SELECT id FROM moved)
), told AS (
  INSERT INTO {deadline} (source, object_id, application_id, person_id, due_at, remind_from,
                          recipient_user_id, notify_person, closed_at, cycle)
  SELECT %s, id, application_id, person_id, %s, %s, NULL, true, NULL, 0 FROM renewed
  ON CONFLICT (source, object_id) DO UPDATE
  SET due_at = EXCLUDED.due_at, remind_from = EXCLUDED.remind_from, closed_at = NULL,
      cycle = {deadline}.cycle + 1
)
SELECT count(*) FROM renewed"""  # noqa: S608  # nosec B608
    params = [
        run.months,
        *pick_params,
        now,
        run.pk,
        now,
        actor_id,
        actor_id,
        now,
        RENEWED_ACTION,
        run.legal_basis,
        f"{ResidencePermit._meta.label_lower}:",
        run.pk,
        settings.TIME_ZONE,
        settings.TIME_ZONE,
        expiry_offset,
        PERMIT_EXPIRY.key,
        ReminderStatus.CANCELLED.value,
        ReminderStatus.PENDING.value,
        PERMIT_RENEWED.key,
        notice_due,
        notice_from,
    ]
    with prepared_cursor() as cursor:
        cursor.execute(sql, params)
        return int(cursor.fetchone()[0])


def renew_batch_orm(
    *, run: RenewalRun, actor_id: int | None, now: dt.datetime, limit: int, after: int = 0
) -> int:
    """``renew_batch`` through the ORM, a few statements per batch (SQLite, and the
    comparison the PostgreSQL statement is held to)."""
    pending = pending_permits(run, after=after).order_by("pk").values_list("pk", flat=True)
    permits = list(
        ResidencePermit.objects.select_for_update()
        .filter(pk__in=list(pending[:limit]))
        .order_by("pk")
    )
    if not permits:
        return 0
    renewals, events, previous = [], [], {}
    for p in permits:
        previous[p.pk] = p.valid_until
        p.valid_until = until_after(p.valid_until + dt.timedelta(days=1), run.months)
        p.renewal_count += 1
        p.version += 1
        p.updated_at = now
        renewals.append(
            PermitRenewal(
                permit_id=p.pk,
                run_id=run.pk,
                previous_until=previous[p.pk],
                new_until=p.valid_until,
                renewed_at=now,
                renewed_by_id=actor_id,
            )
        )
        events.append(
            AuditEvent(
                application_id=p.application_id,
                person_id=p.person_id,
                actor_id=actor_id,
                at=now,
                action=RENEWED_ACTION,
                reason=run.legal_basis,
                changes={
                    "subject": p.audit_subject,
                    "run": run.pk,
                    "valid_until": [previous[p.pk].isoformat(), p.valid_until.isoformat()],
                },
            )
        )
    ResidencePermit.objects.bulk_update(
        permits, ["valid_until", "renewal_count", "version", "updated_at"]
    )
    PermitRenewal.objects.bulk_create(renewals)
    AuditEvent.objects.bulk_create(events)
    by_id = {p.pk: p for p in permits}
    moved = list(Deadline.objects.filter(source=PERMIT_EXPIRY.key, object_id__in=list(by_id)))
    for d in moved:
        d.due_at = expiry_due(by_id[d.object_id].valid_until)
        d.remind_from = d.due_at + PERMIT_EXPIRY.first_offset
        d.cycle += 1
        d.closed_at = None
    Deadline.objects.bulk_update(moved, ["due_at", "remind_from", "cycle", "closed_at"])
    Reminder.objects.filter(
        deadline_id__in=[d.pk for d in moved], status=ReminderStatus.PENDING
    ).update(status=ReminderStatus.CANCELLED)
    notice_due = now + EVENT_WINDOW
    notice_from = notice_due + PERMIT_RENEWED.first_offset
    told = {
        d.object_id: d
        for d in Deadline.objects.filter(source=PERMIT_RENEWED.key, object_id__in=list(by_id))
    }
    new: list[Any] = []
    for pk, p in by_id.items():
        found = told.get(pk)
        if found is None:
            new.append(
                Deadline(
                    source=PERMIT_RENEWED.key,
                    object_id=pk,
                    application_id=p.application_id,
                    person_id=p.person_id,
                    due_at=notice_due,
                    remind_from=notice_from,
                    notify_person=True,
                )
            )
        else:
            found.due_at, found.remind_from, found.closed_at, found.cycle = (
                notice_due,
                notice_from,
                None,
                found.cycle + 1,
            )
    Deadline.objects.bulk_update(
        list(told.values()), ["due_at", "remind_from", "closed_at", "cycle"]
    )
    Deadline.objects.bulk_create(new)
    return len(permits)
