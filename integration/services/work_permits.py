"""Temporary work permits (Immigration Act § 94): request, decide, renew, expire, lapse."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import ApplicationKind, State
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.statements import locked_ids
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Application
from casework.returns import departure
from casework.staff.users import AnyUser
from casework.transitions.services import Workflow, transition_make

from ..choices import InterviewWaiverGroup, WorkPermitState
from ..eligibility import COLLECTIVE_NEEDS_NONE, WAIVER_GROUP_NATIONALITY
from ..models import WorkPermit
from ..workflow import RUNNING
from .common import audit, subject

log = logging.getLogger(__name__)


# --- Temporary work permits (Immigration Act § 94) ------------------------------------------


def work_permit_request(
    *,
    actor: AnyUser,
    application: Application,
    requested_on: dt.date | None = None,
    interview_waiver_group: str = "",
) -> WorkPermit:
    """Register a request for a temporary work permit on an asylum application.

    A collective-protection applicant is told they need none (they may work once
    protected). The group for whom the interview is waived is taken from the nationality
    (Syria, Yemen) or given (Uyghurs from China, who must be Chinese nationals).
    """
    if not actor.has_perm("integration.request_work_permit", application):
        raise PermissionDenied(_("You may not register work permit requests for this case."))
    if application.kind == ApplicationKind.COLLECTIVE:
        raise TransitionInvalid({"application": str(COLLECTIVE_NEEDS_NONE)})
    person = application.person
    group = interview_waiver_group or ""
    if group not in InterviewWaiverGroup.values:
        raise TransitionInvalid({"interview_waiver_group": _("Unknown group.")})
    if not group:
        # Nationality alone identifies Syrians and Yemenis; Uyghurs must be named.
        by_nationality = {"SY": InterviewWaiverGroup.SYRIA, "YE": InterviewWaiverGroup.YEMEN}
        group = by_nationality.get(str(person.nationality), "")
    elif WAIVER_GROUP_NATIONALITY[group] != person.nationality:
        raise TransitionInvalid(
            {"interview_waiver_group": _("The group does not match the applicant's nationality.")}
        )
    with transaction.atomic():
        Application.objects.select_for_update().get(pk=application.pk)
        if WorkPermit.objects.filter(
            application=application,
            state__in=[WorkPermitState.REQUESTED, WorkPermitState.GRANTED],
        ).exists():
            raise TransitionConflict(
                _("This case already has a work permit requested or granted."),
                current_state=None,
            )
        permit = WorkPermit.objects.create(
            person=person,
            application=application,
            requested_on=requested_on or timezone.localdate(),
            interview_waiver_group=group,
        )
        audit(
            actor=actor,
            record=permit,
            action="work_permit.requested",
            person=person,
            application=application,
            target_state=permit.state,
            changes={"interview_waiver_group": group},
        )
    return permit


def _locked(pk: int) -> WorkPermit | None:
    """The permit under a row lock, with its person and case (the audit event names both)."""
    return (
        WorkPermit.objects.select_for_update(of=("self",))
        .select_related("person", "application__person")
        .filter(pk=pk)
        .first()
    )


def _subject(permit: WorkPermit) -> dict[str, Any]:
    return {"person": permit.person, "application": permit.application}


def _deadline_subject(permit: WorkPermit) -> dict[str, Any]:
    """A permit's deadlines are the person's: they are reminded, not the case's caseworker."""
    return {"person": permit.person}


# How casework's generic transition service handles a permit (``workflow.py`` declares each
# transition): the audit action is ``work_permit.<name>``, tagged with the permit.
WORK_PERMITS = Workflow(
    model=WorkPermit,
    lock=_locked,
    subject=_subject,
    deadline_subject=_deadline_subject,
    audit_prefix="work_permit.",
    audit_changes=subject,
    stale=_("Another user changed this record first. Reload it and try again."),
)


