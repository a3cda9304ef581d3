"""How long a residence permit runs, and when its holder may apply for permanent residence.

One home for the rules the decision-maker chooses within (``permit_terms``); the decision
transitions (``casework.applications.workflow``), the migration of the decisions made before
permits were records, and the family-reunification grants of the integration app all ask
here. The rules, with their sources:

- **Which type.** The outcome decides it: a refugee outcome (Immigration Act § 28 (1) (a) or
  (b)) gives a refugee permit, humanitarian grounds (§ 38) a humanitarian permit, collective
  protection (§ 34) a collective-protection permit, and an unaccompanied minor refused
  protection a limited permit until 18 (Immigration Regulations § 8-8). A family
  reunification gives a family permit. Any other outcome gives no permit.
- **How long** (Immigration Regulations § 10-13): a permit after an asylum application
  normally runs **3 years** (the default, and the longest first permit given here); it may
  run **1 year or less** where the identity needs further checks or other special reasons
  require it, so with ``identity_unverified`` the longest is 12 months and the default 12.
  Collective protection runs **1 year at a time** (§ 34; extended for the group by
  ``services.renewal_run_start``). A minor's limited permit runs **until the day before the
  18th birthday** (§ 8-8), never chosen in months; with the identity to check, 12 months if
  that is sooner. A family-reunification permit defaults to 12 months, at most 36 [U: the
  first family permit's usual length is not verified in the reference notes].
- **Permanent residence** (Immigration Act § 62): generally after **3 years** of continuous
  residence on permits that can form its basis, counted here from the permit's first day.
  Collective protection does not form a basis (§ 34, the reference's § 1.11), nor does a
  limited permit (§ 38 fifth paragraph, § 8-8): for them there is no date. Whether time as
  an asylum seeker before the decision counts, and the other conditions of § 62 (identity
  clarified, tests in Norwegian and social studies, income, time abroad), are not checked
  here [U]: the date is the earliest the 3-year rule allows, not a promise.

A permit runs from the day of the decision that gives it; "12 months from 1 March 2026"
ends on 28 February 2027 (the day before the same date a year on).
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from casework.core.exceptions import TransitionInvalid
from casework.permits.choices import PermitType

# Immigration Regulations § 10-13: normally 3 years; 1 year or less where identity needs checks.
NORMAL_MONTHS = 36
IDENTITY_CHECK_MONTHS = 12
# Immigration Act § 34: collective protection is given and extended one year at a time.
COLLECTIVE_MONTHS = 12
FAMILY_DEFAULT_MONTHS = 12  # [U] see the module's docstring
# Immigration Act § 62: permanent residence generally after 3 years.
PERMANENT_RESIDENCE_AFTER_MONTHS = 36
ADULT_AGE_MONTHS = 18 * 12

# The outcomes of ``casework.applications.choices.Outcome`` (by value: the permits sit below
# the applications) and the permit types each allows, the default first.
TYPES_BY_OUTCOME: dict[str, tuple[str, ...]] = {
    "refugee_convention": (PermitType.REFUGEE,),
    "refugee_other": (PermitType.REFUGEE,),
    "humanitarian": (PermitType.HUMANITARIAN,),
    "collective": (PermitType.COLLECTIVE,),
    "minor_limited": (PermitType.MINOR_LIMITED,),
}
FAMILY_OUTCOME = "family"

# The text the decision keeps as its permit type (letters and the API read it).
DECISION_TEXT: dict[str, str] = {
    PermitType.REFUGEE: "residence permit, refugee",
    PermitType.HUMANITARIAN: "residence permit, humanitarian grounds",
    PermitType.COLLECTIVE: "residence permit, collective protection",
    PermitType.MINOR_LIMITED: "limited residence permit until 18",
    PermitType.FAMILY: "residence permit, family reunification",
}
TYPE_BY_DECISION_TEXT: dict[str, str] = {text: code for code, text in DECISION_TEXT.items()}


@dataclass(frozen=True)
class PermitTerms:
    """The permit a decision gives: its type, first and last valid day, its length in months
    (None for a minor's permit until 18), whether the identity is still to be checked, and
    the earliest day permanent residence may be applied for (None: the type gives none)."""

    permit_type: str
    valid_from: dt.date
    valid_until: dt.date
    months: int | None
    identity_unverified: bool
    permanent_residence_from: dt.date | None

    @property
    def whole_months(self) -> int:
        """Its length in whole months (a minor's permit until 18 too), for the decision."""
        end = self.valid_until + dt.timedelta(days=1)
        return (end.year - self.valid_from.year) * 12 + end.month - self.valid_from.month


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later; the month's last day when it has no such day."""
    index = day.month - 1 + months
    year, month = day.year + index // 12, index % 12 + 1
    return dt.date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def until_after(valid_from: dt.date, months: int) -> dt.date:
    """The last valid day of a permit of ``months`` from ``valid_from``: the day before the
    same date ``months`` on, or the month's last day where it has no such date (from
    31 January, one month ends on 28 February)."""
    same_date = add_months(valid_from, months)
    if same_date.day < valid_from.day:
        return same_date
    return same_date - dt.timedelta(days=1)


def eighteenth_birthday(date_of_birth: dt.date) -> dt.date:
    """The day the person turns 18 (born on 29 February: 28 February of that year)."""
    return add_months(date_of_birth, ADULT_AGE_MONTHS)


def permit_types_for(outcome: str) -> tuple[str, ...]:
    """The permit types a decision of ``outcome`` may give, the default first; none: no
    permit (a rejection on the merits, Dublin, withdrawal…)."""
    if outcome == FAMILY_OUTCOME:
        return (PermitType.FAMILY,)
    return TYPES_BY_OUTCOME.get(str(outcome), ())


def longest_months(permit_type: str, *, identity_unverified: bool) -> int:
    """The longest permit of ``permit_type`` that may be given (Regulations § 10-13, § 34)."""
    if permit_type == PermitType.COLLECTIVE:
        return COLLECTIVE_MONTHS
    return IDENTITY_CHECK_MONTHS if identity_unverified else NORMAL_MONTHS


def default_months(permit_type: str, *, identity_unverified: bool) -> int:
    if permit_type == PermitType.FAMILY:
        return FAMILY_DEFAULT_MONTHS
    return longest_months(permit_type, identity_unverified=identity_unverified)


def permanent_residence_from(permit_type: str, valid_from: dt.date) -> dt.date | None:
    """The earliest day permanent residence may be applied for (Immigration Act § 62), or
    None where the type forms no basis for it (collective protection, limited permits)."""
    if permit_type in (PermitType.COLLECTIVE, PermitType.MINOR_LIMITED):
        return None
    return add_months(valid_from, PERMANENT_RESIDENCE_AFTER_MONTHS)


def default_decision_permit(outcome: str) -> tuple[str, int | None]:
    """The decision's permit text and length in months with every choice left to its default
    (the bulk demo's decisions); a minor's permit until 18 has no fixed length: None."""
    options = permit_types_for(outcome)
    if not options:
        return "", None
    if options[0] == PermitType.MINOR_LIMITED:
        return DECISION_TEXT[options[0]], None
    return DECISION_TEXT[options[0]], default_months(options[0], identity_unverified=False)


def _type_label(permit_type: str) -> str:
    return str(PermitType(permit_type).label)


def permit_terms(
    *,
    outcome: str,
    valid_from: dt.date,
    permit_type: str = "",
    months: int | None = None,
    identity_unverified: bool = False,
    date_of_birth: dt.date | None = None,
) -> PermitTerms | None:
    """The permit a decision of ``outcome`` gives from ``valid_from``, with the type and
    length the decision-maker chose (empty: the defaults), or None for an outcome that gives
    no permit. A choice outside the legal options raises ``TransitionInvalid`` naming the
    input and the rule."""
    options = permit_types_for(outcome)
    if not options:
        if permit_type or months:
            raise TransitionInvalid(
                {"permit_type": _("This decision gives no residence permit: leave it empty.")}
            )
        return None
    chosen = permit_type or options[0]
    if chosen not in options:
        raise TransitionInvalid(
            {
                "permit_type": _("This outcome gives a permit of this type only: %(types)s.")
                % {"types": ", ".join(_type_label(t) for t in options)}
            }
        )
    if chosen == PermitType.MINOR_LIMITED:
        until = _minor_until(valid_from, date_of_birth, months)
        if identity_unverified:
            until = min(until, until_after(valid_from, IDENTITY_CHECK_MONTHS))
        length: int | None = None
    else:
        length = months or default_months(chosen, identity_unverified=identity_unverified)
        longest = longest_months(chosen, identity_unverified=identity_unverified)
        if not 1 <= length <= longest:
            raise TransitionInvalid({"permit_months": _length_refusal(chosen, identity_unverified)})
        until = until_after(valid_from, length)
    return PermitTerms(
        permit_type=chosen,
        valid_from=valid_from,
        valid_until=until,
        months=length,
        identity_unverified=identity_unverified,
        permanent_residence_from=permanent_residence_from(chosen, valid_from),
    )


def _minor_until(valid_from: dt.date, date_of_birth: dt.date | None, months: int | None) -> dt.date:
    if months:
        raise TransitionInvalid(
            {
                "permit_months": _(
                    "A minor's limited permit runs until the day before the 18th birthday "
                    "(Immigration Regulations § 8-8): leave the length empty."
                )
            }
        )
    if date_of_birth is None:  # pragma: no cover - every person has a date of birth
        raise TransitionInvalid({"permit_type": _("The date of birth is needed.")})
    turns_18 = eighteenth_birthday(date_of_birth)
    if turns_18 <= valid_from:
        raise TransitionInvalid(
            {
                "permit_type": _(
                    "The applicant is 18 or older (since %(day)s): a limited permit until 18 "
                    "cannot be given."
                )
                % {"day": turns_18.isoformat()}
            }
        )
    return turns_18 - dt.timedelta(days=1)


def _length_refusal(permit_type: str, identity_unverified: bool) -> Any:
    if permit_type == PermitType.COLLECTIVE:
        return _(
            "A collective-protection permit is given for 1 to 12 months at a time "
            "(Immigration Act § 34)."
        )
    if identity_unverified:
        return _(
            "While the identity needs further checks, a permit runs 1 to 12 months "
            "(Immigration Regulations § 10-13)."
        )
    return _(
        "A first permit runs 1 to 36 months; 3 years is the normal length "
        "(Immigration Regulations § 10-13)."
    )
