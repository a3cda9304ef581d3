"""Temporary work permits (Immigration Act § 94): request, decide, renew, expire, lapse."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import ApplicationKind
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.statements import locked_ids
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Application

from .. import deadlines
from ..choices import (
    InterviewWaiverGroup,
    PeriodKind,
    WorkPermitState,
)
from ..eligibility import (
    COLLECTIVE_NEEDS_NONE,
    WAIVER_GROUP_NATIONALITY,
    section_94_unmet,
)
from ..models import WorkPermit, WorkPermitPeriod
from ..workflow import WORK_PERMIT_TRANSITIONS
from .common import ConditionsUnmet, audit, check_transition, refusal

log = logging.getLogger(__name__)

# The departure deadline (utreisefrist) after a final rejection: UDI and UNE usually set
# three weeks. casework does not record the date the decision letter names, so we use this.
DEPARTURE_PERIOD = dt.timedelta(weeks=3)


# --- Temporary work permits (Immigration Act § 94) ------------------------------------------


def work_permit_request(
    *,
    actor: Any,
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


def work_permit_transition(
    *,
    actor: Any,
    permit: WorkPermit,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> WorkPermit:
    """Make transition ``name`` on the permit, atomically, or raise without writing anything.

    Granting checks every § 94 condition and, if any is unmet, raises ``ConditionsUnmet``
    naming each of them; a refusal records them.
    """
    if name not in WORK_PERMIT_TRANSITIONS:
        raise TransitionInvalid({"transition": _("Unknown action.")})
    with transaction.atomic():
        permit = (
            WorkPermit.objects.select_for_update(of=("self",))
            .select_related("application__person")
            .get(pk=permit.pk)
        )
        check_transition(permit, name, actor, expected_version)
        if name == "grant" and permit.state == WorkPermitState.REQUESTED:
            unmet = section_94_unmet(
                application=permit.application, waiver_group=permit.interview_waiver_group
            )
            if unmet:
                raise ConditionsUnmet(
                    _("The permit cannot be granted: %(reasons)s")
                    % {"reasons": " ".join(str(u.message) for u in unmet)},
                    unmet=unmet,
                    current_state=permit.state,
                )
        why_not = refusal(permit, name)
        if why_not:
            raise TransitionConflict(why_not, current_state=permit.state)
        source = permit.state
        kwargs = _work_permit_kwargs(name, fields)
        getattr(permit, name)(**kwargs)
        if name in ("grant", "refuse"):
            permit.decided_by = actor
        permit.version += 1
        permit.save()
        if name in ("grant", "renew"):
            WorkPermitPeriod.objects.create(
                permit=permit,
                kind=PeriodKind.FIRST if name == "grant" else PeriodKind.RENEWAL,
                valid_from=permit.valid_from,
                valid_until=permit.valid_until,
                granted_by=actor,
            )
        audit(
            actor=actor,
            record=permit,
            action=f"work_permit.{name}",
            person=permit.person,
            application=permit.application,
            source_state=source,
            target_state=permit.state,
            reason=str(kwargs.get("grounds") or kwargs.get("reason") or ""),
            changes={
                "valid_from": permit.valid_from,
                "valid_until": permit.valid_until,
                "unmet": [u["code"] for u in permit.unmet_conditions],
            }
            if name in ("grant", "renew", "refuse")
            else {},
        )
        _work_permit_deadlines(permit)
    return permit


def _work_permit_kwargs(name: str, fields: dict) -> dict:
    if name == "grant":
        return {"valid_from": fields.get("valid_from"), "months": fields.get("months", 6)}
    if name == "renew":
        return {"months": fields.get("months", 6)}
    if name == "refuse":
        return {"grounds": fields.get("grounds", "")}
    return {"reason": fields.get("reason", "")}


def _work_permit_deadlines(permit: WorkPermit) -> None:
    if permit.state == WorkPermitState.GRANTED:
        deadline_set(
            source=deadlines.WORK_PERMIT_RENEWAL.key,
            object_id=permit.pk,
            due_at=deadlines.end_of(permit.valid_until),
            person=permit.person,
        )
        if permit.lapses_at is not None:
            deadline_set(
                source=deadlines.WORK_PERMIT_LAPSE.key,
                object_id=permit.pk,
                due_at=permit.lapses_at,
                person=permit.person,
            )
        else:
            deadline_close(source=deadlines.WORK_PERMIT_LAPSE.key, object_id=permit.pk)
    else:
        for source in (deadlines.WORK_PERMIT_RENEWAL, deadlines.WORK_PERMIT_LAPSE):
            deadline_close(source=source.key, object_id=permit.pk)


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


_DECIDED = frozenset({"accept", "grant_appeal", "withdraw"})  # the § 94 permit ends now
_LAPSE_MOVES = frozenset({"reject", "dismiss_appeal", "appeal", "remit"})


def work_permits_follow_application(
    *, application: Application, name: str, actor: Any, **kwargs: Any
) -> None:
    """React to a transition of the asylum application (``application_transitioned``).

    Runs inside casework's transaction, so both commit or roll back together. The rule:

    - ``reject``: the permit lapses at the departure deadline, which for a rejection that is
      not appealed is the end of the appeal period (``appeal_deadline``);
    - ``appeal`` or ``remit``: the lapse is lifted; the permit stays valid during an appeal
      with suspensive effect (§ 94 second paragraph) and a new examination;
    - ``dismiss_appeal`` (final): it lapses 3 weeks after the final decision
      (``DEPARTURE_PERIOD``), the usual departure deadline;
    - ``accept``, ``grant_appeal``, ``withdraw``: the application is decided, the § 94 permit
      ends now (a residence permit carries its own right to work).

    The expiry sweep (``work_permits_expire_due``) makes the lapse happen at that time.
    """
    if name not in _DECIDED | _LAPSE_MOVES:
        return  # start_examination: nothing changes for the permit
    # Usually none: a prepared look-up of the keys first, the case is already in hand.
    ids = locked_ids(WorkPermit, application=application.pk, state=WorkPermitState.GRANTED)
    if not ids:
        return
    permits = list(WorkPermit.objects.filter(pk__in=ids).order_by("pk"))
    now = timezone.now()
    for permit in permits:
        permit.application = application
        if name in _DECIDED:
            reason = _("The asylum application was decided (%(name)s).") % {"name": name}
            work_permit_transition(actor=None, permit=permit, name="expire", reason=reason)
            continue
        if name == "reject":
            lapses_at = application.appeal_deadline
        elif name == "dismiss_appeal":
            lapses_at = now + DEPARTURE_PERIOD
        else:  # appeal, remit
            lapses_at = None
        before = permit.lapses_at
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