def work_permit_transition(
    *,
    actor: AnyUser | None,
    permit: WorkPermit,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> WorkPermit:
    """Make transition ``name`` on the permit, atomically, or raise without writing anything.

    Granting checks every § 94 condition and, if any is unmet, raises ``ConditionsUnmet``
    naming each of them; a refusal records them.
    """
    return transition_make(
        workflow=WORK_PERMITS,
        actor=actor,
        record=permit,
        name=name,
        expected_version=expected_version,
        **fields,
    )


def _work_permit_deadlines(permit: WorkPermit) -> None:
    """Move the permit's reminders after its lapse moved: what a running permit's transitions
    declare (``workflow.RUNNING``)."""
    for move in RUNNING:
        due = move.due(permit, {}) if move.due is not None else None
        if due is None:
            deadline_close(source=move.source, object_id=permit.pk)
        else:
            deadline_set(source=move.source, object_id=permit.pk, due_at=due, person=permit.person)


def work_permits_expire_due(*, now: dt.datetime | None = None) -> int:
    """Expire every granted permit whose validity ended or whose departure deadline came.

    Run by the periodic task; each permit in its own transaction, so one failure does not
    hold back the rest, and a repeated run finds nothing left to do.
    """
    now = now or timezone.now()
    today = timezone.localtime(now).date()
    from django.db.models import Q

    due = WorkPermit.objects.filter(state=WorkPermitState.GRANTED).filter(
        Q(valid_until__lt=today) | Q(lapses_at__lte=now)
    )
    count = 0
    for permit in due.only("id", "valid_until", "lapses_at"):
        lapsed = permit.lapses_at is not None and permit.lapses_at <= now
        reason = (
            _("Lapsed at the departure deadline after the final rejection.")
            if lapsed
            else _("The validity period ended.")
        )
        try:
            work_permit_transition(actor=None, permit=permit, name="expire", reason=reason)
            count += 1
        except TransitionConflict:  # changed meanwhile (renewed, revoked): nothing to do
            continue
    return count


# The asylum case is decided: a residence permit carries its own right to work.
_DECIDED = (State.ACCEPTED, State.WITHDRAWN)


def work_permits_follow_application(
    *,
    application: Application,
    name: str,
    source: str,
    target: str,
    actor: AnyUser | None,
    **kwargs: Any,
) -> None:
    """React to a transition of the asylum application (``application_transitioned``).

    Runs inside casework's transaction, so both commit or roll back together. The rule
    follows the state the case reaches:

    - rejected: the permit lapses at the departure deadline (§ 94 third paragraph), casework's
      one rule (``casework.returns.departure.departure_deadline``): the end of the appeal
      period of a first-instance rejection, 3 weeks after a final one reached the applicant.
      Until the decision's delivery is recorded nothing changes, and recording it
      (``record_notification``, which leaves the case rejected) sets the lapse; a request to
      reverse a final rejection leaves the case rejected and the lapse where it was;
    - appealed (lodged with the Directorate, which reviews it before the appeals board has it),
      or examined again after an appeal (remitted): the lapse is lifted; the permit
      stays valid during an appeal with suspensive effect (§ 94 second paragraph) and a new
      examination;
    - accepted or withdrawn: the application is decided, the § 94 permit ends now (a
      residence permit carries its own right to work);
    - the examination started: nothing changes for the permit.

    The expiry sweep (``work_permits_expire_due``) makes the lapse happen at that time.
    """
    decided = target in _DECIDED
    if target == State.REJECTED:
        lapses_at = departure.departure_deadline(application)
        if lapses_at is None:  # not delivered yet: no deadline runs
            return
    elif target == State.UNDER_REVIEW or source == State.APPEALED:
        lapses_at = None
    elif not decided:
        return
    if decided:
        reason = _("The asylum application was decided (%(name)s).") % {"name": name}
        work_permits_end(application=application, reason=reason)
        return
    # Usually none: a prepared look-up of the keys first, the case is already in hand.
    ids = locked_ids(WorkPermit, application=application.pk, state=WorkPermitState.GRANTED)
    if not ids:
        return
    permits = list(WorkPermit.objects.filter(pk__in=ids).order_by("pk"))
    for permit in permits:
        permit.application = application
        before = permit.lapses_at
        if before == lapses_at:  # e.g. a request to reverse a final rejection: nothing moves
            continue
        permit.lapses_at = lapses_at
        permit.version += 1
        permit.save(update_fields=["lapses_at", "version", "updated_at"])
        audit(
            actor=actor,
            record=permit,
            action="work_permit.lapse_set" if lapses_at else "work_permit.lapse_lifted",
            person=permit.person,
            application=application,
            reason=_("Asylum application: %(name)s.") % {"name": name},
            changes={
                "lapses_at": [
                    before.isoformat() if before else None,
                    lapses_at and lapses_at.isoformat(),
                ]
            },
        )
        _work_permit_deadlines(permit)


def work_permits_end(*, application: Application, reason: str) -> int:
    """End now every granted § 94 permit of the case (the system's ``expire``, audited per
    permit): the application was decided, or the person left Norway or disappeared (a return
    ended: the permit lapses, § 94 third paragraph). Inside the caller's transaction."""
    ids = locked_ids(WorkPermit, application=application.pk, state=WorkPermitState.GRANTED)
    if not ids:  # usually: no queryset to compile (a decision's time is counted)
        return 0
    for permit in WorkPermit.objects.filter(pk__in=ids).order_by("pk"):
        permit.application = application
        work_permit_transition(actor=None, permit=permit, name="expire", reason=reason)
    return len(ids)


def work_permits_follow_return(
    *, record: Any, application: Application, ending: str, **kwargs: Any
) -> None:
    """React to a return's ending (``casework.returns.signals.return_ended``): the person
    left or disappeared, so the right to work ends now."""
    reason = _("The person's return ended: %(ending)s.") % {"ending": ending}
    work_permits_end(application=application, reason=reason)
