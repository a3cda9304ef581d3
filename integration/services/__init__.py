"""The only writers of integration data: work permits, family reunification, programmes.

Same pattern as ``casework.services``: each service takes the acting user explicitly and runs
in one transaction: lock the row, check permission (raise ``PermissionDenied``), check state
and guards (raise ``TransitionConflict``), apply the transition, save, write one casework
audit event tagged with the record (``changes["subject"]``), and move its deadlines.
``actor=None`` means the system (the expiry sweep, reactions to casework's transitions).
The introduction programme's services are in ``programme_services.py``.
"""

from __future__ import annotations

from typing import Any

from casework.models import Application

from .common import (
    ConditionsUnmet,
    audit,
    available_transitions,
    check_transition,
    permitted,
    refusal,
)
from .family import (
    family_record_documents,
    family_register,
    family_transition,
    family_windows_open,
)
from .officers import municipality_officer_add, municipality_officer_remove
from .programme import (
    programme_add_element,
    programme_enrol,
    programme_record_test,
    programme_transition,
    programme_warnings,
)
from .work_permits import (
    DEPARTURE_PERIOD,
    work_permit_request,
    work_permit_transition,
    work_permits_expire_due,
    work_permits_follow_application,
)

__all__ = [
    "DEPARTURE_PERIOD",
    "ConditionsUnmet",
    "audit",
    "available_transitions",
    "check_transition",
    "family_record_documents",
    "family_register",
    "family_transition",
    "family_windows_open",
    "municipality_officer_add",
    "municipality_officer_remove",
    "on_application_transitioned",
    "permitted",
    "programme_add_element",
    "programme_enrol",
    "programme_record_test",
    "programme_transition",
    "programme_warnings",
    "refusal",
    "work_permit_request",
    "work_permit_transition",
    "work_permits_expire_due",
    "work_permits_follow_application",
]


def on_application_transitioned(
    sender: Any,
    *,
    application: Application,
    name: str,
    actor: Any,
    decision: Any = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``casework.applications.signals.application_transitioned`` (inside its
    transaction)."""
    work_permits_follow_application(application=application, name=name, actor=actor)
    if name in ("accept", "grant_appeal"):
        family_windows_open(application=application, actor=actor, decision=decision)
