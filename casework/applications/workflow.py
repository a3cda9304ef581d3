"""The lawful life of an asylum application, in one file.

States and transitions follow DESIGN.md ("The asylum application state machine"). Each
transition names who may make it (a callable permission asked with the case as object, so a
group grant alone never passes an object rule) and its guards. Methods are pure: they check
their input and change the object in memory; ``services.py`` locks, saves and logs.

Appeal deadlines (Immigration Act § 94 third paragraph, Public Administration Act § 29):
3 weeks from notification; 1 week when the claim was found manifestly unfounded (the fast
track); a request to stay during a Dublin appeal within 48 hours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import transition

from casework.applications.choices import (
    ACCEPT_OUTCOMES,
    REJECT_OUTCOMES,
    ApplicationKind,
    Outcome,
    State,
    Track,
)
from casework.core.exceptions import TransitionInvalid

APPEAL_PERIOD = dt.timedelta(weeks=3)
APPEAL_PERIOD_MANIFESTLY_UNFOUNDED = dt.timedelta(weeks=1)
DUBLIN_STAY_REQUEST_PERIOD = dt.timedelta(hours=48)


def appeal_deadline_for(
    *, track: str, notified_at: dt.datetime, manifestly_unfounded: bool = False
) -> dt.datetime:
    """When the appeal period ends for a rejection notified at ``notified_at``.

    Periods counted in weeks end at the end of the same weekday (Public Administration Act
    § 30): notified on a Monday, the 3 weeks run to the end of the Monday three weeks on.
    The Dublin 48 hours run from the moment of notification.
    """
    if track == Track.DUBLIN:
        return notified_at + DUBLIN_STAY_REQUEST_PERIOD
    period = (
        APPEAL_PERIOD_MANIFESTLY_UNFOUNDED
        if manifestly_unfounded or track == Track.FAST
        else APPEAL_PERIOD
    )
    local = timezone.localtime(notified_at)
    last_day = local.date() + period
    end = dt.datetime.combine(last_day, dt.time(23, 59, 59), tzinfo=local.tzinfo)
    return end


def may(perm: str) -> Callable[[Any, Any], bool]:
    """A transition permission asked with the record as object, so that a group grant alone
    never passes an object rule (deps.md §1.2). Other apps' workflows use it too."""

    def check(instance: Any, user: Any) -> bool:
        return bool(user is not None and user.has_perm(perm, instance))

    check.perm = perm  # type: ignore[attr-defined]
    return check


def guard(message: str) -> Callable[[Callable[[Any], bool]], Callable[[Any], bool]]:
    """Attach the sentence a user reads when this guard is unmet."""

    def wrap(func: Callable[[Any], bool]) -> Callable[[Any], bool]:
        func.refusal = message  # type: ignore[attr-defined]
        return func

    return wrap


@guard(_("A caseworker must be assigned before the examination starts."))
def has_assigned_caseworker(app: Any) -> bool:
    return app.assigned_to_id is not None


@guard(
    _(
        "The asylum interview must be held first, unless it is not required (collective "
        "protection) or waived with a recorded reason."
    )
)
def interview_requirement_met(app: Any) -> bool:
    return (
        app.kind == ApplicationKind.COLLECTIVE
        or app.interview_held_at is not None
        or bool(app.interview_waived_reason.strip())
    )


@guard(_("The appeals body has dismissed the appeal: the decision is final."))
def not_final(app: Any) -> bool:
    return not app.is_final


def require(text: str, field: str, label: Any) -> str:
    """The stripped text, or ``TransitionInvalid`` naming the missing field."""
    text = (text or "").strip()
    if not text:
        raise TransitionInvalid({field: _("%(label)s is required.") % {"label": label}})
    return text


