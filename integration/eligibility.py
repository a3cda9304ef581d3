"""The legal conditions of the integration domain, as pure functions that explain themselves.

Each function returns not just yes or no but the sentence a caseworker or an applicant reads:
which § 94 condition is unmet, which income-requirement rule applies and why, whether the
24-year rule applies, whether a person may be enrolled in the introduction programme. They
read the database (documents, decisions) but never write.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import OPEN_STATES, ApplicationKind, Outcome, State, Track
from casework.people.choices import DocumentKind

from .choices import FamilyRelation, IncomeRule, InterviewWaiverGroup, SponsorBasis


def add_months(day: dt.date, months: int) -> dt.date:
    """``day`` plus ``months`` calendar months; the 31st becomes the month's last day.

    Deadlines "within 6 months of 31 August" thus end on 28 (or 29) February.
    """
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def age_on(born: dt.date, day: dt.date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


@dataclass(frozen=True)
class Unmet:
    """One unmet condition: a stable code (for clients) and the sentence people read."""

    code: str
    message: Any

    def as_dict(self) -> dict:
        return {"code": self.code, "message": str(self.message)}


# --- Temporary work permit (Immigration Act § 94, utlendingsforskriften § 17-24) ------------

WORK_PERMIT_MAX_MONTHS = 6
# Documents that establish identity for § 94 (utlendingsforskriften § 17-24): an approved
# travel document or a national identity card. A birth certificate alone does not.
IDENTITY_DOCUMENT_KINDS = (
    DocumentKind.PASSPORT,
    DocumentKind.NATIONAL_ID,
    DocumentKind.TRAVEL_DOCUMENT,
)
# UDI waives the interview condition for these groups (udi.no "Can I work…", 2024).
WAIVER_GROUP_NATIONALITY: dict[str, str] = {
    InterviewWaiverGroup.SYRIA: "SY",
    InterviewWaiverGroup.YEMEN: "YE",
    InterviewWaiverGroup.UYGHUR: "CN",
}

COLLECTIVE_NEEDS_NONE = _(
    "A person with collective protection (Immigration Act § 34) needs no temporary work "
    "permit: they may take ordinary paid work once protection is granted."
)


def section_94_unmet(*, application: Any, waiver_group: str = "") -> list[Unmet]:
    """Every unmet condition of Immigration Act § 94 for a temporary work permit, in order.

    (a) the asylum interview has been held, unless waived for the applicant's group (Syria,
    Yemen, Uyghurs from China) or waived for the case with a recorded reason; (b) identity is
    documented by a verified passport, national ID card or travel document; (c) the
    application is not yet decided; (d) it is not a Dublin case. A collective-protection
    applicant is told instead that they need no permit.
    """
    if application.kind == ApplicationKind.COLLECTIVE:
        return [Unmet("collective_protection", COLLECTIVE_NEEDS_NONE)]
    unmet = []
    waived = bool(waiver_group) or bool(application.interview_waived_reason.strip())
    if application.interview_held_at is None and not waived:
        unmet.append(
            Unmet(
                "interview_not_held",
                _(
                    "The asylum interview has not been held, and the applicant is not in a "
                    "group for whom it is waived."
                ),
            )
        )
    documented = application.person.documents.filter(
        verified=True, kind__in=IDENTITY_DOCUMENT_KINDS
    ).exists()
    if not documented:
        unmet.append(
            Unmet(
                "identity_not_documented",
                _(
                    "Identity is not documented: no verified passport, national identity card "
                    "or travel document."
                ),
            )
        )
    if application.state not in (State.SUBMITTED, State.EXAMINED):
        unmet.append(
            Unmet(
                "already_decided",
                _("The asylum application has already been decided (or withdrawn)."),
            )
        )
    if application.track == Track.DUBLIN:
        unmet.append(
            Unmet(
                "dublin",
                _("The application is in the Dublin procedure: another country may take it."),
            )
        )
    return unmet


def no_final_decision(application: Any) -> bool:
    """A § 94 permit is renewable while no final decision has been made on the application."""
    if application.state in OPEN_STATES:
        return True
    return application.state == State.REJECTED and not application.is_final


# --- Family reunification: the income requirement and the 24-year rule ----------------------

REGISTRATION_WINDOW_MONTHS = 6
DOCUMENTS_WINDOW_MONTHS = 12
# For protection granted before 1 August 2017 only the 12-month deadline applies.
SIX_MONTH_RULE_FROM = dt.date(2017, 8, 1)
REFUGEE_OUTCOMES = (Outcome.REFUGEE_CONVENTION, Outcome.REFUGEE_OTHER)
AGE_RULE_MINIMUM = 24


@dataclass(frozen=True)
class IncomeAssessment:
    """Which income-requirement rule applies, why, and the deadlines it was measured against."""

    rule: str
    reason: str
    registration_deadline: dt.date | None = None
    documents_deadline: dt.date | None = None


def family_windows(protection_decided_on: dt.date) -> tuple[dt.date | None, dt.date]:
    """The last day to register (6 months) and to hand in documents (12 months).

    Counted from the date in the protection decision letter; "within 6 months" of 15 March
    ends on 15 September, inclusive. Before 1 August 2017 only the 12-month deadline applied.
    """
    documents = add_months(protection_decided_on, DOCUMENTS_WINDOW_MONTHS)
    if protection_decided_on < SIX_MONTH_RULE_FROM:
        return None, documents
    return add_months(protection_decided_on, REGISTRATION_WINDOW_MONTHS), documents


def _fmt(day: dt.date) -> str:
    return date_format(day, "DATE_FORMAT")


def income_requirement(
    *,
    sponsor_is_refugee: bool,
    relation: str,
    relationship_before_arrival: bool,
    applicant_age_at_registration: int,
    protection_decided_on: dt.date | None,
    registered_on: dt.date,
    documents_handed_in_on: dt.date | None,
    today: dt.date,
) -> IncomeAssessment:
    """Decide whether the income requirement (underholdskravet) applies, and say why.

    Refugees' spouses, cohabitants and children under 18 are exempt when the application was
    registered within 6 months of the protection decision and the documents handed in within
    12 months (udi.no, "Familieinnvandring med ein person som har vern"); a spouse or
    cohabitant only if the relationship began before the sponsor came to Norway. Everyone
    else meets the general rule. While the 12 months run and no documents are in, the
    exemption is pending.
    """
    if not sponsor_is_refugee or protection_decided_on is None:
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(_("The sponsor is not a refugee granted protection: the general rule applies.")),
        )
    if relation == FamilyRelation.OTHER:
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(
                _(
                    "Only a refugee's spouse, cohabitant or child under 18 is exempt; other "
                    "relatives meet the income requirement."
                )
            ),
        )
    if relation == FamilyRelation.CHILD and applicant_age_at_registration >= 18:
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(_("The child was 18 or older when the application was registered.")),
        )
    if relation in (FamilyRelation.SPOUSE, FamilyRelation.COHABITANT) and (
        not relationship_before_arrival
    ):
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(
                _(
                    "The relationship began after the sponsor came to Norway (family "
                    "establishment): the exemption is for families that existed before."
                )
            ),
        )
    register_by, documents_by = family_windows(protection_decided_on)
    if register_by is not None and registered_on > register_by:
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(
                _(
                    "Registered on %(registered)s, after the 6-month deadline of %(deadline)s "
                    "counted from the protection decision of %(decided)s."
                )
                % {
                    "registered": _fmt(registered_on),
                    "deadline": _fmt(register_by),
                    "decided": _fmt(protection_decided_on),
                }
            ),
            register_by,
            documents_by,
        )
    if documents_handed_in_on is None:
        if today > documents_by:
            return IncomeAssessment(
                IncomeRule.APPLIES,
                str(
                    _("The documents were not handed in by the 12-month deadline of %(d)s.")
                    % {"d": _fmt(documents_by)}
                ),
                register_by,
                documents_by,
            )
        return IncomeAssessment(
            IncomeRule.PENDING,
            str(
                _(
                    "Registered in time; exempt if the documents are handed in by %(d)s "
                    "(12 months from the protection decision of %(decided)s)."
                )
                % {"d": _fmt(documents_by), "decided": _fmt(protection_decided_on)}
            ),
            register_by,
            documents_by,
        )
    if documents_handed_in_on > documents_by:
        return IncomeAssessment(
            IncomeRule.APPLIES,
            str(
                _("Documents handed in on %(on)s, after the 12-month deadline of %(d)s.")
                % {"on": _fmt(documents_handed_in_on), "d": _fmt(documents_by)}
            ),
            register_by,
            documents_by,
        )
    return IncomeAssessment(
        IncomeRule.EXEMPT,
        str(
            _(
                "A refugee's close family member: registered on %(registered)s and documents "
                "handed in on %(on)s, within 6 and 12 months of the protection decision of "
                "%(decided)s."
            )
            % {
                "registered": _fmt(registered_on),
                "on": _fmt(documents_handed_in_on),
                "decided": _fmt(protection_decided_on),
            }
        ),
        register_by,
        documents_by,
    )


def age_rule_applies(*, relation: str, relationship_before_arrival: bool) -> bool:
    """Immigration Act § 41a: both must be 24 when the couple formed after the sponsor came."""
    return (
        relation in (FamilyRelation.SPOUSE, FamilyRelation.COHABITANT)
        and not relationship_before_arrival
    )


def sponsor_basis_refugee(basis: str, outcome: str | None) -> bool:
    return basis == SponsorBasis.PROTECTION and outcome in REFUGEE_OUTCOMES


def assess_family(reunification: Any, today: dt.date | None = None) -> None:
    """Recompute, on the record in memory, which income rule applies (and why), its windows,
    and whether the 24-year rule applies: at registration, when documents are handed in, and
    again when the application is examined and decided (the 12 months may have run out)."""
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


# --- Introduction programme (Integration Act §§ 8, 9, 13; ch. 6A for collective protection) --

PROGRAMME_MIN_AGE, PROGRAMME_MAX_AGE = 18, 55
PROGRAMME_MAX_MONTHS = 36  # up to 3 years ...
PROGRAMME_EXTENSION_MONTHS = 12  # ... extendable by up to 1 year with a reason
RESIDENCE_LIMIT_MONTHS = 24  # resident under 2 years when the municipality decides
FULL_TIME_HOURS = Decimal("37.5")
WORK_HOURS_MINIMUM = Decimal("15")  # ch. 6A: collective protection, from month 4
WORK_FROM_MONTH = 4
QUALIFYING_OUTCOMES = (
    Outcome.REFUGEE_CONVENTION,
    Outcome.REFUGEE_OTHER,
    Outcome.HUMANITARIAN,
    Outcome.COLLECTIVE,
)


def programme_unmet(
    *, person: Any, settled_on: dt.date, outcome: str | None, on: dt.date
) -> list[Unmet]:
    """Every reason a settled person has no right to the introduction programme.

    Integration Act § 8: aged 18–55 (on the day of settlement), with a qualifying permit
    (§ 9: refugee, humanitarian after asylum, resettlement, collective protection), and
    resident for less than 2 years when the municipality decides.
    """
    unmet = []
    age = age_on(person.date_of_birth, settled_on)
    if not PROGRAMME_MIN_AGE <= age <= PROGRAMME_MAX_AGE:
        unmet.append(
            Unmet(
                "age",
                _("Aged %(age)s at settlement: the programme is for ages 18 to 55.") % {"age": age},
            )
        )
    if outcome not in QUALIFYING_OUTCOMES:
        unmet.append(
            Unmet(
                "permit",
                _(
                    "No qualifying permit: the programme is for refugees, humanitarian permits "
                    "after asylum, resettlement refugees and collective protection."
                ),
            )
        )
    if on > add_months(settled_on, RESIDENCE_LIMIT_MONTHS):
        unmet.append(
            Unmet(
                "resident_too_long",
                _("Settled more than 2 years ago: the right to the programme has lapsed."),
            )
        )
    return unmet


def hours_warnings(
    *, start_on: dt.date, planned_end_on: dt.date, collective: bool, elements: list[Any]
) -> list[str]:
    """Where the plan falls short, as sentences; an empty list when it is fine.

    For collective-protection holders (Integration Act ch. 6A, IMDi "Arbeidsrettet
    introduksjonsprogram") at least 15 hours a week of work-oriented elements from the 4th
    month. Any plan beyond full time (37.5 h/week) is flagged too. Checked at every date
    the plan changes, so a gap between two placements is found.
    """
    from .choices import ProgrammeElementKind

    def active(day: dt.date) -> list[Any]:
        return [e for e in elements if e.start_on <= day and (e.end_on is None or day <= e.end_on)]

    work_from = add_months(start_on, WORK_FROM_MONTH - 1)
    changes = {start_on, work_from}
    for e in elements:
        changes.add(e.start_on)
        if e.end_on is not None:
            changes.add(e.end_on + dt.timedelta(days=1))
    days = sorted(d for d in changes if start_on <= d <= planned_end_on)
    warnings = []
    if collective:
        for day in (d for d in days if d >= work_from):
            work = sum(
                (
                    Decimal(e.hours_per_week)
                    for e in active(day)
                    if e.kind == ProgrammeElementKind.WORK
                ),
                Decimal(0),
            )
            if work < WORK_HOURS_MINIMUM:
                warnings.append(
                    str(
                        _(
                            "From %(day)s the plan has %(hours)s h/week of work-oriented "
                            "elements; collective-protection participants need at least 15 "
                            "from the 4th month."
                        )
                        % {"day": _fmt(day), "hours": f"{work.normalize():f}"}
                    )
                )
                break
    for day in days:
        total = sum((Decimal(e.hours_per_week) for e in active(day)), Decimal(0))
        if total > FULL_TIME_HOURS:
            warnings.append(
                str(
                    _("From %(day)s the plan has %(hours)s h/week, more than full time (37.5).")
                    % {"day": _fmt(day), "hours": f"{total.normalize():f}"}
                )
            )
            break
    return warnings
