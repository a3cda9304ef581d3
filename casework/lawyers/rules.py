"""When the state pays a lawyer for the applicant (fritt rettsråd), as guards an appointment
must pass (Immigration Regulations § 17-18):

- **after a rejection**: a free lawyer without means testing when the Directorate rejects the
  application (the lawyer delivers the decision and writes the appeal);
- **before the decision** for an **unaccompanied minor**, and for an applicant whose
  **exclusion** from refugee status is considered (Immigration Act § 31);
- **never free** when the application was refused examination under Immigration Act § 32 first
  paragraph (a) or (d), protection or a safe stay in another country: recorded here as the
  first-instance outcome "safe third country". A Dublin refusal (§ 32 first paragraph (b)) is
  not among them.

A lawyer the applicant chooses and pays (``chosen``) is not free legal aid: no guard but an
open case. Pure functions of the case as loaded: the service calls them under the case's lock.
"""

from __future__ import annotations

from typing import Any

import rules
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import REJECT_OUTCOMES, Instance, Outcome, State
from casework.applications.rules import (
    in_users_unit,
    is_caseworker,
    is_decision_maker,
    is_registrar,
)
from casework.lawyers.choices import FREE_REASONS, AppointmentReason

# Outcomes that record a refusal to examine under Immigration Act § 32 first paragraph (a)
# (protection in another country) or (d) (a safe stay in another country).
NO_FREE_LAWYER_OUTCOMES = (Outcome.SAFE_THIRD_COUNTRY,)
BEFORE_DECISION = (State.SUBMITTED, State.EXAMINED)
AFTER_REJECTION = (State.REJECTED, State.UNDER_REVIEW, State.APPEALED)


def first_instance_outcome(application: Any) -> str | None:
    """The outcome of the newest first-instance decision on the case, or None."""
    decision = (
        application.decisions.filter(instance=Instance.FIRST).order_by("-decided_at", "-pk").first()
    )
    return decision.outcome if decision is not None else None


def appointment_refusal(*, application: Any, reason: str, basis: str = "") -> str | None:
    """The sentence a user reads when ``reason`` does not allow an appointment on the case now,
    or None when it does."""
    if application.state in (State.ACCEPTED, State.WITHDRAWN) or application.is_final:
        return str(_("The case is closed: no lawyer can be appointed on it."))
    if reason not in AppointmentReason.values:
        return str(_("Choose why the lawyer is appointed."))
    if reason == AppointmentReason.CHOSEN:
        return None
    outcome = first_instance_outcome(application)
    if outcome in NO_FREE_LAWYER_OUTCOMES:
        return str(
            _(
                "No free lawyer when the application was refused examination under the "
                "Immigration Act § 32 first paragraph (a) or (d)."
            )
        )
    if reason == AppointmentReason.AFTER_REJECTION:
        if application.state not in AFTER_REJECTION or outcome not in REJECT_OUTCOMES:
            return str(_("A free lawyer after rejection needs a rejection by the Directorate."))
        return None
    if application.state not in BEFORE_DECISION:
        return str(
            _(
                "A free lawyer for an unaccompanied minor or a possible exclusion is appointed "
                "before the decision."
            )
        )
    if (
        reason == AppointmentReason.UNACCOMPANIED_MINOR
        and not application.person.unaccompanied_minor
    ):
        return str(_("The applicant is not recorded as an unaccompanied minor."))
    if reason == AppointmentReason.EXCLUSION and not basis.strip():
        return str(_("Say which exclusion ground (Immigration Act § 31) is considered."))
    return None


def is_free(reason: str) -> bool:
    """Whether the state pays (fritt rettsråd): every reason but the applicant's own choice."""
    return reason in FREE_REASONS


# Who may appoint, change and end a case's lawyer, and record a minor's representative: the
# unit's caseworkers and decision-makers (object rules, asked with the case).
rules.add_perm("casework.appoint_lawyer", (is_caseworker | is_decision_maker) & in_users_unit)
rules.add_perm(
    "casework.record_representative",
    ((is_caseworker | is_decision_maker) & in_users_unit) | is_registrar,
)
