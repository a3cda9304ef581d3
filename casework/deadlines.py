"""The deadline registry: each app declares what dates matter, and for whom.

``casework`` owns the machinery; ``reception`` and ``integration`` call ``register`` from
their ``AppConfig.ready`` so that ``casework`` never imports them. A source's deadlines are
rows (``Deadline``), created and closed by that app's services through ``deadline_set`` and
``deadline_close``; the sweep (``tasks.sweep_deadlines``) needs nothing but those rows.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class DeadlineSource:
    """What a kind of deadline is, who is told, and how long before."""

    key: str
    label: Any
    lead: dt.timedelta
    notify_staff: bool = True
    notify_person: bool = False
    person_message: Any = ""


_registry: dict[str, DeadlineSource] = {}


def register(source: DeadlineSource) -> DeadlineSource:
    _registry[source.key] = source
    return source


def sources() -> dict[str, DeadlineSource]:
    return dict(_registry)


def get_source(key: str) -> DeadlineSource:
    return _registry[key]


APPEAL = register(
    DeadlineSource(
        key="casework.appeal",
        label=_("appeal deadline"),
        lead=dt.timedelta(days=5),
        notify_person=True,
        person_message=_("You can appeal the decision until %(due)s."),
    )
)
INTERVIEW = register(
    DeadlineSource(
        key="casework.interview",
        label=_("asylum interview"),
        lead=dt.timedelta(days=3),
        notify_person=True,
        person_message=_("Your asylum interview is on %(due)s."),
    )
)
EXAMINATION_TARGET = register(
    DeadlineSource(
        key="casework.examination_target",
        label=_("examination target (6 months, Procedures Directive art. 31)"),
        lead=dt.timedelta(days=14),
    )
)
EXAMINATION_TARGET_PERIOD = dt.timedelta(days=183)


def deadline_set(
    *,
    source: str,
    object_id: int,
    due_at: dt.datetime,
    application: Any = None,
    person: Any = None,
    recipient_user: Any = None,
) -> Any:
    """Create or move the deadline of ``source`` for ``object_id``; reopen it if closed."""
    from .models import Deadline

    spec = get_source(source)
    deadline, _created = Deadline.objects.update_or_create(
        source=source,
        object_id=object_id,
        defaults={
            "due_at": due_at,
            "remind_from": due_at - spec.lead,
            "application": application,
            "person": person or (application.person if application is not None else None),
            "recipient_user": recipient_user if spec.notify_staff else None,
            "notify_person": spec.notify_person,
            "closed_at": None,
        },
    )
    if application is not None:
        refresh_next_deadline(application)
    return deadline


def deadline_close(*, source: str, object_id: int, application: Any = None) -> None:
    """The thing happened (or no longer needs to): no more reminders for it."""
    from .models import Deadline

    Deadline.objects.filter(source=source, object_id=object_id, closed_at=None).update(
        closed_at=timezone.now()
    )
    if application is not None:
        refresh_next_deadline(application)


def refresh_next_deadline(application: Any) -> None:
    """Keep ``Application.next_deadline`` (shown and filtered in lists) at the soonest open one."""
    from .models import Application, Deadline

    soonest = Deadline.objects.filter(application=application, closed_at=None).aggregate(
        m=Min("due_at")
    )["m"]
    if soonest != application.next_deadline:
        Application.objects.filter(pk=application.pk).update(next_deadline=soonest)
        application.next_deadline = soonest