class ApplicationWorkflow:
    """Transitions of ``casework.Application``; mixed into the model."""

    @transition(
        field="state",
        source=State.SUBMITTED,
        target=State.EXAMINED,
        conditions=[has_assigned_caseworker],
        permission=may("casework.start_examination"),
        custom={"label": _("Start examination"), "fields": (), "role": "caseworker"},
    )
    def start_examination(self) -> None:
        """The assigned caseworker opens the examination (interview and assessment)."""

    @transition(
        field="state",
        source=State.EXAMINED,
        target=State.ACCEPTED,
        conditions=[interview_requirement_met],
        permission=may("casework.decide_application"),
        custom={
            "label": _("Accept"),
            "fields": ("outcome", "grounds"),
            "outcomes": ACCEPT_OUTCOMES,
            "role": "decision-maker",
        },
    )
    def accept(self, *, outcome: str, grounds: str) -> None:
        """Grant protection or another permit at first instance (Immigration Act §§ 28, 38, 34)."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()

    @transition(
        field="state",
        source=State.EXAMINED,
        target=State.REJECTED,
        conditions=[interview_requirement_met],
        permission=may("casework.decide_application"),
        custom={
            "label": _("Reject"),
            "fields": ("outcome", "grounds", "manifestly_unfounded"),
            "outcomes": REJECT_OUTCOMES,
            "role": "decision-maker",
        },
    )
    def reject(
        self,
        *,
        outcome: str,
        grounds: str,
        notified_at: dt.datetime | None = None,
        manifestly_unfounded: bool = False,
    ) -> None:
        """Refuse at first instance; the appeal deadline runs from notification."""
        self._check_outcome(outcome, REJECT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        notified = notified_at or self.decided_at
        self.appeal_deadline = appeal_deadline_for(
            track=self.track, notified_at=notified, manifestly_unfounded=manifestly_unfounded
        )

    @transition(
        field="state",
        source=State.REJECTED,
        target=State.APPEALED,
        conditions=[not_final],
        permission=may("casework.lodge_appeal"),
        custom={
            "label": _("Lodge appeal"),
            "fields": ("lodged_by", "late_reason"),
            "role": "caseworker",
        },
    )
    def appeal(self, *, lodged_at: dt.datetime, late_reason: str = "") -> None:
        """Lodge the applicant's (or lawyer's) appeal, within the deadline unless admitted late."""
        if self.appeal_deadline and lodged_at > self.appeal_deadline and not late_reason.strip():
            deadline = timezone.localtime(self.appeal_deadline).strftime("%d.%m.%Y %H:%M")
            raise TransitionInvalid(
                {
                    "late_reason": _(
                        "The appeal deadline passed on %(deadline)s. A late appeal is admitted "
                        "only with a recorded reason."
                    )
                    % {"deadline": deadline}
                }
            )
        self.appealed_at = lodged_at

    @transition(
        field="state",
        source=State.APPEALED,
        target=State.ACCEPTED,
        permission=may("casework.decide_appeal"),
        custom={
            "label": _("Grant appeal"),
            "fields": ("outcome", "grounds"),
            "outcomes": ACCEPT_OUTCOMES,
            "role": "appeals body",
        },
    )
    def grant_appeal(self, *, outcome: str, grounds: str) -> None:
        """The appeals body (UNE) reverses the rejection."""
        self._check_outcome(outcome, ACCEPT_OUTCOMES)
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.appeal_deadline = None

    @transition(
        field="state",
        source=State.APPEALED,
        target=State.REJECTED,
        permission=may("casework.decide_appeal"),
        custom={"label": _("Dismiss appeal"), "fields": ("grounds",), "role": "appeals body"},
    )
    def dismiss_appeal(self, *, grounds: str) -> None:
        """The appeals body upholds the rejection. Final: no further administrative appeal."""
        require(grounds, "grounds", _("Grounds"))
        self.decided_at = timezone.now()
        self.appeal_deadline = None
        self.is_final = True

    @transition(
        field="state",
        source=State.APPEALED,
        target=State.EXAMINED,
        permission=may("casework.decide_appeal"),
        custom={
            "label": _("Remit for new examination"),
            "fields": ("reason",),
            "role": "appeals body",
        },
    )
    def remit(self, *, reason: str) -> None:
        """The appeals body sends the case back to first instance for a new examination."""
        require(reason, "reason", _("Reason"))
        self.appeal_deadline = None
        self.decided_at = None

    @transition(
        field="state",
        source=[State.SUBMITTED, State.EXAMINED],
        target=State.WITHDRAWN,
        permission=may("casework.withdraw_application"),
        custom={"label": _("Withdraw"), "fields": ("reason",), "role": "caseworker"},
    )
    def withdraw(self, *, reason: str) -> None:
        """The applicant withdraws, or the case is dismissed (e.g. the applicant left)."""
        require(reason, "reason", _("Reason"))
        self.decided_at = timezone.now()

    def _check_outcome(self, outcome: str, allowed: tuple[str, ...]) -> None:
        if outcome not in allowed:
            raise TransitionInvalid({"outcome": _("This outcome does not fit this decision.")})
        if allowed is ACCEPT_OUTCOMES and (outcome == Outcome.COLLECTIVE) != (
            self.kind == ApplicationKind.COLLECTIVE
        ):
            raise TransitionInvalid(
                {
                    "outcome": _(
                        "Collective protection is the outcome for, and only for, "
                        "collective-protection applications."
                    )
                }
            )


TRANSITION_NAMES = (
    "start_examination",
    "accept",
    "reject",
    "appeal",
    "grant_appeal",
    "dismiss_appeal",
    "remit",
    "withdraw",
)
