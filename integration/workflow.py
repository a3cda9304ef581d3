"""The lawful lives of a work permit, a family member's application and a programme.

Work permit (Immigration Act § 94): requested -> granted | refused; granted -> expired |
revoked; a renewal keeps it granted with a new validity period. Family reunification:
submitted -> examined -> accepted | rejected -> appealed -> accepted | rejected, like the
asylum machine. Each transition names who may make it with a callable permission (asked with
the record as object, so a group's model permission alone never passes) and its guards.
Methods check their input and change the object in memory; ``services.py`` locks, saves and
logs. The introduction programme: enrolled -> completed | discontinued (extension keeps it
enrolled).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from casework.applications.workflow import appeal_deadline_for
from casework.core.exceptions import TransitionInvalid
from casework.transitions.declaration import guard, may, require

from .choices import (
    FamilyState,
    IncomeRule,
    ProgrammeOutcome,
    ProgrammeState,
    WorkPermitState,
)
from .eligibility import (
    AGE_RULE_MINIMUM,
    PROGRAMME_EXTENSION_MONTHS,
    PROGRAMME_MAX_MONTHS,
    WORK_PERMIT_MAX_MONTHS,
    add_months,
    age_on,
    no_final_decision,
    section_94_unmet,
)


def system_only(instance: Any, user: Any) -> bool:
    """Made by the system (the expiry sweep, casework's transitions), never by a person."""
    return user is None


# --- Work permit ----------------------------------------------------------------------------


@guard(_("The conditions of Immigration Act § 94 are not met."))
def section_94_met(permit: Any) -> bool:
    return not section_94_unmet(
        application=permit.application, waiver_group=permit.interview_waiver_group
    )


@guard(_("A final decision has been made on the asylum application: no renewal."))
def renewable(permit: Any) -> bool:
    return no_final_decision(permit.application)


def _months(months: Any) -> int:
    try:
        value = int(months)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= WORK_PERMIT_MAX_MONTHS:
        raise TransitionInvalid(
            {"months": _("A permit is valid for 1 to %(max)s months.") % {"max": 6}}
        )
    return value


class WorkPermitWorkflow:
    """Transitions of ``integration.WorkPermit``; mixed into the model."""

    @transition(
        field="state",
        source=WorkPermitState.REQUESTED,
        target=WorkPermitState.GRANTED,
        conditions=[section_94_met],
        permission=may("integration.decide_work_permit"),
        custom={"label": _("Grant"), "fields": ("valid_from", "months")},
    )
    def grant(self, *, valid_from: dt.date | None = None, months: int = 6) -> None:
        """Grant the right to work while the asylum application is decided (§ 94 first para.)."""
        months = _months(months)
        self.valid_from = valid_from or timezone.localdate()
        self.valid_until = add_months(self.valid_from, months) - dt.timedelta(days=1)
        self.unmet_conditions = []
        self.decided_at = timezone.now()

    @transition(
        field="state",
        source=WorkPermitState.REQUESTED,
        target=WorkPermitState.REFUSED,
        permission=may("integration.decide_work_permit"),
        custom={"label": _("Refuse"), "fields": ("grounds",)},
    )
    def refuse(self, *, grounds: str = "") -> None:
        """Refuse, naming each unmet § 94 condition. No appeal: the Public Administration
        Act's chapters on appeal do not apply (§ 94 fourth paragraph).

        When every condition is met the refusal is a use of discretion ("may"), and grounds
        must be given.
        """
        unmet = section_94_unmet(
            application=self.application, waiver_group=self.interview_waiver_group
        )
        if not unmet:
            require(grounds, "grounds", _("Grounds (every § 94 condition is met)"))
        self.unmet_conditions = [u.as_dict() for u in unmet]
        self.grounds = (grounds or "").strip()
        self.decided_at = timezone.now()

    @transition(
        field="state",
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.GRANTED,
        conditions=[renewable],
        permission=may("integration.decide_work_permit"),
        custom={"label": _("Renew"), "fields": ("months",)},
    )
    def renew(self, *, months: int = 6) -> None:
        """A new validity period from the day after the current one ends (or from today)."""
        months = _months(months)
        start = max(self.valid_until + dt.timedelta(days=1), timezone.localdate())
        self.valid_from = start
        self.valid_until = add_months(start, months) - dt.timedelta(days=1)

    @transition(
        field="state",
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.REVOKED,
        permission=may("integration.decide_work_permit"),
        custom={"label": _("Revoke"), "fields": ("reason",)},
    )
    def revoke(self, *, reason: str) -> None:
        """Withdraw the permit, e.g. when identity turns out to be in doubt."""
        self.lapse_reason = require(reason, "reason", _("Reason"))[:200]
        self.ended_at = timezone.now()

    @transition(
        field="state",
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.EXPIRED,
        permission=system_only,
        custom={"label": _("Expire"), "fields": ("reason",), "admin": False},
    )
    def expire(self, *, reason: str) -> None:
        """The validity period ended, or the departure deadline after a final rejection came."""
        self.lapse_reason = str(reason)[:200]
        self.ended_at = timezone.now()


WORK_PERMIT_TRANSITIONS = ("grant", "refuse", "renew", "revoke", "expire")


# --- Family reunification -------------------------------------------------------------------


@guard(_("The appeals body has dismissed the appeal: the decision is final."))
def family_not_final(app: Any) -> bool:
    return not app.is_final


class FamilyReunificationWorkflow:
    """Transitions of ``integration.FamilyReunification``; mixed into the model."""

    @transition(
        field="state",
        source=FamilyState.SUBMITTED,
        target=FamilyState.EXAMINED,
        permission=may("integration.examine_family"),
        custom={"label": _("Start examination"), "fields": ()},
    )
    def start_examination(self) -> None:
        """A caseworker takes the application up (interviews, DNA tests, documents)."""

    @transition(
        field="state",
        source=FamilyState.EXAMINED,
        target=FamilyState.ACCEPTED,
        permission=may("integration.decide_family"),
        custom={
            "label": _("Accept"),
            "fields": (
                "grounds",
                "income_requirement_met",
                "income_exemption_reason",
                "age_rule_waiver",
            ),
        },
    )
    def accept(
        self,
        *,
        grounds: str,
        income_requirement_met: bool = False,
        income_exemption_reason: str = "",
        age_rule_waiver: str = "",
    ) -> None:
        """Grant the family immigration permit.

        The income requirement must be met unless the refugee-family exemption applies or
        very special circumstances are recorded; under the 24-year rule (Immigration Act
        § 41a) both must be 24 on the day of the decision unless the relationship is
        obviously voluntary (a recorded waiver).
        """
        errors = {}
        if not (grounds or "").strip():
            errors["grounds"] = _("Grounds is required.")
        if (
            self.income_rule != IncomeRule.EXEMPT
            and not income_requirement_met
            and not (income_exemption_reason or "").strip()
        ):
            errors["income_requirement_met"] = _(
                "The income requirement applies (%(why)s). Confirm it is met, or record the "
                "very special circumstances that exempt the applicant."
            ) % {"why": self.income_rule_reason}
        if self.age_rule_applies and not (age_rule_waiver or "").strip():
            today = timezone.localdate()
            ages = [age_on(p.date_of_birth, today) for p in (self.sponsor, self.applicant)]
            if min(ages) < AGE_RULE_MINIMUM:
                errors["age_rule_waiver"] = _(
                    "The couple formed after the sponsor came to Norway, so both must be 24 "
                    "today (Immigration Act § 41a), unless the relationship is obviously "
                    "voluntary (record why)."
                )
        if errors:
            raise TransitionInvalid(errors)
        self.grounds = grounds.strip()
        self.decided_at = timezone.now()
        self.appeal_deadline = None

    @transition(
        field="state",
        source=FamilyState.EXAMINED,
        target=FamilyState.REJECTED,
        permission=may("integration.decide_family"),
        custom={"label": _("Reject"), "fields": ("grounds",)},
    )
    def reject(self, *, grounds: str) -> None:
        """Refuse; the 3-week appeal period runs from notification (Public Admin. Act § 29)."""
        self.grounds = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.appeal_deadline = appeal_deadline_for(track="normal", notified_at=self.decided_at)

    @transition(
        field="state",
        source=FamilyState.REJECTED,
        target=FamilyState.APPEALED,
        conditions=[family_not_final],
        permission=may("integration.lodge_family_appeal"),
        custom={"label": _("Lodge appeal"), "fields": ("late_reason",)},
    )
    def appeal(self, *, lodged_at: dt.datetime | None = None, late_reason: str = "") -> None:
        """Lodge the appeal, within 3 weeks unless admitted late with a reason."""
        lodged_at = lodged_at or timezone.now()
        if self.appeal_deadline and lodged_at > self.appeal_deadline and not late_reason.strip():
            raise TransitionInvalid(
                {
                    "late_reason": _(
                        "The appeal deadline has passed. A late appeal is admitted only with "
                        "a recorded reason."
                    )
                }
            )
        self.appealed_at = lodged_at

    @transition(
        field="state",
        source=FamilyState.APPEALED,
        target=FamilyState.ACCEPTED,
        permission=may("integration.decide_family_appeal"),
        custom={"label": _("Grant appeal"), "fields": ("grounds",)},
    )
    def grant_appeal(self, *, grounds: str) -> None:
        """The appeals body (UNE) reverses the rejection."""
        self.grounds = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.appeal_deadline = None

    @transition(
        field="state",
        source=FamilyState.APPEALED,
        target=FamilyState.REJECTED,
        permission=may("integration.decide_family_appeal"),
        custom={"label": _("Dismiss appeal"), "fields": ("grounds",)},
    )
    def dismiss_appeal(self, *, grounds: str) -> None:
        """The appeals body upholds the rejection. Final."""
        self.grounds = require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.appeal_deadline = None
        self.is_final = True


FAMILY_TRANSITIONS = (
    "start_examination",
    "accept",
    "reject",
    "appeal",
    "grant_appeal",
    "dismiss_appeal",
)


# --- Introduction programme -----------------------------------------------------------------


class ProgrammeWorkflow:
    """Transitions of ``integration.IntroductionProgramme``: enrolled -> completed |
    discontinued; an extension keeps it enrolled with a later planned end."""

    @transition(
        field="state",
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.ENROLLED,
        permission=may("integration.manage_programme"),
        custom={"label": _("Extend"), "fields": ("planned_end_on", "reason")},
    )
    def extend(self, *, planned_end_on: dt.date | None, reason: str) -> None:
        """Extend beyond 3 years, up to 4 in all, with a recorded reason (Integration Act
        § 13: e.g. to complete upper-secondary education)."""
        reason = require(reason, "reason", _("Reason"))
        limit = add_months(self.start_on, PROGRAMME_MAX_MONTHS + PROGRAMME_EXTENSION_MONTHS)
        if planned_end_on is None or planned_end_on <= self.planned_end_on:
            raise TransitionInvalid(
                {"planned_end_on": _("The new end must be later than the planned end.")}
            )
        if planned_end_on > limit:
            raise TransitionInvalid(
                {"planned_end_on": _("The programme lasts at most 4 years with the extension.")}
            )
        self.planned_end_on = planned_end_on
        self.extension_reason = reason

    @transition(
        field="state",
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.COMPLETED,
        permission=may("integration.manage_programme"),
        custom={"label": _("Complete"), "fields": ("outcome", "note")},
    )
    def complete(self, *, outcome: str, note: str = "", ended_on: dt.date | None = None) -> None:
        """Record the outcome at the end: work, education or other."""
        if outcome not in ProgrammeOutcome.values:
            raise TransitionInvalid({"outcome": _("Choose work, education or other.")})
        self.outcome = outcome
        self.outcome_note = (note or "").strip()
        self.ended_on = ended_on or timezone.localdate()

    @transition(
        field="state",
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.DISCONTINUED,
        permission=may("integration.manage_programme"),
        custom={"label": _("Discontinue"), "fields": ("reason",)},
    )
    def discontinue(self, *, reason: str) -> None:
        """The participant leaves early (moved, long illness, lost the right)."""
        self.outcome_note = require(reason, "reason", _("Reason"))
        self.ended_on = timezone.localdate()


PROGRAMME_TRANSITIONS = ("extend", "complete", "discontinue")
