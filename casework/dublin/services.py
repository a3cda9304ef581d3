"""The only writers of Dublin cases: requests to other states, their answers and the
transfer, the request to stay during the appeal, and the sweep that makes silence acceptance.

Each service takes the acting user, checks the permission (raise), writes in one transaction
and leaves one audit event on the case tagged with the record (``changes["subject"]``), so
the case's timeline reads request -> answer -> transfer. State changes go through
casework's one transition service with the declarations of ``workflow.py``.

Silence is acceptance exactly once: ``dublin_deadlines_sweep`` makes ``accept_by_silence``
on each request whose reply period ended; the transition locks the request's row, so of two
sweeps at once the second waits, finds the request accepted and leaves it (a conflict it
counts as nothing to do). The transfer period's end is handled the same way (``lapse``).
"""

from __future__ import annotations

import copy
import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.applications.choices import State, Track
from casework.applications.models import Application
from casework.applications.workflow import appeal_deadline_for
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.services import deadline_set
from casework.dublin import deadlines
from casework.dublin.choices import (
    DUBLIN_STATES,
    LegalGround,
    RequestKind,
    RequestState,
)
from casework.dublin.models import DublinRequest, DublinStayRequest
from casework.dublin.periods import REQUEST, at_start_of, end_of, period_of, rule_set_on
from casework.staff.choices import Role
from casework.staff.models import StaffProfile
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make

log = logging.getLogger(__name__)

# The states of a request that still binds the requested state (a second request to the
# same state meanwhile would be a duplicate).
LIVE_STATES = (
    RequestState.PREPARED,
    RequestState.SENT,
    RequestState.REEXAMINATION,
    RequestState.ACCEPTED,
)


def dublin_unit_subject(record: Any) -> dict[str, Any]:
    """The case of ``record`` as its deadlines see it: the reminders go to the Dublin unit,
    that is the case's assigned caseworker, or else the first caseworker of the case's unit."""
    app = record.application
    if app.assigned_to_id is None and app.unit_id is not None:
        first = (
            StaffProfile.objects.filter(
                unit_id=app.unit_id,
                user__is_active=True,
                user__groups__name=Role.CASEWORKER.value,
            )
            .order_by("user_id")
            .values_list("user_id", flat=True)
            .first()
        )
        if first is not None:
            app = copy.copy(app)  # only the deadline's recipient changes, not the case
            app.assigned_to_id = first
    return {"application": app}


def _when(moment: dt.datetime) -> str:
    return date_format(timezone.localtime(moment), "DATETIME_FORMAT")


def request_due(application: Application, *, kind: str, eurodac_hit_on: dt.date | None) -> Any:
    """The rule set of the case and the day the request must be sent by: 3 months after the
    application, or 2 months after a Eurodac hit, under Dublin III (art. 21(1), 23(2))."""
    rules = rule_set_on(application.lodged_on)
    start = eurodac_hit_on if eurodac_hit_on is not None else application.lodged_on
    qualifiers = ("eurodac",) if eurodac_hit_on is not None else ()
    due = end_of(at_start_of(start), period_of(rules, f"{REQUEST}.{kind}", *qualifiers))
    return rules, due


