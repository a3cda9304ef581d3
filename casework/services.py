"""The only writers of casework data.

Every service takes the acting user explicitly and runs in one transaction: lock the row,
check the user's permission (raise), apply the transition or change, save, write one
append-only audit event, and enqueue follow-up work after commit (never failing the request if
the broker is down: reminder rows are the truth, the next sweep delivers them).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import TransitionNotAllowed, can_proceed, has_transition_perm

from . import deadlines
from .choices import (
    AppealOutcome,
    ApplicationKind,
    DuplicateStatus,
    Instance,
    Outcome,
    State,
)
from .documents import validate_scan
from .exceptions import TransitionConflict, TransitionInvalid
from .history import save_with_history
from .identity import DUPLICATE_THRESHOLD, name_key, name_similarity, new_registration_number
from .models import (
    Appeal,
    Application,
    AuditEvent,
    Decision,
    DuplicateFlag,
    HouseholdLink,
    IdentityDocument,
    Interview,
    Person,
    StaffProfile,
    Unit,
)
from .signals import application_transitioned
from .statements import application_locked, insert
from .workflow import TRANSITION_NAMES

log = logging.getLogger(__name__)

# Permit lengths by outcome (Immigration Act § 60: first permits for refugees run 3 years;
# collective protection 1 year, renewable; humanitarian and minors' limited permits 1 year).
PERMIT_BY_OUTCOME: dict[str, tuple[str, int]] = {
    Outcome.REFUGEE_CONVENTION: ("residence permit, refugee", 36),
    Outcome.REFUGEE_OTHER: ("residence permit, refugee", 36),
    Outcome.HUMANITARIAN: ("residence permit, humanitarian grounds", 12),
    Outcome.COLLECTIVE: ("residence permit, collective protection", 12),
    Outcome.MINOR_LIMITED: ("limited residence permit until 18", 12),
}


def audit_log(**fields: Any) -> AuditEvent:
    """Write one append-only audit event (``audit_event``'s fields). Call inside the
    service's transaction."""
    return insert(audit_event(**fields))


def audit_event(
    *,
    actor: Any,
    action: str,
    application: Application | None = None,
    person: Person | None = None,
    source_state: str = "",
    target_state: str = "",
    reason: str = "",
    changes: dict | None = None,
) -> AuditEvent:
    """The audit event ``audit_log`` writes, not yet written (a transition writes it in the
    statement that saves the case)."""
    return AuditEvent(
        application=application,
        person_id=person.pk if person is not None else getattr(application, "person_id", None),
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        source_state=source_state,
        target_state=target_state,
        reason=reason,
        changes=changes or {},
    )


def apply_changes(record: Any, fields: dict[str, Any]) -> dict[str, list[Any]]:
    """Set ``fields`` on ``record`` (not saved) and return what changed, ``{field: [before,
    after]}``, ready for an audit event's ``changes``: related rows by id, dates in ISO form.

    For reference data (units, centres, quotas), whose values are not personal data; a
    person's values stay out of the audit trail (``person_update`` names the fields only).
    """
    changed: dict[str, list[Any]] = {}
    for name, value in fields.items():
        field = record._meta.get_field(name)
        before = getattr(record, field.attname)
        after = value.pk if field.is_relation and value is not None else value
        if before != after:
            setattr(record, name, value)
            changed[name] = [_json_value(before), _json_value(after)]
    return changed


def _json_value(value: Any) -> Any:
    return value.isoformat() if isinstance(value, dt.date) else value


def on_commit_enqueue(task: Any, *args: Any) -> None:
    """Send ``task`` after commit; a dead broker is logged, never raised to the user."""

    def send() -> None:
        try:
            task.delay(*args)
        except Exception:  # noqa: BLE001 - any broker failure: the sweep recovers later
            log.warning("could not enqueue %s; the next sweep will pick it up", task.name)

    transaction.on_commit(send, robust=True)


# --- People ---------------------------------------------------------------------------------


def person_register(
    *,
    actor: Any,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str,
    nationality: str = "",
    year: int | None = None,
    **fields: Any,
) -> Person:
    """Register a person at intake, give them a registration number and flag likely duplicates.

    The registration number starts with the year of the first application (like the DUF
    number); a clash of the random part is retried.
    """
    year = year or timezone.localdate().year
    with transaction.atomic():
        for _attempt in range(8):
            person = Person(
                given_name=given_name.strip(),
                family_name=family_name.strip(),
                date_of_birth=date_of_birth,
                sex=sex,
                nationality=nationality or "",
                registration_number=new_registration_number(year),
                **fields,
            )
            person.stateless = person.stateless or not nationality
            person.name_key = name_key(person.given_name, person.family_name)
            try:
                with transaction.atomic():
                    person.save()
                break
            except IntegrityError:
                if Person.objects.filter(registration_number=person.registration_number).exists():
                    continue
                raise
        audit_log(actor=actor, action="person_registered", person=person)
        flags = person_flag_duplicates(person=person)
        if flags:
            audit_log(
                actor=actor,
                action="duplicates_flagged",
                person=person,
                changes={"candidates": [f.candidate_id for f in flags]},
            )
    return person


PERSON_EDITABLE_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "name_in_document",
        "date_of_birth",
        "dob_precision",
        "sex",
        "nationality",
        "other_nationalities",
        "languages",
        "preferred_language",
        "email",
        "phone",
        "unaccompanied_minor",
        "health_needs",
    }
)


