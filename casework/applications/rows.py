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


def lodging_deadlines(kind: str, lodged_on: dt.date) -> list[tuple[str, dt.datetime]]:
    """(source, due) of the deadlines lodging opens: the queue notice after 30 days, and for
    individual applications the examination target, six months on (Directive 2013/32/EU
    art. 31); collective protection has none."""
    start = lodged_at(lodged_on)
    due = [(deadlines.QUEUE_NOTICE.key, start + deadlines.QUEUE_NOTICE_PERIOD)]
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
    for source, due in lodging_deadlines(application.kind, application.lodged_on):
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
