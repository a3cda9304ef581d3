"""The only writers of return records.

``return_open`` opens the record of a rejected case whose departure deadline runs (one per
case: the database's unique key on the case, and a row lock on the case, make two at once
one); every later change is a declared transition of ``workflow.py`` made through
``return_transition`` (casework's one transition service: row lock, permission with the
record as object, state and guards, one audit event tagged with the record).
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from casework.applications.models import Application
from casework.applications.statements import application_locked
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict
from casework.returns.departure import departure_deadline
from casework.returns.models import Return
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make


def return_open(*, actor: AnyUser, application: Application) -> Return:
    """Open the return record of a rejected case: the person is obliged to leave.

    Refused (nothing written) when the user may not (PermissionDenied), when no departure
    deadline runs on the case (not rejected, or the decision not yet delivered), or when the
    case already has one (TransitionConflict).
    """
    if not actor.has_perm("casework.open_return", application):
        raise PermissionDenied(_("You may not record returns for this case."))
    with transaction.atomic():
        app = application_locked(application.pk)
        if app is None:  # pragma: no cover - deleted under our feet
            raise TransitionConflict(_("This case no longer exists."))
        due = departure_deadline(app)
        if due is None:
            raise TransitionConflict(
                _(
                    "No departure deadline runs on this case: it is not rejected, or the "
                    "decision has not yet reached the applicant."
                ),
                current_state=app.state,
            )
        if Return.objects.filter(application_id=app.pk).exists():
            raise TransitionConflict(_("This case already has a return record."))
        try:
            with transaction.atomic():
                record = Return.objects.create(
                    application=app,
                    person=app.person,
                    departure_deadline=due,
                    opened_by=recorded_user(actor),
                )
        except IntegrityError as exc:  # pragma: no cover - the lock makes this unreachable
            raise TransitionConflict(_("This case already has a return record.")) from exc
        audit_log(
            actor=actor,
            action="return.opened",
            application=app,
            person=app.person,
            target_state=record.state,
            changes={"subject": record.audit_subject, "departure_deadline": due.isoformat()},
        )
    return record


def _locked(pk: int) -> Return | None:
    """The record under a row lock, with its case and person (guards, audit, effects)."""
    return (
        Return.objects.select_for_update(of=("self",))
        .select_related("application", "person")
        .filter(pk=pk)
        .first()
    )


def _subject(record: Return) -> dict[str, Any]:
    return {"application": record.application, "person": record.person}


def _tag(record: Return) -> dict[str, Any]:
    return {"subject": record.audit_subject}


# How casework's generic transition service handles a return (``workflow.py`` declares each
# transition): the audit action is ``return.<name>``, on the case, tagged with the record.
RETURNS = Workflow(
    model=Return,
    lock=_locked,
    subject=_subject,
    audit_prefix="return.",
    audit_changes=_tag,
    not_now=_("This is not possible while the return is %(state)s."),
    stale=_("Another user changed this return first. Reload it and try again."),
)


def return_transition(
    *,
    actor: AnyUser | None,
    record: Return,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> Return:
    """Make transition ``name`` on the return, atomically, or raise without writing anything."""
    return transition_make(
        workflow=RETURNS,
        actor=actor,
        record=record,
        name=name,
        expected_version=expected_version,
        **fields,
    )