def person_update(*, actor: Any, person: Person, **fields: Any) -> Person:
    """Correct a person's registered details; the audit event names the fields, not the values.

    Values are personal data (some of it special-category): the field names are enough to
    find the change in the field history (django-simple-history) that keeps the values.
    """
    unknown = set(fields) - PERSON_EDITABLE_FIELDS
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("casework.change_person"):
        raise PermissionDenied(_("You may not change this person's details."))
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        changed = [k for k, v in fields.items() if getattr(person, k) != v]
        for key in changed:
            setattr(person, key, fields[key])
        if {"given_name", "family_name"} & set(changed):
            person.name_key = name_key(person.given_name, person.family_name)
        if "nationality" in changed:
            person.stateless = not person.nationality
        if changed:
            person.save()
            audit_log(
                actor=actor, action="person_changed", person=person, changes={"fields": changed}
            )
    return person


# An identity document's number is personal data: its audit events name the document and the
# fields, never the values (kept on the row and in the person's data export).
IDENTITY_DOCUMENT_EDITABLE_FIELDS = frozenset(
    {"kind", "number", "issuing_country", "verified", "verified_at", "scan"}
)


def identity_document_add(
    *,
    actor: Any,
    person: Person,
    kind: str,
    number: str,
    issuing_country: str = "",
    verified: bool = False,
    verified_at: dt.datetime | None = None,
    scan: Any = None,
) -> IdentityDocument:
    """Record a document the person showed to establish identity (passport, ID card, …).

    A scan is checked by content and size (``documents.validate_scan``) before it is stored.
    """
    if not actor.has_perm("casework.add_identitydocument"):
        raise PermissionDenied(_("You may not add identity documents."))
    if scan:
        validate_scan(scan)
    with transaction.atomic():
        document = IdentityDocument.objects.create(
            person=person,
            kind=kind,
            number=number,
            issuing_country=issuing_country or "",
            verified=verified,
            verified_at=verified_at,
            scan=scan or "",
        )
        audit_log(
            actor=actor,
            action="identity_document_added",
            person=person,
            changes={"document": document.pk, "kind": kind},
        )
    return document


def identity_document_update(
    *, actor: Any, document: IdentityDocument, **fields: Any
) -> IdentityDocument:
    """Correct a document's details, record that it was verified, or attach a new scan."""
    unknown = set(fields) - IDENTITY_DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("casework.change_identitydocument"):
        raise PermissionDenied(_("You may not change identity documents."))
    if fields.get("scan"):
        validate_scan(fields["scan"])
    with transaction.atomic():
        document = IdentityDocument.objects.select_for_update().get(pk=document.pk)
        changed = [k for k, v in fields.items() if getattr(document, k) != v]
        for key in changed:
            setattr(document, key, fields[key])
        if changed:
            document.save()
            audit_log(
                actor=actor,
                action="identity_document_changed",
                person=document.person,
                changes={"document": document.pk, "fields": changed},
            )
    return document


