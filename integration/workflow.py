"""The lawful lives of a work permit, a family member's application and a programme, in one
file: every transition declared once.

Work permit (Immigration Act § 94): requested -> granted | refused; granted -> expired |
revoked; a renewal keeps it granted with a new validity period. Family reunification:
submitted -> examined -> accepted | rejected -> appealed -> accepted | rejected, like the
asylum machine. The introduction programme: enrolled -> completed | discontinued (an
extension keeps it enrolled).

Each transition's declaration (``casework.transitions.declaration.transition``) says who
may make it (an object permission asked with the record as object, so a group's model
permission alone never passes), its guards and their sentences, the inputs it takes and
where the audit event keeps them, the rows it writes (``records.py``), the deadlines it opens
and closes (``deadlines.py``), and its label. The methods are pure: they check what only the
record can tell and change it in memory; casework's one transition service
(``casework.transitions.services.transition_make``, through the ``Workflow`` of each model in
``services/``) locks, saves, audits and moves the deadlines.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.applications.workflow import appeal_deadline_for
from casework.core.exceptions import TransitionInvalid
from casework.transitions.declaration import (
    BOOLEAN,
    CHANGES,
    CHOICE,
    DATE,
    INTEGER,
    LONG_TEXT,
    NOWHERE,
    REASON,
    TICKED,
    Input,
    closes,
    declarations,
    guard,
    opens,
    require,
    transition,
)

from .choices import (
    FamilyState,
    IncomeRule,
    PeriodKind,
    ProgrammeOutcome,
    ProgrammeState,
    WorkPermitState,
)
from .deadlines import FAMILY_APPEAL, PROGRAMME_END, WORK_PERMIT_LAPSE, WORK_PERMIT_RENEWAL, end_of
from .eligibility import (
    AGE_RULE_MINIMUM,
    PROGRAMME_EXTENSION_MONTHS,
    PROGRAMME_MAX_MONTHS,
    WORK_PERMIT_MAX_MONTHS,
    add_months,
    age_on,
    assess_family,
    no_final_decision,
    section_94_unmet,
)
from .records import GrantsFamilyPermit, RecordsPeriod

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

    from casework.models import Application

    from .models import FamilyReunification, IntroductionProgramme, WorkPermit

# The most a free-text input takes (the API's limit before the declaration).
TEXT_MAX = 2000


def _text(name: str, label: Any, *, required: bool = False, **kw: Any) -> Input:
    """A free-text input (grounds, a reason), kept as the audit event's reason by default."""
    kw.setdefault("audit", REASON)
    return Input(name, LONG_TEXT, label, required=required, max_length=TEXT_MAX, default="", **kw)


# --- Work permit ----------------------------------------------------------------------------


@guard(
    _("The conditions of Immigration Act § 94 are not met."),
    unmet=lambda permit: section_94_unmet(
        application=permit.application, waiver_group=permit.interview_waiver_group
    ),
    unmet_message=_("The permit cannot be granted: %(reasons)s"),
)
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


VALID_FROM = Input("valid_from", DATE, _("Valid from (empty: today)"), audit=NOWHERE)
MONTHS = Input(
    "months",
    INTEGER,
    _("Months (1–6)"),
    default=6,
    min_value=1,
    max_value=WORK_PERMIT_MAX_MONTHS,
    help_text=_("The validity period, at most 6 months at a time."),
    audit=NOWHERE,
)
PERMIT_REASON = _text("reason", _("Reason"), required=True)


def _validity(permit: WorkPermit) -> dict[str, Any]:
    """What a decision's audit event keeps: the validity period and each unmet condition."""
    return {
        "valid_from": permit.valid_from,
        "valid_until": permit.valid_until,
        "unmet": [u["code"] for u in permit.unmet_conditions],
    }


def _renewal_due(permit: WorkPermit, values: dict[str, Any]) -> dt.datetime:
    assert permit.valid_until is not None  # opened by a grant or renewal, which set it
    return end_of(permit.valid_until)


def _lapse_due(permit: WorkPermit, values: dict[str, Any]) -> dt.datetime | None:
    """The departure deadline after a final rejection, if one is set (else: closed)."""
    return permit.lapses_at


# A running permit is reminded of its renewal, and of its lapse when one is set.
RUNNING = (opens(WORK_PERMIT_RENEWAL.key, _renewal_due), opens(WORK_PERMIT_LAPSE.key, _lapse_due))
ENDED = closes(WORK_PERMIT_RENEWAL.key, WORK_PERMIT_LAPSE.key)
DECIDES_PERMITS = "integration.decide_work_permit"
# UDI decides and may delegate to the police (§ 94 fifth paragraph).
PERMIT_DECIDERS = "decision-maker or police registration"


