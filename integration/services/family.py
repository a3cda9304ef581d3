"""Family reunification: registration, documents, transitions and the sponsor's windows."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import POSITIVE, State
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Application, Decision, Person
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make

from .. import deadlines
from ..choices import (
    FamilyRelation,
    FamilyState,
    SponsorBasis,
)
from ..eligibility import add_months, age_on, assess_family, family_windows, sponsor_basis_refugee
from ..models import FamilyReunification
from .common import audit, subject

log = logging.getLogger(__name__)

# --- Family reunification -------------------------------------------------------------------


def protection_decision(application: Application) -> Decision | None:
    return application.decisions.filter(outcome__in=POSITIVE).order_by("-decided_at", "-id").first()


def family_register(
    *,
    actor: AnyUser,
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
            decision = protection_decision(sponsor_application)
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
    if errors or sponsor_arrived_on is None:
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
            created_by=recorded_user(actor),
        )
        assess_family(reunification)
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
            deadline_close(
                source=deadlines.FAMILY_REGISTRATION_WINDOW.key, object_id=sponsor_application.pk
            )
    return reunification


def family_record_documents(
    *, actor: AnyUser, reunification: FamilyReunification, handed_in_on: dt.date | None = None
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
        assess_family(r)
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
            deadline_close(
                source=deadlines.FAMILY_DOCUMENTS_WINDOW.key, object_id=r.sponsor_application_id
            )
    return r


def _locked(pk: int) -> FamilyReunification | None:
    return (
        FamilyReunification.objects.select_for_update(of=("self",))
        .select_related("sponsor", "applicant")
        .filter(pk=pk)
        .first()
    )


def _subject(r: FamilyReunification) -> dict[str, Any]:
    """A family member's application is about the applicant (there is no asylum case)."""
    return {"person": r.applicant}


# How casework's generic transition service handles a family member's application
# (``workflow.py`` declares each transition): the audit action is ``family.<name>``.
FAMILY = Workflow(
    model=FamilyReunification,
    lock=_locked,
    subject=_subject,
    audit_prefix="family.",
    audit_changes=subject,
    stale=_("Another user changed this record first. Reload it and try again."),
)


def family_transition(
    *,
    actor: AnyUser,
    reunification: FamilyReunification,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> FamilyReunification:
    """Make transition ``name`` on a family member's application, or raise, writing nothing."""
    return transition_make(
        workflow=FAMILY,
        actor=actor,
        record=reunification,
        name=name,
        expected_version=expected_version,
        **fields,
    )


def family_windows_open(
    *, application: Application, actor: AnyUser | None = None, decision: Decision | None = None
) -> None:
    """Start the sponsor's 6- and 12-month windows when they are granted refugee status.

    Reminders go to the sponsor 30 days before each window closes (at about 5 months:
    register the family's applications; at about 11 months: documents handed in).
    ``decision``: the positive decision just recorded, when the caller has it (the latest
    positive decision is the protection decision); otherwise it is read.
    """
    if decision is None or decision.outcome not in POSITIVE:
        decision = protection_decision(application)
    if decision is None or not sponsor_basis_refugee(SponsorBasis.PROTECTION, decision.outcome):
        return
    decided_on = timezone.localtime(decision.decided_at).date()
    register_by, documents_by = family_windows(decided_on)
    for source, last_day in (
        (deadlines.FAMILY_REGISTRATION_WINDOW, register_by),
        (deadlines.FAMILY_DOCUMENTS_WINDOW, documents_by),
    ):
        if last_day is None:
            continue
        deadline_set(
            source=source.key,
            object_id=application.pk,
            due_at=deadlines.end_of(last_day),
            person=application.person,
        )

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