def identity_document_remove(*, actor: Any, document: IdentityDocument) -> None:
    """Remove a document recorded in error; its scan file goes once the removal is committed
    (the file is the most sensitive thing held, and nothing points at it any more)."""
    if not actor.has_perm("casework.delete_identitydocument"):
        raise PermissionDenied(_("You may not remove identity documents."))
    with transaction.atomic():
        document = IdentityDocument.objects.select_for_update().get(pk=document.pk)
        audit_log(
            actor=actor,
            action="identity_document_removed",
            person=document.person,
            changes={"document": document.pk, "kind": document.kind},
        )
        scan = document.scan
        document.delete()
        if scan:
            transaction.on_commit(lambda: scan.storage.delete(scan.name), robust=True)


def household_link_add(
    *, actor: Any, person: Person, relative: Person, relation: str
) -> HouseholdLink:
    """Record that ``person`` is the ``relation`` of ``relative`` (e.g. the child of)."""
    if not actor.has_perm("casework.add_householdlink"):
        raise PermissionDenied(_("You may not add household links."))
    with transaction.atomic():
        link = HouseholdLink.objects.create(person=person, relative=relative, relation=relation)
        audit_log(
            actor=actor,
            action="household_link_added",
            person=person,
            changes={"relative": relative.pk, "relation": relation},
        )
    return link


def household_link_remove(*, actor: Any, link: HouseholdLink) -> None:
    """Remove a household link recorded in error (a correction is a removal and a new link)."""
    if not actor.has_perm("casework.delete_householdlink"):
        raise PermissionDenied(_("You may not remove household links."))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="household_link_removed",
            person=link.person,
            changes={"relative": link.relative_id, "relation": link.relation},
        )
        link.delete()


def person_flag_duplicates(*, person: Person) -> list[DuplicateFlag]:
    """Flag people with the same birth date and nationality whose name sounds alike.

    Candidates come from an indexed lookup (birth date, nationality), so the comparison in
    Python runs over a handful of rows, never over the register.
    """
    candidates = (
        Person.objects.filter(
            date_of_birth=person.date_of_birth,
            nationality=person.nationality,
            merged_into=None,
        )
        .exclude(pk=person.pk)
        .only("id", "given_name", "family_name")[:200]
    )
    flags = []
    for other in candidates:
        score = name_similarity(
            (person.given_name, person.family_name), (other.given_name, other.family_name)
        )
        if score >= DUPLICATE_THRESHOLD:
            flag, _created = DuplicateFlag.objects.get_or_create(
                person=person, candidate=other, defaults={"score": round(score, 3)}
            )
            flags.append(flag)
    return flags


def duplicate_dismiss(*, actor: Any, flag: DuplicateFlag) -> DuplicateFlag:
    """A caseworker decides that two people are different humans."""
    return _duplicate_resolve(actor=actor, flag=flag, status=DuplicateStatus.DISMISSED)


def duplicate_merge(*, actor: Any, flag: DuplicateFlag) -> Person:
    """Merge the newer record into the older: its applications move, the older number stays."""
    _duplicate_resolve(actor=actor, flag=flag, status=DuplicateStatus.MERGED)
    keep, drop = sorted([flag.person, flag.candidate], key=lambda p: (p.created_at, p.pk))
    with transaction.atomic():
        moved = list(Application.objects.filter(person=drop).values_list("id", flat=True))
        Application.objects.filter(person=drop).update(person=keep)
        Person.objects.filter(pk=drop.pk).update(merged_into=keep)
        audit_log(
            actor=actor,
            action="person_merged",
            person=keep,
            changes={"merged": drop.registration_number, "applications": moved},
        )
    return keep


def _duplicate_resolve(*, actor: Any, flag: DuplicateFlag, status: str) -> DuplicateFlag:
    if not actor.has_perm("casework.assign_application", None):
        raise PermissionDenied(_("Only caseworkers resolve duplicate flags."))
    with transaction.atomic():
        flag = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.status != DuplicateStatus.OPEN:
            raise TransitionConflict(_("This flag was already resolved."))
        flag.status = status
        flag.resolved_by = actor
        flag.resolved_at = timezone.now()
        flag.save(update_fields=["status", "resolved_by", "resolved_at"])
        audit_log(
            actor=actor,
            action=f"duplicate_{status}",
            person=flag.person,
            changes={"candidate": flag.candidate_id},
        )
    return flag


