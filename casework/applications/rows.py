"""The rows lodging an application writes, built in one place for every writer.

Lodging writes the application (state ``submitted``), its "created" history row
(django-simple-history), the audit event ``lodged``, and the deadlines lodging opens: the
"still in the queue" notice and, for individual applications, the examination target.
``services.application_lodge`` writes them through the ORM (the deadlines through
``deadline_set``, which also reminds at once of a notice already due), the CSV import in bulk
(``casework.intake.writer``: ``COPY`` on PostgreSQL, ``bulk_create`` elsewhere): all from these
two builders. ``tests/casework/test_rows_parity.py`` compares every column of every path.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from casework.applications.choices import ApplicationKind, Track
from casework.applications.models import Application
from casework.audit.history import history_row
from casework.audit.models import AuditEvent
from casework.core.rows import new_row
from casework.deadlines import registry as deadlines
from casework.deadlines.services import deadline_new


def lodged_at(lodged_on: dt.date) -> dt.datetime:
    """Noon local time on the day of lodging: where lodging's deadlines count from (wall
    clock: across a change to summer time it is still noon)."""
    return dt.datetime.combine(lodged_on, dt.time(12), tzinfo=timezone.get_current_timezone())


def queue_notice_due(lodged_on: dt.date, at: dt.datetime | None = None) -> dt.datetime:
    """When the "still in the queue" notice of a case lodged on ``lodged_on`` and written at
    ``at`` is first due: every 30 days from the lodging, the first of those after ``at``.

    A case lodged more than a month before it is written here (an import of earlier arrivals,
    a late registration) is told it was received at once (``RECEIVED_NOTICE``); its notice
    then comes on the lodging's own 30-day rhythm, within a month, as if the sweep had moved
    it on all along. Written already due instead, every such notice would be reminded and
    moved on by the first sweep after the import: a million row updates in one statement
    after a million-row import, and a "still in the queue" beside every "received"."""
    every = deadlines.QUEUE_NOTICE_PERIOD
    due = lodged_at(lodged_on) + every
    if at is not None and due <= at:
        due += ((at - due) // every + 1) * every
    return due


def lodging_deadlines(
    kind: str, lodged_on: dt.date, at: dt.datetime | None = None
) -> list[tuple[str, dt.datetime]]:
    """(source, due) of the deadlines lodging opens, written at ``at``: the queue notice
    30 days on (``queue_notice_due``), and for individual applications the examination
    target, six months on (Directive 2013/32/EU art. 31); collective protection has none."""
    start = lodged_at(lodged_on)
    due = [(deadlines.QUEUE_NOTICE.key, queue_notice_due(lodged_on, at))]
    if kind != ApplicationKind.COLLECTIVE:
        due.append((deadlines.EXAMINATION_TARGET.key, start + deadlines.EXAMINATION_TARGET_PERIOD))
    return due


def application_new(
    *,
    person_id: int,
    kind: str,
    lodged_on: dt.date,
    track: str = Track.NORMAL,
    **fields: Any,
) -> Application:
    """The new application in state ``submitted``, not written; ``next_deadline`` is already
    the soonest deadline lodging opens (notices such as the queue notice are not counted)."""
    hidden = deadlines.hidden_sources()
    shown = [due for source, due in lodging_deadlines(kind, lodged_on) if source not in hidden]
    return new_row(
        Application,
        {
            "person_id": person_id,
            "kind": kind,
            "track": track or Track.NORMAL,
            "lodged_on": lodged_on,
            "next_deadline": min(shown, default=None),
            **fields,
        },
    )


def application_lodged_rows(
    application: Application,
    *,
    actor_id: int | None,
    at: dt.datetime,
    history_user_id: int | None,
    via: str = "",
    notify: bool = True,
) -> list[Any]:
    """The rows that go with a lodged application (keyed: written, or given a reserved key):
    the history row "+", the audit event ``lodged`` (``via``: "import" for a bulk import), the
    deadlines of ``lodging_deadlines`` and, with ``notify``, the applicant's "application
    received" notice (``registry.RECEIVED_NOTICE``; demo data of past years is not told)."""
    changes = {"kind": application.kind, "track": application.track}
    if via:
        changes["source"] = via
    rows: list[Any] = [
        history_row(application, "+", date=at, user_id=history_user_id),
        new_row(
            AuditEvent,
            {
                "application_id": application.pk,
                "person_id": application.person_id,
                "actor_id": actor_id,
                "at": at,
                "action": "lodged",
                "target_state": application.state,
                "changes": changes,
            },
        ),
    ]
    for source, due in lodging_deadlines(application.kind, application.lodged_on, at):
        rows.append(
            deadline_new(
                source=source, object_id=application.pk, due_at=due, application=application
            )
        )
    if notify:
        rows.append(
            deadline_new(
                source=deadlines.RECEIVED_NOTICE.key,
                object_id=application.pk,
                due_at=at + deadlines.EVENT_WINDOW,
                application=application,
            )
        )
    return rows
