"""The only writers of integration data (work permits, family reunification).

Same pattern as ``casework.services``: each service takes the acting user explicitly and runs
in one transaction: lock the row, check permission (raise ``PermissionDenied``), check state
and guards (raise ``TransitionConflict``), apply the transition, save, write one casework
audit event tagged with the record (``changes["subject"]``), and move its deadlines.
``actor=None`` means the system (the expiry sweep, reactions to casework's transitions).
The introduction programme's services are in ``programme_services.py``.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework import deadlines as casework_deadlines
from casework.choices import POSITIVE, ApplicationKind, State
from casework.exceptions import TransitionConflict, TransitionInvalid
from casework.models import Application, Decision, Person
from casework.services import audit_log

from . import deadlines
from .choices import (
    FamilyRelation,
    FamilyState,
    InterviewWaiverGroup,
    PeriodKind,
    SponsorBasis,
    WorkPermitState,
)
from .eligibility import (
    COLLECTIVE_NEEDS_NONE,
    WAIVER_GROUP_NATIONALITY,
    Unmet,
    add_months,
    age_on,
    age_rule_applies,
    family_windows,
    income_requirement,
    section_94_unmet,
    sponsor_basis_refugee,
)
from .models import FamilyReunification, WorkPermit, WorkPermitPeriod
from .workflow import FAMILY_TRANSITIONS, WORK_PERMIT_TRANSITIONS

log = logging.getLogger(__name__)

# The departure deadline (utreisefrist) after a final rejection: UDI and UNE usually set
# three weeks. casework does not record the date the decision letter names, so we use this.
DEPARTURE_PERIOD = dt.timedelta(weeks=3)


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
        changes={"subject": record.audit_subject, **_jsonable(changes or {})},
    )


def _jsonable(data: dict) -> dict:
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


def _check(record: Any, name: str, actor: Any, expected_version: int | None) -> None:
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
        _check(permit, name, actor, expected_version)
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
        casework_deadlines.deadline_set(
            source=deadlines.WORK_PERMIT_RENEWAL.key,
            object_id=permit.pk,
            due_at=deadlines.end_of(permit.valid_until),
            person=permit.person,
        )
        if permit.lapses_at is not None:
            casework_deadlines.deadline_set(
                source=deadlines.WORK_PERMIT_LAPSE.key,
                object_id=permit.pk,
                due_at=permit.lapses_at,
                person=permit.person,
            )
        else:
            casework_deadlines.deadline_close(
                source=deadlines.WORK_PERMIT_LAPSE.key, object_id=permit.pk
            )
    else:
        for source in (deadlines.WORK_PERMIT_RENEWAL, deadlines.WORK_PERMIT_LAPSE):
            casework_deadlines.deadline_close(source=source.key, object_id=permit.pk)


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
    permits = list(
        WorkPermit.objects.select_for_update()
        .filter(application=application, state=WorkPermitState.GRANTED)
        .select_related("application__person")
    )
    if not permits:
        return
    now = timezone.now()
    for permit in permits:
        if name in ("accept", "grant_appeal", "withdraw"):
            reason = _("The asylum application was decided (%(name)s).") % {"name": name}
            work_permit_transition(actor=None, permit=permit, name="expire", reason=reason)
            continue
        if name == "reject":
            lapses_at = application.appeal_deadline
        elif name == "dismiss_appeal":
            lapses_at = now + DEPARTURE_PERIOD
        elif name in ("appeal", "remit"):
            lapses_at = None
        else:
            continue
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


# --- Family reunification -------------------------------------------------------------------


def _protection_decision(application: Application) -> Decision | None:
    return application.decisions.filter(outcome__in=POSITIVE).order_by("-decided_at", "-id").first()


def _assess(reunification: FamilyReunification, today: dt.date | None = None) -> None:
    """Recompute which income rule applies (and why) and whether the 24-year rule applies."""
    r = reunification
    since = r.relationship_since
    before_arrival = since is not None and since < r.sponsor_arrived_on
    assessment = income_requirement(
        sponsor_is_refugee=sponsor_basis_refugee(r.sponsor_basis, r.protection_outcome),
        relation=r.relation,
        relationship_before_arrival=before_arrival,
        applicant_age_at_registration=age_on(r.applicant.date_of_birth, r.registered_on),
        protection_decided_on=r.protection_decided_on,
        registered_on=r.registered_on,
        documents_handed_in_on=r.documents_handed_in_on,
        today=today or timezone.localdate(),
    )
    r.income_rule = assessment.rule
    r.income_rule_reason = assessment.reason
    r.registration_deadline = assessment.registration_deadline
    r.documents_deadline = assessment.documents_deadline
    r.age_rule_applies = age_rule_applies(
        relation=r.relation, relationship_before_arrival=before_arrival
    )


def family_register(
    *,
    actor: Any,
    sponsor: Person,
    applicant: Person,
    relation: str,
    sponsor_basis: str,
    sponsor_application: Application | None = None,
    sponsor_arrived_on: dt.date | None = None,
    relationship_since: dt.date | None = None,
    exception_reason: str = "",
    registered_on: dt.date | None = None,
) -> FamilyReunification:
    """Register one family member's application and record which income rule applies.

    A sponsor with protection is identified by their accepted asylum application; the date
    of its positive decision starts the 6- and 12-month windows. The relationship must be
    one the law recognises: spouse or registered partner, cohabitant of at least 2 years,
    child under 18, or another relative with a recorded exceptional reason.
    """
    if not actor.has_perm("integration.register_family", None):
        raise PermissionDenied(_("You may not register family reunification applications."))
    registered_on = registered_on or timezone.localdate()
    errors: dict[str, str] = {}
    if relation not in FamilyRelation.values:
        errors["relation"] = _("Unknown relation.")
    if sponsor_basis not in SponsorBasis.values:
        errors["sponsor_basis"] = _("Unknown basis.")
    if sponsor.pk == applicant.pk:
        errors["applicant"] = _("The sponsor cannot sponsor themselves.")
    protection_decided_on, outcome = None, ""
    if sponsor_basis == SponsorBasis.PROTECTION:
        if (
            sponsor_application is None
            or sponsor_application.person_id != sponsor.pk
            or sponsor_application.state != State.ACCEPTED
        ):
            errors["sponsor_application"] = _(
                "A sponsor with protection needs their own accepted asylum application."
            )
        else:
            decision = _protection_decision(sponsor_application)
            if decision is None:
                errors["sponsor_application"] = _("The application has no positive decision.")
            else:
                protection_decided_on = timezone.localtime(decision.decided_at).date()
                outcome = decision.outcome
            sponsor_arrived_on = sponsor_arrived_on or sponsor_application.lodged_on
    if sponsor_arrived_on is None:
        errors["sponsor_arrived_on"] = _("When did the sponsor come to Norway?")
    if relation == FamilyRelation.CHILD and age_on(applicant.date_of_birth, registered_on) >= 18:
        errors["relation"] = _(
            "A child must be under 18 when the application is registered; an adult child "
            "applies as another relative, by exception."
        )
    if relation in (FamilyRelation.SPOUSE, FamilyRelation.COHABITANT) and not relationship_since:
        errors["relationship_since"] = _("Since when have they been married or living together?")
    if (
        relation == FamilyRelation.COHABITANT
        and relationship_since
        and add_months(relationship_since, 24) > registered_on
    ):
        errors["relationship_since"] = _("Cohabitants must have lived together for 2 years.")
    if relation == FamilyRelation.OTHER and not (exception_reason or "").strip():
        errors["exception_reason"] = _("Other relatives are admitted only by exception: say why.")
    if errors:
        raise TransitionInvalid(errors)
    with transaction.atomic():
        reunification = FamilyReunification(
            sponsor=sponsor,
            sponsor_basis=sponsor_basis,
            sponsor_application=sponsor_application
            if sponsor_basis == SponsorBasis.PROTECTION
            else None,
            protection_decided_on=protection_decided_on,
            protection_outcome=outcome,
            sponsor_arrived_on=sponsor_arrived_on,
            applicant=applicant,
            relation=relation,
            relationship_since=relationship_since,
            exception_reason=(exception_reason or "").strip(),
            registered_on=registered_on,
            created_by=actor,
        )
        _assess(reunification)
        reunification.save()
        audit(
            actor=actor,
            record=reunification,
            action="family.registered",
            person=applicant,
            target_state=reunification.state,
            changes={
                "relation": relation,
                "income_rule": reunification.income_rule,
                "age_rule_applies": reunification.age_rule_applies,
            },
        )
        if sponsor_application is not None and protection_decided_on is not None:
            casework_deadlines.deadline_close(
                source=deadlines.FAMILY_REGISTRATION_WINDOW.key, object_id=sponsor_application.pk
            )
    return reunification


def family_record_documents(
    *, actor: Any, reunification: FamilyReunification, handed_in_on: dt.date | None = None
) -> FamilyReunification:
    """Record that the applicant handed in documents in person; reassess the income rule."""
    if not actor.has_perm("integration.record_family_documents", reunification):
        raise PermissionDenied(_("You may not record documents."))
    handed_in_on = handed_in_on or timezone.localdate()
    if handed_in_on < reunification.registered_on:
        raise TransitionInvalid(
            {"handed_in_on": _("Documents are handed in after the application is registered.")}
        )
    with transaction.atomic():
        r = FamilyReunification.objects.select_for_update(of=("self",)).get(pk=reunification.pk)
        if r.state not in (FamilyState.SUBMITTED, FamilyState.EXAMINED):
            raise TransitionConflict(
                _("Documents are recorded before the decision."), current_state=r.state
            )
        before = r.income_rule
        r.documents_handed_in_on = handed_in_on
        _assess(r)
        r.version += 1
        r.save()
        audit(
            actor=actor,
            record=r,
            action="family.documents",
            person=r.applicant,
            reason=r.income_rule_reason,
            changes={"handed_in_on": handed_in_on, "income_rule": [before, r.income_rule]},
        )
        if (
            r.sponsor_application_id
            and not FamilyReunification.objects.filter(
                sponsor_application_id=r.sponsor_application_id, documents_handed_in_on=None
            ).exists()
        ):
            casework_deadlines.deadline_close(
                source=deadlines.FAMILY_DOCUMENTS_WINDOW.key, object_id=r.sponsor_application_id
            )
    return r


def family_transition(
    *,
    actor: Any,
    reunification: FamilyReunification,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> FamilyReunification:
    """Make transition ``name`` on a family member's application, or raise, writing nothing."""
    if name not in FAMILY_TRANSITIONS:
        raise TransitionInvalid({"transition": _("Unknown action.")})
    with transaction.atomic():
        r = (
            FamilyReunification.objects.select_for_update(of=("self",))
            .select_related("sponsor", "applicant")
            .get(pk=reunification.pk)
        )
        _check(r, name, actor, expected_version)
        why_not = refusal(r, name)
        if why_not:
            raise TransitionConflict(why_not, current_state=r.state)
        source = r.state
        if name in ("start_examination", "accept"):
            _assess(r)  # the 12 months may have run out since registration
        kwargs = _family_kwargs(name, fields)
        getattr(r, name)(**kwargs)
        r.version += 1
        r.save()
        audit(
            actor=actor,
            record=r,
            action=f"family.{name}",
            person=r.applicant,
            source_state=source,
            target_state=r.state,
            reason=str(kwargs.get("grounds") or kwargs.get("late_reason") or ""),
            changes={
                k: v
                for k, v in kwargs.items()
                if k not in ("grounds", "late_reason") and v not in ("", None, False)
            }
            | ({"income_rule": r.income_rule} if name == "accept" else {}),
        )
        if name == "reject":
            casework_deadlines.deadline_set(
                source=deadlines.FAMILY_APPEAL.key,
                object_id=r.pk,
                due_at=r.appeal_deadline,
                person=r.applicant,
            )
        elif name in ("appeal", "accept", "grant_appeal", "dismiss_appeal"):
            casework_deadlines.deadline_close(source=deadlines.FAMILY_APPEAL.key, object_id=r.pk)
    return r


