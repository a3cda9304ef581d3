"""The only writers of integration data: work permits, family reunification, programmes.

Same pattern as ``casework.services``: each service takes the acting user explicitly and runs
in one transaction: lock the row, check permission (raise ``PermissionDenied``), check state
and guards (raise ``TransitionConflict``), apply the transition, save, write one casework
audit event tagged with the record (``changes["subject"]``), and move its deadlines.
``actor=None`` means the system (the expiry sweep, reactions to casework's transitions).
Transitions go through casework's one generic service, with a ``Workflow`` per model
(``WORK_PERMITS``, ``FAMILY``, ``PROGRAMMES``) over the declarations in ``workflow.py``.
"""

from __future__ import annotations

from typing import Any

from casework.applications.choices import State
from casework.models import Application
from casework.staff.users import AnyUser

from .common import ConditionsUnmet, audit, available_transitions, workflow_of
from .family import (
    FAMILY,
    family_record_documents,
    family_register,
    family_transition,
    family_windows_open,
)
from .officers import municipality_officer_add, municipality_officer_remove
from .programme import (
    PROGRAMMES,
    programme_add_element,
    programme_enrol,
    programme_record_test,
    programme_transition,
    programme_warnings,
)
from .work_permits import (
    WORK_PERMITS,
    work_permit_request,
    work_permit_transition,
    work_permits_end,
    work_permits_expire_due,
    work_permits_follow_application,
    work_permits_follow_return,
)

# Every integration workflow (casework's registry, ``WORKFLOWS``, holds them with the others).
WORKFLOWS = (WORK_PERMITS, FAMILY, PROGRAMMES)

__all__ = [
    "FAMILY",
    "PROGRAMMES",
    "WORKFLOWS",
    "WORK_PERMITS",
    "ConditionsUnmet",
    "audit",
    "available_transitions",
    "family_record_documents",
    "family_register",
    "family_transition",
    "family_windows_open",
    "municipality_officer_add",
    "municipality_officer_remove",
    "on_application_transitioned",
    "programme_add_element",
    "programme_enrol",
    "programme_record_test",
    "programme_transition",
    "programme_warnings",
    "work_permit_request",
    "work_permit_transition",
    "work_permits_expire_due",
    "work_permits_end",
    "work_permits_follow_application",
    "work_permits_follow_return",
    "workflow_of",
]


def on_application_transitioned(
    sender: Any,
    *,
    application: Application,
    name: str,
    source: str,
    target: str,
    actor: AnyUser | None,
    decision: Any = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``casework.applications.signals.application_transitioned`` (inside its
    transaction): work permits follow the case; protection granted opens the sponsor's
    family-reunification windows."""
    work_permits_follow_application(
        application=application, name=name, source=source, target=target, actor=actor
    )
    if target == State.ACCEPTED:
        family_windows_open(application=application, actor=actor, decision=decision)
