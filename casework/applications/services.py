"""The only writers of asylum applications: lodging, assignment, transitions, interviews.

Every service takes the acting user explicitly and runs in one transaction: lock the row,
check the user's permission (raise), apply the transition or change, save, write one
append-only audit event, and enqueue follow-up work after commit (never failing the request if
the broker is down: reminder rows are the truth, the next sweep delivers them).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.applications.choices import ApplicationKind, State
from casework.applications.models import Application, Decision, Interview
from casework.applications.rows import application_lodged_rows, application_new
from casework.applications.signals import application_transitioned
from casework.applications.statements import application_locked
from casework.applications.workflow import delivery_pending
from casework.audit.history import history_user_id, save_new_with_history, save_with_history
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines import registry as deadlines
from casework.deadlines.models import Deadline
from casework.deadlines.services import (
    deadline_close,
    deadline_set,
    deadlines_close,
    next_deadline_refreshed_once,
    notice_event,
)
from casework.people.choices import SpokenLanguage
from casework.people.models import Person
from casework.staff.models import Unit
from casework.staff.roles import unit_id_of
from casework.staff.users import AnyUser
from casework.transitions.services import (
    Workflow,
    transition_make,
    transitions_available,
)
from casework.transitions.services import transition_refusal as transitions_refusal

log = logging.getLogger(__name__)


def application_lodge(
    *,
    actor: AnyUser | None,
    person: Person,
    kind: str,
    track: str = "normal",
    lodged_on: dt.date | None = None,
    unit: Unit | None = None,
    external_id: str | None = None,
) -> Application:
    """Register an application (police registration or intake) in state ``submitted``.

    The case gets its unit here: the one given, or else the registering user's. A unit other
    than the user's own is routing (``casework.route_application``: police registration).
    A user with no unit must name one; only the system (``actor=None``, e.g. a test set-up or
    a command run without a user) lodges without, and such a case is seen only by those who
    route cases until one of them gives it a unit (``application_route``).
    """
    actor_id = getattr(actor, "pk", None)
    unit = application_lodging_unit(actor=actor, unit=unit)
    with transaction.atomic():
        application = application_new(
            person_id=person.pk,
            kind=kind,
            track=track,
            lodged_on=lodged_on or timezone.localdate(),
            unit_id=getattr(unit, "pk", None),
            external_id=external_id,
        )
        application.person = person
        application.unit = unit
        rows = save_new_with_history(
            application,
            lambda saved: application_lodged_rows(
                saved,
                actor_id=actor_id,
                at=timezone.now(),
                history_user_id=history_user_id(saved),
            ),
            skip=(Deadline,),
        )
        # The deadlines through ``deadline_set``: a notice already due is reminded at once.
        with next_deadline_refreshed_once(application):
            for deadline in rows:
                if isinstance(deadline, Deadline):
                    deadline_set(
                        source=deadline.source,
                        object_id=deadline.object_id,
                        due_at=deadline.due_at,
                        application=application,
                    )
    return application


def application_lodging_unit(*, actor: AnyUser | None, unit: Unit | None) -> Unit | None:
    """The unit a case lodged by ``actor`` goes to: ``unit``, else the actor's own.

    Raises ``TransitionInvalid`` when a user with no unit names none, ``PermissionDenied``
    when a user who does not route cases names another unit than their own. (The admin's
    lodging form asks this before it saves, to show the answer as a form error.)
    """
    own_unit_id = unit_id_of(actor)
    if unit is None and own_unit_id is not None:
        unit = Unit.objects.get(pk=own_unit_id)
    if actor is None:
        return unit
    if unit is None:
        raise TransitionInvalid(
            {"unit": [_("Name the unit the case goes to: you belong to none.")]}
        )
    if unit.pk != own_unit_id and not actor.has_perm("casework.route_application"):
        raise PermissionDenied(_("You may lodge cases only for your own unit."))
    return unit


def application_assign(
    *,
    actor: AnyUser,
    application: Application,
    assignee: User | None,
    expected_version: int | None = None,
) -> Application:
    """Assign the case to a caseworker (also the bulk action in the admin)."""
    with transaction.atomic():
        app = _lock(application, expected_version)
        if not actor.has_perm("casework.assign_application", app):
            raise PermissionDenied(_("You may not assign this case."))
        before = app.assigned_to_id
        app.assigned_to = assignee
        app.version = F("version") + 1
        app.save(update_fields=["assigned_to", "version", "updated_at"])
        app.refresh_from_db(fields=["version"])
        audit_log(
            actor=actor,
            action="assigned",
            application=app,
            changes={"assigned_to": [before, getattr(assignee, "pk", None)]},
        )
        Deadline.objects.filter(application=app, closed_at=None, recipient_user_id=before).exclude(
            source__in=[deadlines.APPEAL.key, deadlines.INTERVIEW.key]
        ).update(recipient_user=assignee)
    return app


def application_route(
    *,
    actor: AnyUser,
    application: Application,
    unit: Unit,
    reason: str,
    expected_version: int | None = None,
) -> Application:
    """Move a case to another unit (or give a unit-less case its unit), with the reason.

    Only those who route cases may (``casework.route_application``: police registration and
    administrators); the move is audited with the old and new unit. An assignment to a
    caseworker outside the new unit ends with the move (they no longer see the case), and the
    reminders addressed to them go to nobody until the new unit assigns it.
    """
    reason = (reason or "").strip()
    if not reason:
        raise TransitionInvalid({"reason": [_("Say why the case moves.")]})
    with transaction.atomic():
        app = _lock(application, expected_version)
        if not actor.has_perm("casework.route_application", app):
            raise PermissionDenied(_("You may not move cases between units."))
        if app.unit_id == unit.pk:
            raise TransitionConflict(
                _("The case is already in this unit."), current_state=app.state
            )
        before_unit, before_assignee = app.unit_id, app.assigned_to_id
        app.unit = unit
        fields = ["unit", "version", "updated_at"]
        if before_assignee is not None and unit_id_of(app.assigned_to) != unit.pk:
            app.assigned_to = None
            fields.append("assigned_to")
        app.version = F("version") + 1
        app.save(update_fields=fields)
        app.refresh_from_db(fields=["version"])
        changes: dict[str, Any] = {"unit": [before_unit, unit.pk]}
        if "assigned_to" in fields:
            changes["assigned_to"] = [before_assignee, None]
            Deadline.objects.filter(
                application=app, closed_at=None, recipient_user_id=before_assignee
            ).update(recipient_user=None)
        audit_log(actor=actor, action="routed", application=app, reason=reason, changes=changes)
    return app


def _lock(application: Application, expected_version: int | None) -> Application:
    """Re-read the case under a row lock; refuse if the caller saw an older version.

    The person comes in the same query (audit rows, deadlines and receivers need them); only
    the case's row is locked.
    """
    app = application_locked(application.pk)
    if app is None:  # pragma: no cover - deleted under our feet
        raise TransitionConflict(_("This case no longer exists."))
    if expected_version is not None and app.version != expected_version:
        raise TransitionConflict(
            _("Another user changed this case first. Reload it and try again."),
            current_state=app.state,
        )
    return app


def _after(
    *,
    record: Application,
    declaration: Any,
    source: str,
    actor: AnyUser | None,
    written: tuple[Any, ...],
) -> None:
    """Tell the other apps (``application_transitioned``), inside the transaction; they get the
    new ``Decision`` (or None) so that they need not read it again."""
    decision = next((row for row in written if isinstance(row, Decision)), None)
    application_transitioned.send(
        sender=Application,
        application=record,
        name=declaration.name,
        source=source,
        target=record.state,
        actor=actor,
        decision=decision,
    )


def _save(app: Application, fields: list[str], inserts: tuple[Any, ...]) -> None:
    save_with_history(app, fields, inserts=inserts)


def _subject(app: Application) -> dict[str, Any]:
    return {"application": app}


# How the generic transition service handles a case: the row lock, and the save with its
# history row, the decision and the audit event, are prepared statements on PostgreSQL (the
# save is one statement); ``next_deadline`` is refreshed once, after the transition's and the
# receivers' deadlines moved.
APPLICATIONS = Workflow(
    model=Application,
    lock=application_locked,
    save=_save,
    subject=_subject,
    deadline_scope=next_deadline_refreshed_once,
    after=_after,
    not_now=_("This action is not possible while the case is %(state)s."),
    stale=_("Another user changed this case first. Reload it and try again."),
)


def application_available_transitions(*, application: Application, user: AnyUser) -> list[str]:
    """The transitions this user may make on this case now (state, guards and permission)."""
    return transitions_available(workflow=APPLICATIONS, record=application, user=user)


def transition_permitted(*, application: Application, name: str, user: AnyUser) -> bool:
    """Whether ``user`` holds the permission of transition ``name`` for this case, whatever
    its state (403 "you may not" rather than 409 "not now")."""
    return APPLICATIONS[name].permitted(application, user)


def transition_refusal(*, application: Application, name: str, user: AnyUser) -> str | None:
    """Why ``name`` cannot be made now, in a sentence; None if it can."""
    return transitions_refusal(workflow=APPLICATIONS, record=application, name=name)


def application_transition(
    *,
    actor: AnyUser,
    application: Application,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> Application:
    """Make transition ``name`` on the case, atomically, or raise without writing anything.

    The generic service (``casework.transitions.services.transition_make``) does it from the
    transition's declaration in ``workflow.py``.
    """
    return transition_make(
        workflow=APPLICATIONS,
        actor=actor,
        record=application,
        name=name,
        expected_version=expected_version,
        **fields,
    )


# Named services for callers that prefer them to the generic one.


def application_start_examination(
    *, actor: AnyUser, application: Application, **kw: Any
) -> Application:
    return application_transition(
        actor=actor, application=application, name="start_examination", **kw
    )


def application_decide(
    *, actor: AnyUser, application: Application, outcome: str, grounds: str, **kw: Any
) -> Application:
    """First-instance decision: ``accept`` for the positive outcomes, ``reject`` for the rest."""
    from casework.applications.choices import ACCEPT_OUTCOMES

    name = "accept" if outcome in ACCEPT_OUTCOMES else "reject"
    return application_transition(
        actor=actor, application=application, name=name, outcome=outcome, grounds=grounds, **kw
    )


def application_appeal(*, actor: AnyUser, application: Application, **kw: Any) -> Application:
    return application_transition(actor=actor, application=application, name="appeal", **kw)


def application_withdraw(
    *, actor: AnyUser, application: Application, reason: str, **kw: Any
) -> Application:
    return application_transition(
        actor=actor, application=application, name="withdraw", reason=reason, **kw
    )


# Whether a case's decision awaits its delivery (for the letters package, the status page).
decision_delivery_pending = delivery_pending


def decision_notification_record(
    application: Application | Decision,
    *,
    actor: AnyUser,
    notified_at: dt.datetime,
    channel: str,
    receipt: str = "",
    confirmed_by: str = "",
    expected_version: int | None = None,
) -> Application:
    """Record the day the case's current decision reached the applicant or their lawyer.

    Public Administration Act § 29: the appeal period runs from the day the written decision
    reached the party or their representative, not from the day it was made. This is the one
    way to record it (the declared transition ``record_notification`` of ``workflow.py``, also
    the admin's "Record delivery" and the API's ``transitions/record_notification/``): it
    stores on the decision when it arrived, the ``channel`` (``NotificationChannel``: digital
    mailbox or e-mail, the police, the lawyer, in person) and who confirmed it: the channel's
    ``receipt``, or ``confirmed_by``, the name and role of the person who confirmed it, with
    ``actor`` as the staff user who entered it (one of the two is required). It then sets a
    rejection's appeal deadline (3 weeks, 1 week when manifestly unfounded, the Dublin 48 hours
    to ask to stay), closes the reminder to record the delivery, and the work permits' lapse
    follows.

    ``application``: the case, or the ``Decision`` a letter delivered; a decision that is no
    longer the case's current one is refused (``TransitionConflict``), as is a delivery
    already recorded. Raises ``PermissionDenied`` for a user who may not record it (the
    case's unit's caseworkers may) and ``TransitionInvalid`` for a date before the decision
    or in the future, or no confirmation. The letters package calls it when a letter's
    delivery is recorded.
    """
    if isinstance(application, Decision):
        decision = application
        application = decision.application
        current = (
            Decision.objects.filter(application=application)
            .order_by("-decided_at", "-pk")
            .values_list("pk", flat=True)
            .first()
        )
        if current != decision.pk:
            raise TransitionConflict(
                _("This decision is no longer the case's current decision."),
                current_state=application.state,
            )
    return application_transition(
        actor=actor,
        application=application,
        name="record_notification",
        expected_version=expected_version,
        notified_at=notified_at,
        channel=channel,
        receipt=receipt,
        confirmed_by=confirmed_by,
    )


def interview_schedule(
    *,
    actor: AnyUser,
    application: Application,
    scheduled_at: dt.datetime,
    location: str,
    language: str,
    interpreter: bool = True,
    lawyer_present: bool = False,
) -> Interview:
    """Book the asylum interview; the applicant is told at once (date, place, interpreter
    language) and reminded of it."""
    if not actor.has_perm("casework.schedule_interview", application):
        raise PermissionDenied(_("You may not schedule interviews for this case."))
    if language not in SpokenLanguage.values:
        raise TransitionInvalid({"language": _("Choose a language of the list.")})
    with transaction.atomic():
        app = _lock(application, None)
        if app.state not in (State.SUBMITTED, State.EXAMINED):
            raise TransitionConflict(_("Interviews are held before the decision."))
        interview = Interview.objects.create(
            application=app,
            scheduled_at=scheduled_at,
            location=location,
            language=language,
            interpreter=interpreter,
            lawyer_present=lawyer_present,
        )
        audit_log(
            actor=actor,
            action="interview_scheduled",
            application=app,
            changes={"scheduled_at": scheduled_at.isoformat(), "interview": interview.pk},
        )
        deadline_set(
            source=deadlines.INTERVIEW.key,
            object_id=interview.pk,
            due_at=scheduled_at,
            application=app,
            recipient_user=app.assigned_to,
        )
        notice_event(source=deadlines.INTERVIEW_NOTICE.key, object_id=interview.pk, application=app)
    return interview


def interview_move(
    *,
    actor: AnyUser,
    interview: Interview,
    scheduled_at: dt.datetime,
    location: str | None = None,
) -> Interview:
    """Move a booked interview to another time (and place): its reminders start again for the
    new time, the applicant is told of the move at once (a new notice, exactly once), and the
    interpreters booked for it move with it (``INTERVIEWS_MOVED``)."""
    if not actor.has_perm("casework.schedule_interview", interview.application):
        raise PermissionDenied(_("You may not schedule interviews for this case."))
    with transaction.atomic():
        app = _lock(interview.application, None)
        interview = Interview.objects.select_for_update().get(pk=interview.pk)
        if interview.held_at is not None or interview.cancelled:
            raise TransitionConflict(_("Only an interview still to come can be moved."))
        before = interview.scheduled_at
        interview.scheduled_at = scheduled_at
        if location is not None and location.strip():
            interview.location = location.strip()
        interview.save(update_fields=["scheduled_at", "location"])
        for follow in INTERVIEWS_MOVED:
            follow(actor, interview)
        audit_log(
            actor=actor,
            action="interview_moved",
            application=app,
            changes={
                "scheduled_at": [before.isoformat(), scheduled_at.isoformat()],
                "interview": interview.pk,
            },
        )
        deadline_set(
            source=deadlines.INTERVIEW.key,
            object_id=interview.pk,
            due_at=scheduled_at,
            application=app,
            recipient_user=app.assigned_to,
        )
        notice_event(source=deadlines.INTERVIEW_NOTICE.key, object_id=interview.pk, application=app)
    return interview


# What other concerns ask before an interview is recorded as held (the interpreters' one: a
# booked interpreter never confirmed): each returns the sentence that stands in the way, or
# None. A reason given by the caseworker lets the record go ahead, and is audited.
INTERVIEW_HELD_CHECKS: list[Callable[[Interview], str | None]] = []
# What other concerns do when interviews are called off (waived): release what was booked for
# them (the interpreters' time). Called inside the service's transaction with the acting user
# and the interviews' ids.
INTERVIEWS_CALLED_OFF: list[Callable[[AnyUser, list[int]], None]] = []
# What other concerns do when an interview is moved (its time or place changed): move what
# was booked for it (the interpreters' time). Called inside the service's transaction with
# the acting user and the interview as it now stands.
INTERVIEWS_MOVED: list[Callable[[AnyUser, Interview], None]] = []


def interview_record_held(
    *,
    actor: AnyUser,
    interview: Interview,
    held_at: dt.datetime | None = None,
    reason: str = "",
) -> Interview:
    """Record that the interview took place: the decision may now be made.

    An interview is held on the day it was scheduled for or later (moved at short notice
    within that day), never before it was booked for, and not in the future: the record is
    what the decision rests on (the guard ``interview_requirement_met``). Where something
    stands in the way (``INTERVIEW_HELD_CHECKS``: an interpreter booked and not confirmed),
    the record needs ``reason``, which its audit event keeps.
    """
    if not actor.has_perm("casework.schedule_interview", interview.application):
        raise PermissionDenied(_("You may not record interviews for this case."))
    reason = (reason or "").strip()
    held_at = held_at or timezone.now()
    scheduled_day = timezone.localdate(interview.scheduled_at)
    if timezone.localdate(held_at) < scheduled_day:
        raise TransitionInvalid(
            {
                "held_at": _(
                    "The interview is scheduled for %(day)s: it cannot be recorded as held "
                    "before that day. Reschedule it if it took place earlier."
                )
                % {"day": date_format(scheduled_day, "DATE_FORMAT")}
            }
        )
    if held_at > timezone.now() + dt.timedelta(minutes=5):
        raise TransitionInvalid(
            {"held_at": _("An interview cannot be recorded as held in the future.")}
        )
    with transaction.atomic():
        app = _lock(interview.application, None)
        obstacles = [m for m in (check(interview) for check in INTERVIEW_HELD_CHECKS) if m]
        if obstacles and not reason:
            raise TransitionInvalid({"reason": " ".join(obstacles)})
        interview.held_at = held_at
        interview.save(update_fields=["held_at"])
        app.interview_held_at = interview.held_at
        app.version += 1
        app.save(update_fields=["interview_held_at", "version", "updated_at"])
        audit_log(
            actor=actor,
            action="interview_held",
            application=app,
            reason=reason if obstacles else "",
            changes={"interview": interview.pk},
        )
        deadline_close(source=deadlines.INTERVIEW.key, object_id=interview.pk, application=app)
    return interview


def interview_waivable(*, application: Application, user: AnyUser) -> bool:
    """Whether ``user`` may waive the interview of this case now: a decision-maker, before the
    decision, while no interview was held or waived and one is required (not collective
    protection)."""
    return (
        _waiver_refusal(application) is None
        and application.kind != ApplicationKind.COLLECTIVE
        and user.has_perm("casework.decide_application", application)
    )


def _waiver_refusal(application: Application) -> str | None:
    """Why the interview of this case cannot be waived now, or None."""
    if application.state not in (State.SUBMITTED, State.EXAMINED):
        return _("The interview can be waived only before the decision.")
    if application.interview_held_at is not None:
        return _("The interview was held: there is nothing to waive.")
    if application.interview_waived_reason.strip():
        return _("The interview is already waived.")
    return None


def interview_waive(
    *,
    actor: AnyUser,
    application: Application,
    reason: str,
    expected_version: int | None = None,
) -> Application:
    """Waive the interview with a recorded reason (e.g. the applicant cannot be interviewed).

    An interview still booked will not take place: it is cancelled and its deadline closed,
    so that neither the caseworker's "next deadline" nor the applicant's reminders and status
    page point at it any longer.
    """
    reason = (reason or "").strip()
    if not reason:
        raise TransitionInvalid({"reason": _("A reason is required to waive the interview.")})
    if not actor.has_perm("casework.decide_application", application):
        raise PermissionDenied(_("Only a decision-maker may waive the interview."))
    with transaction.atomic():
        app = _lock(application, expected_version)
        refusal = _waiver_refusal(app)
        if refusal is not None:
            raise TransitionConflict(refusal, current_state=app.state)
        booked = list(
            Interview.objects.filter(application=app, held_at=None, cancelled=False).values_list(
                "pk", flat=True
            )
        )
        app.interview_waived_reason = reason
        app.version += 1
        app.save(update_fields=["interview_waived_reason", "version", "updated_at"])
        audit_log(
            actor=actor,
            action="interview_waived",
            application=app,
            reason=reason,
            changes={"cancelled_interviews": booked} if booked else None,
        )
        if booked:
            Interview.objects.filter(pk__in=booked).update(cancelled=True)
            for release in INTERVIEWS_CALLED_OFF:
                release(actor, booked)
            with next_deadline_refreshed_once(app):
                for pk in booked:  # its reminders, and its notice if not sent yet
                    deadlines_close(
                        sources=[deadlines.INTERVIEW.key, deadlines.INTERVIEW_NOTICE.key],
                        object_id=pk,
                        application=app,
                    )
    return app