# --- Applications ---------------------------------------------------------------------------


def application_lodge(
    *,
    actor: Any,
    person: Person,
    kind: str,
    track: str = "normal",
    lodged_on: dt.date | None = None,
    unit: Unit | None = None,
    external_id: str | None = None,
) -> Application:
    """Register an application (police registration or intake) in state ``submitted``."""
    with transaction.atomic():
        application = Application(
            person=person,
            kind=kind,
            track=track or "normal",
            lodged_on=lodged_on or timezone.localdate(),
            unit=unit,
            external_id=external_id,
        )
        application.save()
        audit_log(
            actor=actor,
            action="lodged",
            application=application,
            target_state=application.state,
            changes={"kind": kind, "track": application.track},
        )
        lodged_at = dt.datetime.combine(
            application.lodged_on, dt.time(12), tzinfo=timezone.get_current_timezone()
        )
        with deadlines.next_deadline_refreshed_once(application):
            deadlines.deadline_set(
                source=deadlines.QUEUE_NOTICE.key,
                object_id=application.pk,
                due_at=lodged_at + deadlines.QUEUE_NOTICE_PERIOD,
                application=application,
            )
            if kind != ApplicationKind.COLLECTIVE:
                deadlines.deadline_set(
                    source=deadlines.EXAMINATION_TARGET.key,
                    object_id=application.pk,
                    due_at=lodged_at + deadlines.EXAMINATION_TARGET_PERIOD,
                    application=application,
                )
    return application


