"""What every integration service shares: audit events tagged with the record, and the
transitions each user may make now.

Transitions themselves are made by casework's one generic service
(``casework.transitions.services.transition_make``) through each model's ``Workflow``
(``work_permits.WORK_PERMITS``, ``family.FAMILY``, ``programme.PROGRAMMES``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from casework.audit.services import audit_log
from casework.core.exceptions import ConditionsUnmet
from casework.models import Application, Person
from casework.staff.users import AnyUser
from casework.transitions.services import WORKFLOWS, Workflow, transitions_available

__all__ = ["ConditionsUnmet", "audit", "available_transitions", "jsonable", "workflow_of"]


def audit(
    *,
    actor: AnyUser | None,
    record: Any,
    action: str,
    person: Person,
    application: Application | None = None,
    source_state: str = "",
    target_state: str = "",
    reason: str = "",
    changes: dict[str, Any] | None = None,
) -> Any:
    """A casework audit event about an integration record, tagged so its timeline finds it."""
    return audit_log(
        actor=actor,
        action=action,
        application=application,
        person=person,
        source_state=source_state,
        target_state=target_state,
        reason=reason,
        changes={"subject": record.audit_subject, **jsonable(changes or {})},
    )


def jsonable(data: dict[str, Any]) -> dict[str, Any]:
    return {
        k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v) for k, v in data.items()
    }


def subject(record: Any) -> dict[str, Any]:
    """What every transition's audit event of an integration record keeps: the tag."""
    return {"subject": record.audit_subject}


def workflow_of(record: Any) -> Workflow[Any]:
    """The ``Workflow`` of ``record``'s model."""
    return WORKFLOWS[record._meta.label]


def available_transitions(
    *, record: Any, user: AnyUser, names: Iterable[str] | None = None
) -> list[str]:
    """The transitions ``user`` may make on ``record`` now (state, guards and permission),
    among ``names`` if given."""
    found = transitions_available(workflow=workflow_of(record), record=record, user=user)
    return found if names is None else [n for n in found if n in set(names)]
