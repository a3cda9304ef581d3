"""What every integration service shares: audit tagging and the transition machinery."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict
from casework.models import Application, Person

from ..eligibility import (
    Unmet,
)

log = logging.getLogger(__name__)


class ConditionsUnmet(TransitionConflict):
    """A transition's legal conditions are not met; ``unmet`` names each one."""

    def __init__(self, message: str, *, unmet: list[Unmet], current_state: str) -> None:
        super().__init__(message, current_state=current_state)
        self.unmet = unmet


def audit(
    *,
    actor: Any,
    record: Any,
    action: str,
    person: Person,
    application: Application | None = None,
    source_state: str = "",
    target_state: str = "",
    reason: str = "",
    changes: dict | None = None,
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


def jsonable(data: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v) for k, v in data.items()
    }


# --- Generic transition machinery -----------------------------------------------------------


def permitted(record: Any, name: str, user: Any) -> bool:
    """Whether ``user`` holds the permission of transition ``name`` on ``record``, in any state.

    Asked apart from the state to tell "you may not" (403) from "not now" (409).
    """
    for spec in getattr(record, name)._django_fsm.transitions.values():
        return bool(spec.has_perm(record, user))
    return False


def refusal(record: Any, name: str) -> str | None:
    """Why ``name`` cannot be made on ``record`` now, in a sentence; None if it can."""
    spec = getattr(record, name)._django_fsm.get_transition(record.state)
    if spec is None:
        return _("This action is not possible while it is %(state)s.") % {
            "state": record.get_state_display()
        }
    for cond in spec.conditions:
        if not cond(record):
            return str(getattr(cond, "refusal", _("A condition for this action is not met.")))
    return None


def available_transitions(*, record: Any, user: Any, names: tuple[str, ...]) -> list[str]:
    """The transitions ``user`` may make on ``record`` now (state, guards and permission)."""
    return [n for n in names if permitted(record, n, user) and refusal(record, n) is None]


def check_transition(record: Any, name: str, actor: Any, expected_version: int | None) -> None:
    if not permitted(record, name, actor):
        log.warning(
            "refused %s on %s id=%s by user id=%s",
            name,
            record._meta.label_lower,
            record.pk,
            getattr(actor, "pk", None),
        )
        raise PermissionDenied(_("You are not allowed to do this."))
    if expected_version is not None and record.version != expected_version:
        raise TransitionConflict(
            _("Another user changed this record first. Reload it and try again."),
            current_state=record.state,
        )