def _family_kwargs(name: str, fields: dict) -> dict:
    if name == "accept":
        return {
            "grounds": fields.get("grounds", ""),
            "income_requirement_met": bool(fields.get("income_requirement_met")),
            "income_exemption_reason": fields.get("income_exemption_reason", ""),
            "age_rule_waiver": fields.get("age_rule_waiver", ""),
        }
    if name in ("reject", "grant_appeal", "dismiss_appeal"):
        return {"grounds": fields.get("grounds", "")}
    if name == "appeal":
        return {"lodged_at": fields.get("lodged_at"), "late_reason": fields.get("late_reason", "")}
    return {}


def family_windows_open(*, application: Application, actor: Any = None) -> None:
    """Start the sponsor's 6- and 12-month windows when they are granted refugee status.

    Reminders go to the sponsor at 5 months (register the family's applications) and at
    11 months (documents handed in), one month before each window closes.
    """
    decision = _protection_decision(application)
    if decision is None or not sponsor_basis_refugee(SponsorBasis.PROTECTION, decision.outcome):
        return
    decided_on = timezone.localtime(decision.decided_at).date()
    register_by, documents_by = family_windows(decided_on)
    for source, last_day, remind_after in (
        (deadlines.FAMILY_REGISTRATION_WINDOW, register_by, 5),
        (deadlines.FAMILY_DOCUMENTS_WINDOW, documents_by, 11),
    ):
        if last_day is None:
            continue
        deadline = casework_deadlines.deadline_set(
            source=source.key,
            object_id=application.pk,
            due_at=deadlines.end_of(last_day),
            person=application.person,
        )
        deadline.remind_from = deadlines.start_of(add_months(decided_on, remind_after))
        deadline.save(update_fields=["remind_from"])
    # On the sponsor, not on the asylum case: the case's own history stays its transitions.
    audit_log(
        actor=actor,
        action="family.windows_opened",
        person=application.person,
        changes={
            "application": application.pk,
            "registration_deadline": register_by.isoformat() if register_by else None,
            "documents_deadline": documents_by.isoformat(),
        },
    )


def on_application_transitioned(
    sender: Any, *, application: Application, name: str, actor: Any, **kwargs: Any
) -> None:
    """Receiver of ``casework.signals.application_transitioned`` (inside its transaction)."""
    work_permits_follow_application(application=application, name=name, actor=actor)
    if name in ("accept", "grant_appeal"):
        family_windows_open(application=application, actor=actor)