def application_assign(
    *, actor: Any, application: Application, assignee: Any, expected_version: int | None = None
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
        from .models import Deadline

        Deadline.objects.filter(application=app, closed_at=None, recipient_user_id=before).exclude(
            source__in=[deadlines.APPEAL.key, deadlines.INTERVIEW.key]
        ).update(recipient_user=assignee)
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


def application_available_transitions(*, application: Application, user: Any) -> list[str]:
    """The transitions this user may make on this case now (state, guards and permission)."""
    out = []
    for name in TRANSITION_NAMES:
        method = getattr(application, name)
        if can_proceed(method) and has_transition_perm(method, user):
            out.append(name)
    return out


def transition_permitted(*, application: Application, name: str, user: Any) -> bool:
    """Whether ``user`` holds the permission of transition ``name`` for this case.

    Asked independently of the current state, to tell "you may not" (403) from "not now"
    (409): a decision-maker pressing *accept* on a case a colleague accepted a second earlier
    gets a conflict, not a refusal.
    """
    for spec in getattr(application, name)._django_fsm.transitions.values():
        return bool(user is not None and spec.has_perm(application, user))
    return False


def transition_refusal(*, application: Application, name: str, user: Any) -> str | None:
    """Why ``name`` cannot be made now, in a sentence; None if it can."""
    spec = getattr(application, name)._django_fsm.get_transition(application.state)
    if spec is None:
        return _("This action is not possible while the case is %(state)s.") % {
            "state": application.get_state_display()
        }
    for cond in spec.conditions:
        if not cond(application):
            return str(getattr(cond, "refusal", _("A condition for this action is not met.")))
    return None


def application_transition(
    *,
    actor: Any,
    application: Application,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> Application:
    """Make transition ``name`` on the case, atomically, or raise without writing anything.

    Locks the row (two decisions at once: the second waits, then finds the state changed and
    gets ``TransitionConflict``), checks permission with the case as object, checks guards,
    runs the transition, saves, records decisions/appeals and the audit event, and moves the
    deadlines the transition affects. Receivers of ``application_transitioned`` get the new
    ``Decision`` (or None) so that they need not read it again; ``next_deadline`` is refreshed
    once, after the transition's and the receivers' deadlines moved.
    """
    if name not in TRANSITION_NAMES:
        raise TransitionInvalid({"transition": _("Unknown action.")})
    with transaction.atomic():
        app = _lock(application, expected_version)
        if not transition_permitted(application=app, name=name, user=actor):
            log.warning(
                "refused transition %s on application id=%s by user id=%s",
                name,
                app.pk,
                getattr(actor, "pk", None),
            )
            raise PermissionDenied(_("You are not allowed to do this on this case."))
        refusal = transition_refusal(application=app, name=name, user=actor)
        if refusal:
            raise TransitionConflict(refusal, current_state=app.state)
        source = app.state
        kwargs, record = _transition_arguments(name, app, fields)
        before = _field_values(app)
        try:
            getattr(app, name)(**kwargs)
        except TransitionNotAllowed as exc:  # pragma: no cover - checked just above
            raise TransitionConflict(str(exc), current_state=app.state) from exc
        app.version += 1
        reason = fields.get("grounds") or fields.get("reason") or fields.get("late_reason") or ""
        decision = _decision(name, app, actor, record)
        event = audit_event(
            actor=actor,
            action=name,
            application=app,
            source_state=source,
            target_state=app.state,
            reason=reason,
            changes=_jsonable({k: v for k, v in record.items() if k not in ("grounds", "reason")}),
        )
        # The columns the transition changed, the history row, the decision and the audit
        # event: one statement on PostgreSQL.
        save_with_history(
            app,
            [k for k, v in _field_values(app).items() if v != before[k]],
            inserts=(decision, event) if decision is not None else (event,),
        )
        _record_appeal(name, app, record)
        with deadlines.next_deadline_refreshed_once(app):
            _move_deadlines(name, app)
            application_transitioned.send(
                sender=Application,
                application=app,
                name=name,
                source=source,
                target=app.state,
                actor=actor,
                decision=decision,
            )
    return app


def _field_values(app: Application) -> dict[str, Any]:
    return {f.attname: getattr(app, f.attname) for f in Application._meta.concrete_fields}


def _jsonable(data: dict) -> dict:
    return {
        k: (v.isoformat() if isinstance(v, dt.datetime | dt.date) else v) for k, v in data.items()
    }


def _transition_arguments(name: str, app: Application, fields: dict) -> tuple[dict, dict]:
    now = timezone.now()
    if name in ("accept", "grant_appeal"):
        kw = {"outcome": fields.get("outcome", ""), "grounds": fields.get("grounds", "")}
        return kw, {**kw, "notified_at": fields.get("notified_at") or now}
    if name == "reject":
        kw = {
            "outcome": fields.get("outcome", ""),
            "grounds": fields.get("grounds", ""),
            "notified_at": fields.get("notified_at") or now,
            "manifestly_unfounded": bool(fields.get("manifestly_unfounded")),
        }
        return kw, kw
    if name == "dismiss_appeal":
        kw = {"grounds": fields.get("grounds", "")}
        return kw, {**kw, "outcome": Outcome.REJECTED, "notified_at": now}
    if name == "appeal":
        lodged_at = fields.get("lodged_at") or now
        kw = {"lodged_at": lodged_at, "late_reason": fields.get("late_reason", "")}
        return kw, {**kw, "lodged_by": fields.get("lodged_by") or _("the applicant")}
    if name in ("remit", "withdraw"):
        kw = {"reason": fields.get("reason", "")}
        return kw, kw
    return {}, {}


def _decision(name: str, app: Application, actor: Any, record: dict) -> Decision | None:
    """The decision a transition produces (not yet written), or None."""
    if name not in ("accept", "reject", "withdraw", "grant_appeal", "dismiss_appeal"):
        return None
    outcome = record.get("outcome") or Outcome.WITHDRAWN
    permit_type, months = PERMIT_BY_OUTCOME.get(outcome, ("", None))
    return Decision(
        application=app,
        instance=Instance.APPEAL if name in ("grant_appeal", "dismiss_appeal") else Instance.FIRST,
        outcome=outcome,
        grounds=record.get("grounds") or record.get("reason", ""),
        manifestly_unfounded=bool(record.get("manifestly_unfounded")),
        permit_type=permit_type,
        permit_months=months,
        decided_by=actor,
        decided_at=app.decided_at or timezone.now(),
        notified_at=record.get("notified_at"),
    )


def _record_appeal(name: str, app: Application, record: dict) -> None:
    """Write the appeal record a transition produces, or the appeals body's outcome on it."""
    if name == "appeal":
        Appeal.objects.create(
            application=app,
            lodged_at=record["lodged_at"],
            lodged_by=record["lodged_by"],
            late_reason=record.get("late_reason", ""),
        )
    if name in ("grant_appeal", "dismiss_appeal", "remit"):
        outcome = {
            "grant_appeal": AppealOutcome.GRANTED,
            "dismiss_appeal": AppealOutcome.DISMISSED,
            "remit": AppealOutcome.REMITTED,
        }[name]
        appeal = app.appeals.filter(outcome="").order_by("-lodged_at").first()
        if appeal is not None:
            appeal.outcome = outcome
            appeal.decided_at = timezone.now()
            appeal.save(update_fields=["outcome", "decided_at"])


def _move_deadlines(name: str, app: Application) -> None:
    """Close, in one statement, the deadlines the transition ends, then set the new ones."""
    closing = []
    if app.state in (State.ACCEPTED, State.REJECTED, State.WITHDRAWN):
        closing.append(deadlines.EXAMINATION_TARGET.key)
    # The applicant's "still in the queue" notice runs while the case waits for a decision.
    if app.state not in (State.SUBMITTED, State.EXAMINED):
        closing.append(deadlines.QUEUE_NOTICE.key)
    if name in ("appeal", "dismiss_appeal"):
        closing.append(deadlines.APPEAL.key)
    deadlines.deadlines_close(sources=closing, object_id=app.pk, application=app)
    if name == "remit":
        deadlines.deadline_set(
            source=deadlines.QUEUE_NOTICE.key,
            object_id=app.pk,
            due_at=timezone.now() + deadlines.QUEUE_NOTICE_PERIOD,
            application=app,
        )
    if name == "reject":  # reminds the assigned caseworker (the default) and the applicant
        deadlines.deadline_set(
            source=deadlines.APPEAL.key,
            object_id=app.pk,
            due_at=app.appeal_deadline,
            application=app,
        )


# Named services, one per transition, for callers that prefer them to the generic one.


def application_start_examination(
    *, actor: Any, application: Application, **kw: Any
) -> Application:
    return application_transition(
        actor=actor, application=application, name="start_examination", **kw
    )


def application_decide(
    *, actor: Any, application: Application, outcome: str, grounds: str, **kw: Any
) -> Application:
    """First-instance decision: ``accept`` for the positive outcomes, ``reject`` for the rest."""
    from .choices import ACCEPT_OUTCOMES

    name = "accept" if outcome in ACCEPT_OUTCOMES else "reject"
    return application_transition(
        actor=actor, application=application, name=name, outcome=outcome, grounds=grounds, **kw
    )


def application_appeal(*, actor: Any, application: Application, **kw: Any) -> Application:
    return application_transition(actor=actor, application=application, name="appeal", **kw)


def application_withdraw(
    *, actor: Any, application: Application, reason: str, **kw: Any
) -> Application:
    return application_transition(
        actor=actor, application=application, name="withdraw", reason=reason, **kw
    )


# --- Interviews -----------------------------------------------------------------------------


def interview_schedule(
    *,
    actor: Any,
    application: Application,
    scheduled_at: dt.datetime,
    location: str,
    language: str,
    interpreter: bool = True,
    lawyer_present: bool = False,
) -> Interview:
    """Book the asylum interview; the applicant is reminded of it."""
    if not actor.has_perm("casework.schedule_interview", application):
        raise PermissionDenied(_("You may not schedule interviews for this case."))
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
        deadlines.deadline_set(
            source=deadlines.INTERVIEW.key,
            object_id=interview.pk,
            due_at=scheduled_at,
            application=app,
            recipient_user=app.assigned_to,
        )
    return interview


def interview_record_held(
    *, actor: Any, interview: Interview, held_at: dt.datetime | None = None
) -> Interview:
    """Record that the interview took place: the decision may now be made."""
    if not actor.has_perm("casework.schedule_interview", interview.application):
        raise PermissionDenied(_("You may not record interviews for this case."))
    with transaction.atomic():
        app = _lock(interview.application, None)
        interview.held_at = held_at or timezone.now()
        interview.save(update_fields=["held_at"])
        app.interview_held_at = interview.held_at
        app.version += 1
        app.save(update_fields=["interview_held_at", "version", "updated_at"])
        audit_log(
            actor=actor,
            action="interview_held",
            application=app,
            changes={"interview": interview.pk},
        )
        deadlines.deadline_close(
            source=deadlines.INTERVIEW.key, object_id=interview.pk, application=app
        )
    return interview


def interview_waivable(*, application: Application, user: Any) -> bool:
    """Whether ``user`` may waive the interview of this case now: a decision-maker, before the
    decision, while no interview was held and one is required (not collective protection)."""
    return (
        application.state in (State.SUBMITTED, State.EXAMINED)
        and application.interview_held_at is None
        and application.kind != ApplicationKind.COLLECTIVE
        and user.has_perm("casework.decide_application", application)
    )


def interview_waive(*, actor: Any, application: Application, reason: str) -> Application:
    """Waive the interview with a recorded reason (e.g. the applicant cannot be interviewed)."""
    reason = (reason or "").strip()
    if not reason:
        raise TransitionInvalid({"reason": _("A reason is required to waive the interview.")})
    if not actor.has_perm("casework.decide_application", application):
        raise PermissionDenied(_("Only a decision-maker may waive the interview."))
    with transaction.atomic():
        app = _lock(application, None)
        app.interview_waived_reason = reason
        app.version += 1
        app.save(update_fields=["interview_waived_reason", "version", "updated_at"])
        audit_log(actor=actor, action="interview_waived", application=app, reason=reason)
    return app


# --- Units and staff --------------------------------------------------------------------------
# Which unit a staff user belongs to decides which cases they see (``casework.scopes``), so
# these changes are audited like a case's, with before and after (units are not personal data).


def unit_create(*, actor: Any, code: str, name: str) -> Unit:
    """Open an office of the authority that cases can be routed to."""
    if not actor.has_perm("casework.add_unit"):
        raise PermissionDenied(_("You may not add units."))
    with transaction.atomic():
        unit = Unit.objects.create(code=code, name=name)
        audit_log(
            actor=actor,
            action="unit_created",
            changes={"subject": f"casework.unit:{unit.pk}", "code": code, "name": name},
        )
    return unit


UNIT_EDITABLE_FIELDS = frozenset({"code", "name"})


def unit_update(*, actor: Any, unit: Unit, **fields: Any) -> Unit:
    """Rename an office or correct its code."""
    return _reference_update(
        actor=actor,
        record=unit,
        fields=fields,
        editable=UNIT_EDITABLE_FIELDS,
        permission="casework.change_unit",
        action="unit_changed",
    )


def staff_profile_create(
    *, actor: Any, user: Any, unit: Unit | None = None, language: str = "nb"
) -> StaffProfile:
    """Give a staff user their unit (the cases they see) and their language."""
    if not actor.has_perm("casework.add_staffprofile"):
        raise PermissionDenied(_("You may not add staff profiles."))
    with transaction.atomic():
        profile = StaffProfile.objects.create(user=user, unit=unit, language=language)
        audit_log(
            actor=actor,
            action="staff_profile_created",
            changes={
                "subject": f"casework.staffprofile:{profile.pk}",
                "user": user.pk,
                "unit": getattr(unit, "pk", None),
                "language": language,
            },
        )
    return profile


STAFF_PROFILE_EDITABLE_FIELDS = frozenset({"unit", "language"})


def staff_profile_update(*, actor: Any, profile: StaffProfile, **fields: Any) -> StaffProfile:
    """Move a staff user to another unit (they then see its cases) or change their language."""
    return _reference_update(
        actor=actor,
        record=profile,
        fields=fields,
        editable=STAFF_PROFILE_EDITABLE_FIELDS,
        permission="casework.change_staffprofile",
        action="staff_profile_changed",
    )


def _reference_update(
    *, actor: Any, record: Any, fields: dict, editable: frozenset[str], permission: str, action: str
) -> Any:
    """Lock, check, change and audit (before and after) one row of reference data."""
    unknown = set(fields) - editable
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You may not change this."))
    with transaction.atomic():
        record = type(record).objects.select_for_update().get(pk=record.pk)
        changed = apply_changes(record, fields)
        if changed:
            record.save()
            audit_log(
                actor=actor,
                action=action,
                changes={"subject": f"{record._meta.label_lower}:{record.pk}", "fields": changed},
            )
    return record