class WorkPermitWorkflow:
    """Transitions of ``integration.WorkPermit``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        application: Application
        interview_waiver_group: str
        valid_from: dt.date | None
        valid_until: dt.date | None
        unmet_conditions: list[dict[str, Any]]
        grounds: str
        decided_at: dt.datetime | None
        lapse_reason: str
        ended_at: dt.datetime | None

    @transition(
        source=WorkPermitState.REQUESTED,
        target=WorkPermitState.GRANTED,
        label=_("Grant"),
        done=_("Work permit granted"),
        permission=DECIDES_PERMITS,
        guards=[section_94_met],
        inputs=[VALID_FROM, MONTHS],
        writes=[RecordsPeriod(PeriodKind.FIRST)],
        deadlines=RUNNING,
        audited=_validity,
        actor_field="decided_by",
        role=PERMIT_DECIDERS,
    )
    def grant(self, *, valid_from: dt.date | None = None, months: int = 6) -> None:
        """Grant the right to work while the asylum application is decided (§ 94 first para.)."""
        months = _months(months)
        self.valid_from = valid_from or timezone.localdate()
        self.valid_until = add_months(self.valid_from, months) - dt.timedelta(days=1)
        self.unmet_conditions = []
        self.decided_at = timezone.now()

    @transition(
        source=WorkPermitState.REQUESTED,
        target=WorkPermitState.REFUSED,
        label=_("Refuse"),
        done=_("Work permit refused"),
        permission=DECIDES_PERMITS,
        inputs=[
            _text(
                "grounds",
                _("Grounds"),
                help_text=_("Required when every § 94 condition is met (a refusal by discretion)."),
            )
        ],
        deadlines=ENDED,
        audited=_validity,
        actor_field="decided_by",
        role=PERMIT_DECIDERS,
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
        self.grounds = grounds
        self.decided_at = timezone.now()

    @transition(
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.GRANTED,
        label=_("Renew"),
        done=_("Work permit renewed"),
        permission=DECIDES_PERMITS,
        guards=[renewable],
        inputs=[MONTHS],
        writes=[RecordsPeriod(PeriodKind.RENEWAL)],
        deadlines=RUNNING,
        audited=_validity,
        role=PERMIT_DECIDERS,
    )
    def renew(self, *, months: int = 6) -> None:
        """A new validity period from the day after the current one ends (or from today)."""
        months = _months(months)
        assert self.valid_until is not None  # a granted permit has its validity period
        start = max(self.valid_until + dt.timedelta(days=1), timezone.localdate())
        self.valid_from = start
        self.valid_until = add_months(start, months) - dt.timedelta(days=1)

    @transition(
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.REVOKED,
        label=_("Revoke"),
        done=_("Work permit revoked"),
        permission=DECIDES_PERMITS,
        inputs=[PERMIT_REASON],
        deadlines=ENDED,
        role=PERMIT_DECIDERS,
    )
    def revoke(self, *, reason: str) -> None:
        """Withdraw the permit, e.g. when identity turns out to be in doubt."""
        self.lapse_reason = reason[:200]
        self.ended_at = timezone.now()

    @transition(
        source=WorkPermitState.GRANTED,
        target=WorkPermitState.EXPIRED,
        label=_("Expire"),
        done=_("Work permit expired"),
        permission=None,
        # Given by the system; not required in a request, which is refused anyway (403).
        inputs=[PERMIT_REASON.but(required=False)],
        deadlines=ENDED,
        role="system",
    )
    def expire(self, *, reason: str = "") -> None:
        """The validity period ended, or the departure deadline after a final rejection came."""
        self.lapse_reason = str(reason)[:200]
        self.ended_at = timezone.now()


# --- Family reunification -------------------------------------------------------------------


@guard(_("The appeals body has dismissed the appeal: the decision is final."))
def family_not_final(app: Any) -> bool:
    return not app.is_final


def income_and_age_rules(r: Any, values: dict[str, Any]) -> dict[str, Any]:
    """What accepting a family member needs besides grounds.

    The income requirement must be met unless the refugee-family exemption applies or very
    special circumstances are recorded; under the 24-year rule (Immigration Act § 41a) both
    must be 24 on the day of the decision unless the relationship is obviously voluntary (a
    recorded waiver).
    """
    errors: dict[str, StrOrPromise] = {}
    if (
        r.income_rule != IncomeRule.EXEMPT
        and not values.get("income_requirement_met")
        and not values.get("income_exemption_reason")
    ):
        errors["income_requirement_met"] = _(
            "The income requirement applies (%(why)s). Confirm it is met, or record the "
            "very special circumstances that exempt the applicant."
        ) % {"why": r.income_rule_reason}
    if r.age_rule_applies and not values.get("age_rule_waiver"):
        today = timezone.localdate()
        ages = [age_on(p.date_of_birth, today) for p in (r.sponsor, r.applicant)]
        if min(ages) < AGE_RULE_MINIMUM:
            errors["age_rule_waiver"] = _(
                "The couple formed after the sponsor came to Norway, so both must be 24 "
                "today (Immigration Act § 41a), unless the relationship is obviously "
                "voluntary (record why)."
            )
    return errors


def _family_appeal_due(r: FamilyReunification, values: dict[str, Any]) -> dt.datetime | None:
    return r.appeal_deadline


FAMILY_GROUNDS = _text("grounds", _("Grounds"), required=True)
# A decided or appealed application no longer waits for its appeal deadline.
APPEAL_CLOSED = closes(FAMILY_APPEAL.key)


class FamilyReunificationWorkflow:
    """Transitions of ``integration.FamilyReunification``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        grounds: str
        decided_at: dt.datetime | None
        appeal_deadline: dt.datetime | None
        appealed_at: dt.datetime | None
        is_final: bool

    @transition(
        source=FamilyState.SUBMITTED,
        target=FamilyState.EXAMINED,
        label=_("Start examination"),
        done=_("Examination started"),
        permission="integration.examine_family",
        # The 12 months may have run out since registration.
        prepare=assess_family,
        role="caseworker",
    )
    def start_examination(self) -> None:
        """A caseworker takes the application up (interviews, DNA tests, documents)."""

    @transition(
        source=FamilyState.EXAMINED,
        target=FamilyState.ACCEPTED,
        label=_("Accept"),
        done=_("Decision: accepted"),
        permission="integration.decide_family",
        prepare=assess_family,
        inputs=[
            # Checked by the service with the rules below, so that every error shows at once.
            FAMILY_GROUNDS,
            Input(
                "income_requirement_met",
                BOOLEAN,
                _("The income requirement is met"),
                default=False,
                audit=TICKED,
            ),
            _text(
                "income_exemption_reason",
                _("Very special circumstances exempting from income"),
                audit=CHANGES,
            ),
            _text(
                "age_rule_waiver",
                _("Why the relationship is obviously voluntary (24-year rule)"),
                audit=CHANGES,
            ),
        ],
        validators=[income_and_age_rules],
        audited_fields=["income_rule"],
        effects=[GrantsFamilyPermit()],
        deadlines=APPEAL_CLOSED,
        role="decision-maker",
    )
    def accept(self, *, grounds: str) -> None:
        """Grant the family immigration permit (the income and 24-year rules are checked with
        the input: ``income_and_age_rules``)."""
        self.grounds = grounds
        self.decided_at = timezone.now()
        self.appeal_deadline = None

    @transition(
        source=FamilyState.EXAMINED,
        target=FamilyState.REJECTED,
        label=_("Reject"),
        done=_("Decision: rejected"),
        permission="integration.decide_family",
        inputs=[FAMILY_GROUNDS],
        deadlines=[opens(FAMILY_APPEAL.key, _family_appeal_due)],
        role="decision-maker",
    )
    def reject(self, *, grounds: str) -> None:
        """Refuse; the 3-week appeal period runs from notification (Public Admin. Act § 29)."""
        self.grounds = grounds
        self.decided_at = timezone.now()
        self.appeal_deadline = appeal_deadline_for(track="normal", notified_at=self.decided_at)

    @transition(
        source=FamilyState.REJECTED,
        target=FamilyState.APPEALED,
        label=_("Lodge appeal"),
        done=_("Appeal lodged"),
        permission="integration.lodge_family_appeal",
        guards=[family_not_final],
        inputs=[
            _text(
                "late_reason",
                _("Reason for admitting a late appeal"),
                help_text=_("Only needed when the appeal deadline has passed."),
            )
        ],
        deadlines=APPEAL_CLOSED,
        role="caseworker",
    )
    def appeal(self, *, late_reason: str = "") -> None:
        """Lodge the appeal, within 3 weeks unless admitted late with a reason."""
        lodged_at = timezone.now()
        if self.appeal_deadline and lodged_at > self.appeal_deadline and not late_reason:
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
        source=FamilyState.APPEALED,
        target=FamilyState.ACCEPTED,
        label=_("Grant appeal"),
        done=_("Appeal granted"),
        permission="integration.decide_family_appeal",
        inputs=[FAMILY_GROUNDS],
        effects=[GrantsFamilyPermit()],
        deadlines=APPEAL_CLOSED,
        role="appeals body",
    )
    def grant_appeal(self, *, grounds: str) -> None:
        """The appeals body (UNE) reverses the rejection."""
        self.grounds = grounds
        self.decided_at = timezone.now()
        self.appeal_deadline = None

    @transition(
        source=FamilyState.APPEALED,
        target=FamilyState.REJECTED,
        label=_("Dismiss appeal"),
        done=_("Appeal dismissed (final)"),
        permission="integration.decide_family_appeal",
        inputs=[FAMILY_GROUNDS],
        deadlines=APPEAL_CLOSED,
        role="appeals body",
    )
    def dismiss_appeal(self, *, grounds: str) -> None:
        """The appeals body upholds the rejection. Final."""
        self.grounds = grounds
        self.decided_at = timezone.now()
        self.appeal_deadline = None
        self.is_final = True


