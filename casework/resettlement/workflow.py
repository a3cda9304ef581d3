"""The life of a UNHCR referral, in one file: every transition declared once.

referred -> selected (a place of the year's quota taken) -> arrived (the resettlement case
opened, lodged on the day of arrival); referred -> not_selected; referred or selected ->
withdrawn (UNHCR withdrew the referral or the refugee declined; a selected one gives its
place back). A referral is registered (referred) by ``services.referral_register``.

Immigration Act § 35 (overføringsflyktninger): refugees who come to Norway as part of a
collective transfer, within the number the Storting sets each year in the budget, are
resettlement refugees; the Directorate of Immigration (UDI) selects them among UNHCR's
referrals, at a selection mission or on the dossier. Who: the Directorate's decision-makers
select (``casework.decide_referral``); caseworkers and decision-makers register referrals and
record a withdrawal (``casework.manage_referral``); the police and the caseworkers record the
arrival (``casework.record_referral_arrival``).
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.resettlement.choices import ReferralState
from casework.resettlement.records import OpensCase, ReleasesPlace, TakesPlace
from casework.transitions.declaration import (
    DATE,
    INTEGER,
    LONG_TEXT,
    REASON,
    Input,
    declarations,
    require,
    transition,
)

if TYPE_CHECKING:
    from casework.staff.users import AnyUser

DECIDE = "casework.decide_referral"
MANAGE = "casework.manage_referral"
ARRIVAL = "casework.record_referral_arrival"


def _this_year() -> int:
    return timezone.localdate().year


QUOTA_YEAR = Input(
    "quota_year",
    INTEGER,
    _("Quota year"),
    required=True,
    default=_this_year,
    min_value=2000,
    max_value=2100,
    help_text=_("The year whose quota the place is taken from."),
)
GROUNDS = Input(
    "reason",
    LONG_TEXT,
    _("Grounds"),
    max_length=2000,
    default="",
    help_text=_("What the selection rests on (the mission's interview, the dossier)."),
    audit=REASON,
)
NOT_SELECTED_REASON = GROUNDS.but(required=True, help_text=_("Why the refugee was not selected."))
WITHDRAW_REASON = GROUNDS.but(
    required=True,
    help_text=_("Why the referral ends (UNHCR withdrew it, the refugee declined)."),
)
ARRIVED_ON = Input(
    "arrived_on",
    DATE,
    _("Arrived on"),
    required=True,
    default=timezone.localdate,
    help_text=_("The day the refugee arrived in Norway: the case is lodged that day."),
)


def _arrival_date_valid(referral: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The arrival is not in the future nor before the referral."""
    day = values.get("arrived_on")
    if not isinstance(day, dt.date):
        return {}
    if day > timezone.localdate():
        return {"arrived_on": _("The arrival date cannot be in the future.")}
    if referral is not None and day < referral.referral_date:
        return {"arrived_on": _("The arrival date cannot be before the referral.")}
    return {}


class ReferralWorkflow:
    """Transitions of ``ResettlementReferral``; mixed into the model."""

    if TYPE_CHECKING:  # the model's fields the transitions read and write
        quota_year: int | None
        decided_at: dt.datetime | None
        decision_reason: str
        arrived_on: dt.date | None
        referral_date: dt.date
        decided_by: AnyUser | None

    @transition(
        source=ReferralState.REFERRED,
        target=ReferralState.SELECTED,
        label=_("Select for resettlement"),
        done=_("Selected for resettlement"),
        permission=DECIDE,
        inputs=[QUOTA_YEAR, GROUNDS],
        effects=[TakesPlace()],
        audited_fields=("quota_year",),
        actor_field="decided_by",
        role="decision-maker",
    )
    def select(self, *, quota_year: int, reason: str = "") -> None:
        """Immigration Act § 35: the refugee is selected within the year's quota. The place is
        taken in the same transaction (``TakesPlace``), or the selection is refused."""
        self.quota_year = int(quota_year)
        self.decided_at = timezone.now()
        self.decision_reason = reason

    @transition(
        source=ReferralState.REFERRED,
        target=ReferralState.NOT_SELECTED,
        label=_("Do not select"),
        done=_("Not selected"),
        permission=DECIDE,
        inputs=[NOT_SELECTED_REASON],
        actor_field="decided_by",
        role="decision-maker",
    )
    def not_select(self, *, reason: str) -> None:
        """The Directorate does not select the refugee: no place is taken, the grounds are
        kept (UNHCR may refer the refugee to another state)."""
        self.decision_reason = require(reason, "reason", _("Grounds"))
        self.decided_at = timezone.now()

    @transition(
        source=ReferralState.SELECTED,
        target=ReferralState.ARRIVED,
        label=_("Record arrival"),
        done=_("Arrived in Norway"),
        permission=ARRIVAL,
        inputs=[ARRIVED_ON],
        validators=[_arrival_date_valid],
        effects=[OpensCase()],
        audited_fields=("arrived_on",),
        role="caseworker, decision-maker, police registration",
    )
    def record_arrival(self, *, arrived_on: dt.date) -> None:
        """The selected refugee arrived: the resettlement case is opened (``OpensCase``),
        lodged on the day of arrival, and the place stays counted in its quota year."""
        self.arrived_on = arrived_on

    @transition(
        source=[ReferralState.REFERRED, ReferralState.SELECTED],
        target=ReferralState.WITHDRAWN,
        label=_("Withdraw referral"),
        done=_("Referral withdrawn"),
        permission=MANAGE,
        inputs=[WITHDRAW_REASON],
        effects=[ReleasesPlace()],
        role="caseworker, decision-maker",
    )
    def withdraw(self, *, reason: str) -> None:
        """UNHCR withdrew the referral, or the refugee declined: a selected refugee's place goes
        back to the quota (``ReleasesPlace``)."""
        self.decision_reason = require(reason, "reason", _("Grounds"))


TRANSITIONS = declarations(ReferralWorkflow)