def dublin_request_prepare(
    *,
    actor: AnyUser,
    application: Application,
    member_state: str,
    kind: str,
    legal_ground: str,
    eurodac_hit_on: dt.date | None = None,
    urgent: bool = False,
    their_reference: str = "",
) -> DublinRequest:
    """Prepare a request to ``member_state`` to take charge of or take back the applicant,
    with the day it must be sent by; its reminders go to the Dublin unit.

    Only a case in the Dublin procedure, not yet decided, gets one (the track and the
    request stay consistent); only one live request per requested state.
    """
    if not actor.has_perm("casework.prepare_dublin_request", application):
        raise PermissionDenied(_("You may not make Dublin requests for this case."))
    errors: dict[str, Any] = {}
    member_state = (member_state or "").upper()
    if member_state not in DUBLIN_STATES:
        errors["member_state"] = _("Choose a state bound by the Dublin Regulation.")
    if kind not in RequestKind.values:
        errors["kind"] = _("Choose take charge or take back.")
    if legal_ground not in LegalGround.values:
        errors["legal_ground"] = _("Choose the legal ground of the list.")
    if urgent and kind != RequestKind.TAKE_CHARGE:
        errors["urgent"] = _("Only a take-charge request asks for an urgent reply.")
    if eurodac_hit_on is not None and eurodac_hit_on > timezone.localdate():
        errors["eurodac_hit_on"] = _("The Eurodac hit cannot be in the future.")
    if errors:
        raise TransitionInvalid(errors)
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if app.track != Track.DUBLIN:
            raise TransitionConflict(
                _(
                    "A Dublin request is made only for a case in the Dublin procedure, and this "
                    "case is not."
                )
            )
        if app.state not in (State.SUBMITTED, State.EXAMINED):
            raise TransitionConflict(_("A Dublin request is made before the case is decided."))
        if DublinRequest.objects.filter(
            application=app, member_state=member_state, state__in=LIVE_STATES
        ).exists():
            raise TransitionConflict(_("This case already has a live request to that state."))
        rules, due = request_due(app, kind=kind, eurodac_hit_on=eurodac_hit_on)
        request = DublinRequest.objects.create(
            application=app,
            member_state=member_state,
            kind=kind,
            legal_ground=legal_ground,
            eurodac_hit=eurodac_hit_on is not None,
            eurodac_hit_on=eurodac_hit_on,
            urgent=bool(urgent),
            their_reference=their_reference.strip(),
            rule_set=rules,
            request_due_at=due,
            created_by=recorded_user(actor),
        )
        request.application = app
        audit_log(
            actor=actor,
            action="dublin.prepared",
            application=app,
            target_state=request.state,
            changes={
                "subject": request.audit_subject,
                "member_state": member_state,
                "kind": kind,
                "legal_ground": legal_ground,
                "eurodac_hit_on": eurodac_hit_on.isoformat() if eurodac_hit_on else None,
                "rules": rules.name,
                "request_due_at": due.isoformat(),
            },
        )
        deadline_set(
            source=deadlines.REQUEST.key,
            object_id=request.pk,
            due_at=due,
            **dublin_unit_subject(request),
        )
    return request


def _locked_request(pk: int) -> DublinRequest | None:
    return (
        DublinRequest.objects.select_for_update(of=("self",))
        .select_related("application", "rule_set")
        .filter(pk=pk)
        .first()
    )


def _subject(record: Any) -> dict[str, Any]:
    return {"application": record.application}


def _tag(record: Any) -> dict[str, Any]:
    return {"subject": record.audit_subject}


# How casework's generic transition service handles a request (``workflow.py`` declares each
# transition): the audit action is ``dublin.<name>``, on the case, tagged with the request.
DUBLIN_REQUESTS = Workflow(
    model=DublinRequest,
    lock=_locked_request,
    subject=_subject,
    deadline_subject=dublin_unit_subject,
    audit_prefix="dublin.",
    audit_changes=_tag,
    not_now=_("This is not possible while the request is %(state)s."),
    stale=_("Another user changed this request first. Reload it and try again."),
)