# --- Introduction programme -----------------------------------------------------------------


def _programme_end_due(p: IntroductionProgramme, values: dict[str, Any]) -> dt.datetime:
    return end_of(p.planned_end_on)


# The municipality of settlement runs the programme (Integration Act § 8).
MANAGES_PROGRAMME = "integration.manage_programme"
PROGRAMME_REASON = _text("reason", _("Reason"), required=True)


class ProgrammeWorkflow:
    """Transitions of ``integration.IntroductionProgramme``: enrolled -> completed |
    discontinued; an extension keeps it enrolled with a later planned end."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        start_on: dt.date
        planned_end_on: dt.date
        extension_reason: str
        outcome: str
        outcome_note: str
        ended_on: dt.date | None

    @transition(
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.ENROLLED,
        label=_("Extend"),
        done=_("Programme extended"),
        permission=MANAGES_PROGRAMME,
        inputs=[
            Input("planned_end_on", DATE, _("New planned end"), required=True),
            PROGRAMME_REASON,
        ],
        deadlines=[opens(PROGRAMME_END.key, _programme_end_due)],
        role="integration officer",
    )
    def extend(self, *, planned_end_on: dt.date, reason: str) -> None:
        """Extend beyond 3 years, up to 4 in all, with a recorded reason (Integration Act
        § 13: e.g. to complete upper-secondary education)."""
        limit = add_months(self.start_on, PROGRAMME_MAX_MONTHS + PROGRAMME_EXTENSION_MONTHS)
        if planned_end_on <= self.planned_end_on:
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
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.COMPLETED,
        label=_("Complete"),
        done=_("Programme completed"),
        permission=MANAGES_PROGRAMME,
        inputs=[
            Input(
                "outcome",
                CHOICE,
                _("Outcome"),
                required=True,
                choices=ProgrammeOutcome.choices,
            ),
            _text("note", _("Note")),
        ],
        deadlines=closes(PROGRAMME_END.key),
        role="integration officer",
    )
    def complete(self, *, outcome: str, note: str = "") -> None:
        """Record the outcome at the end: work, education or other."""
        if outcome not in ProgrammeOutcome.values:
            raise TransitionInvalid({"outcome": _("Choose work, education or other.")})
        self.outcome = outcome
        self.outcome_note = note
        self.ended_on = timezone.localdate()

    @transition(
        source=ProgrammeState.ENROLLED,
        target=ProgrammeState.DISCONTINUED,
        label=_("Discontinue"),
        done=_("Programme discontinued"),
        permission=MANAGES_PROGRAMME,
        inputs=[PROGRAMME_REASON],
        deadlines=closes(PROGRAMME_END.key),
        role="integration officer",
    )
    def discontinue(self, *, reason: str) -> None:
        """The participant leaves early (moved, long illness, lost the right)."""
        self.outcome_note = reason
        self.ended_on = timezone.localdate()


WORK_PERMIT_TRANSITIONS = tuple(declarations(WorkPermitWorkflow))
FAMILY_TRANSITIONS = tuple(declarations(FamilyReunificationWorkflow))
PROGRAMME_TRANSITIONS = tuple(declarations(ProgrammeWorkflow))