def dublin_request_transition(
    *,
    actor: AnyUser | None,
    request: DublinRequest,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> DublinRequest:
    """Make transition ``name`` on the request, atomically, or raise without writing."""
    return transition_make(
        workflow=DUBLIN_REQUESTS,
        actor=actor,
        record=request,
        name=name,
        expected_version=expected_version,
        **fields,
    )


# --- the request to stay during the appeal -----------------------------------------------------


def dublin_stay_lodge(
    *, actor: AnyUser, application: Application, lodged_at: dt.datetime | None = None
) -> DublinStayRequest:
    """Record the applicant's request to stay in Norway during the appeal of the Dublin
    decision (Immigration Act § 90), lodged within the 48 hours after its notification (the
    Dublin track's period of ``applications.workflow.appeal_deadline_for``); the appeals body
    is reminded to decide it within about six days."""
    if not actor.has_perm("casework.lodge_stay_request", application):
        raise PermissionDenied(_("You may not record requests to stay for this case."))
    lodged_at = lodged_at or timezone.now()
    if lodged_at > timezone.now() + dt.timedelta(minutes=5):
        raise TransitionInvalid({"lodged_at": _("A request cannot be lodged in the future.")})
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if app.track != Track.DUBLIN or app.state not in (State.REJECTED, State.APPEALED):
            raise TransitionConflict(
                _("A request to stay is made against a Dublin decision, and this case has none.")
            )
        if app.notified_at is None:
            raise TransitionConflict(
                _("The Dublin decision is not yet delivered: the 48 hours have not begun.")
            )
        ends = appeal_deadline_for(track=Track.DUBLIN, notified_at=app.notified_at)
        if lodged_at > ends:
            raise TransitionConflict(
                _(
                    "The 48 hours to ask to stay during the appeal ended on %(end)s "
                    "(notification of the Dublin decision on %(notified)s)."
                )
                % {"end": _when(ends), "notified": _when(app.notified_at)}
            )
        request = (
            DublinRequest.objects.filter(application=app, state=RequestState.ACCEPTED)
            .order_by("-answered_at", "-pk")
            .first()
        )
        if request is None:
            raise TransitionConflict(_("No accepted Dublin request: there is no transfer to stay."))
        try:
            with transaction.atomic():
                stay = DublinStayRequest.objects.create(
                    application=app,
                    request=request,
                    lodged_at=lodged_at,
                    decision_due_at=lodged_at + deadlines.STAY_DECISION_PERIOD,
                    lodged_by=recorded_user(actor),
                )
        except IntegrityError as exc:
            raise TransitionConflict(
                _("A request to stay on this case awaits the appeals body already.")
            ) from exc
        stay.application = app
        audit_log(
            actor=actor,
            action="dublin_stay.lodged",
            application=app,
            target_state=stay.state,
            changes={
                "subject": stay.audit_subject,
                "lodged_at": lodged_at.isoformat(),
                "period_ends": ends.isoformat(),
            },
        )
        deadline_set(
            source=deadlines.STAY_DECISION.key,
            object_id=stay.pk,
            due_at=stay.decision_due_at,
            **dublin_unit_subject(stay),
        )
    return stay


def _locked_stay(pk: int) -> DublinStayRequest | None:
    return (
        DublinStayRequest.objects.select_for_update(of=("self",))
        .select_related("application", "request")
        .filter(pk=pk)
        .first()
    )


DUBLIN_STAYS = Workflow(
    model=DublinStayRequest,
    lock=_locked_stay,
    subject=_subject,
    deadline_subject=dublin_unit_subject,
    audit_prefix="dublin_stay.",
    audit_changes=_tag,
    not_now=_("This is not possible while the request to stay is %(state)s."),
    stale=_("Another user changed this request first. Reload it and try again."),
)


def dublin_stay_transition(
    *,
    actor: AnyUser | None,
    stay: DublinStayRequest,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> DublinStayRequest:
    """Make transition ``name`` (grant, refuse) on the request to stay."""
    return transition_make(
        workflow=DUBLIN_STAYS,
        actor=actor,
        record=stay,
        name=name,
        expected_version=expected_version,
        **fields,
    )


# --- the sweep, and the appeal decided -----------------------------------------------------------


def _sweep_one(request_id: int, name: str) -> bool:
    """Make the system transition ``name`` on one request; False if another sweep (or a
    person) got there first or its period moved meanwhile."""
    request = DublinRequest.objects.filter(pk=request_id).first()
    if request is None:  # pragma: no cover - deleted under our feet
        return False
    try:
        dublin_request_transition(actor=None, request=request, name=name)
    except (TransitionConflict, TransitionInvalid) as exc:
        log.info("dublin sweep: %s on request %s not made: %s", name, request_id, exc)
        return False
    return True


def dublin_deadlines_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Accept by silence each request whose reply period ended (Dublin III art. 22(7),
    25(2)), and hand responsibility to Norway for each accepted request whose transfer period
    ended (art. 29(2)). Idempotent: a request already moved is not moved again."""
    now = now or timezone.now()
    silent = DublinRequest.objects.filter(
        state=RequestState.SENT, reply_due_at__lt=now
    ).values_list("pk", flat=True)
    lapsed = DublinRequest.objects.filter(
        state=RequestState.ACCEPTED, transfer_suspended=False, transfer_due_at__lt=now
    ).values_list("pk", flat=True)
    accepted = sum(_sweep_one(pk, "accept_by_silence") for pk in list(silent.order_by("pk")))
    passed = sum(_sweep_one(pk, "lapse") for pk in list(lapsed.order_by("pk")))
    return {"accepted_by_silence": accepted, "lapsed": passed}


def transfer_restart_after_appeal(
    *, application: Application, source: str, target: str, **kwargs: Any
) -> None:
    """The appeal of a Dublin decision was dismissed (final): where the appeals body had let
    the applicant stay, the transfer period runs again, from this final decision (art. 29(1)).
    Receiver of ``application_transitioned``, inside the transition's transaction."""
    if application.track != Track.DUBLIN or source != State.APPEALED or target != State.REJECTED:
        return
    waiting = DublinRequest.objects.filter(
        application_id=application.pk, state=RequestState.ACCEPTED, transfer_suspended=True
    ).order_by("pk")
    decided_at = application.decided_at or timezone.now()
    for request in waiting:
        dublin_request_transition(
            actor=None, request=request, name="restart_transfer", decided_at=decided_at
        )
