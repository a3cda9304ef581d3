"""The rows the asylum transitions write besides the case: decisions and appeals.

The declarations in ``workflow.py`` name them (``writes=``, ``effects=``); the generic
transition service (``casework.transitions.services``) builds the rows after the transition's
method ran and inserts them with the case's save (one statement on PostgreSQL), then applies
the effects. Models are looked up by name: ``workflow.py`` is imported by the models.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.utils import timezone

from casework.applications.choices import NotificationChannel
from casework.core.exceptions import TransitionInvalid
from casework.permits.services import permit_grant, permits_end_replaced
from casework.permits.terms import DECISION_TEXT, permit_terms
from casework.staff.users import AnyUser, recorded_user


def decision_permit(app: Any, values: dict[str, Any], decided_at: Any, outcome: str) -> Any:
    """The permit a decision of ``outcome`` gives (``casework.permits.terms``, the one home of
    the permit rules), from the decision's day, with the type and length the decision-maker
    chose; None: the outcome gives none. Raises ``TransitionInvalid`` for a choice outside
    the legal options."""
    return permit_terms(
        outcome=outcome,
        valid_from=timezone.localtime(decided_at).date(),
        permit_type=values.get("permit_type") or "",
        months=values.get("permit_months") or None,
        identity_unverified=bool(values.get("identity_unverified")),
        date_of_birth=app.person.date_of_birth,
    )


@dataclass(frozen=True)
class RecordsDecision:
    """The decision a transition makes: its instance, outcome, grounds, the permit it gives
    and when it was notified (the appeal period runs from notification, Public Administration
    Act § 29).

    ``outcome``: a fixed outcome (a dismissed appeal is a rejection, a withdrawal a
    withdrawal); empty: the ``outcome`` input. ``notified_now``: notified when made (the
    appeals body's final decision); otherwise not yet: its delivery is recorded afterwards
    (``RecordsNotification``).
    """

    instance: str
    outcome: str = ""
    notified_now: bool = False

    def build(self, app: Any, actor: AnyUser | None, values: dict[str, Any]) -> Any:
        outcome = self.outcome or values["outcome"]
        decided_at = app.decided_at or timezone.now()
        terms = decision_permit(app, values, decided_at, outcome)
        return apps.get_model("casework", "Decision")(
            application=app,
            instance=self.instance,
            outcome=outcome,
            grounds=values.get("grounds") or values.get("reason") or "",
            manifestly_unfounded=bool(values.get("manifestly_unfounded")),
            permit_type=DECISION_TEXT[terms.permit_type] if terms else "",
            permit_months=terms.whole_months if terms else None,
            decided_by=recorded_user(actor),
            decided_at=app.decided_at or timezone.now(),
            notified_at=(app.decided_at or timezone.now()) if self.notified_now else None,
            notification_channel=NotificationChannel.AT_DECISION if self.notified_now else "",
        )

    def audit(self, decision: Any) -> dict[str, Any]:
        notified = {"notified_at": decision.notified_at} if decision.notified_at else {}
        return {"outcome": decision.outcome, **notified}


@dataclass(frozen=True)
class EndsEarlierPermits:
    """The decision just made replaces the case's earlier decision: the permits that decision
    gave and that still run end on this decision's day, through the permits' service
    (``permits_end_replaced``). Declared before ``GrantsPermit``, so the new decision's own
    permit is granted after.

    ``after_appeal_only``: a first-instance decision replaces an earlier one only when the
    case came back to first instance (remitted by the appeals board after an appeal); on a
    case never appealed there is none, and nothing is read for it."""

    after_appeal_only: bool = False

    def apply(
        self, app: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        if self.after_appeal_only and app.appealed_at is None:
            return
        decided_at = app.decided_at or timezone.now()
        permits_end_replaced(
            actor=actor,
            application=app,
            ended_on=timezone.localtime(decided_at).date(),
            reason=values.get("grounds") or values.get("reason") or "",
        )


@dataclass(frozen=True)
class GrantsPermit:
    """The residence permit the decision just made gives, recorded through the permits'
    service (``permit_grant``) with its expiry deadline; nothing for an outcome that gives
    none (a rejection on the merits). The decision is the one the transition's
    ``RecordsDecision`` wrote with the case (``written``): its key is known, nothing is read
    back."""

    def apply(
        self, app: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        Decision = apps.get_model("casework", "Decision")
        decision = next((row for row in written if isinstance(row, Decision)), None)
        if decision is None:
            raise TypeError("GrantsPermit needs a transition that writes its decision.")
        if not decision.permit_type:
            return  # the outcome gives no permit (a rejection on the merits)
        terms = decision_permit(app, values, decision.decided_at, decision.outcome)
        if terms is None:  # pragma: no cover - the decision's permit type says there is one
            return
        permit_grant(
            actor=actor,
            person=app.person,
            terms=terms,
            application=app,
            decision=decision,
            group=values.get("permit_group") or "",
        )


def permit_rules(app: Any, values: dict[str, Any]) -> dict[str, Any]:
    """The permit the decision-maker chose is within the legal options (``permits.terms``):
    refused with the rule's sentence before anything is written."""
    outcome = values.get("outcome") or ""
    if app is None or not outcome:
        return {}
    try:
        decision_permit(app, values, timezone.now(), outcome)
    except TransitionInvalid as exc:
        return {name: messages[0] for name, messages in exc.message_dict.items()}
    return {}


@dataclass(frozen=True)
class RecordsAppeal:
    """The appeal lodged by the applicant or their lawyer, in time or admitted late.

    The reason to admit a late appeal is kept only on a late appeal: one lodged in time
    needs none, and a reason typed anyway must not make it read as admitted late."""

    def build(self, app: Any, actor: AnyUser | None, values: dict[str, Any]) -> Any:
        from casework.applications.workflow import appeal_is_late

        late = appeal_is_late(app, values["lodged_at"])
        lawyer = _lodging_lawyer(app, actor)
        lodged_by = values["lodged_by"]
        if lawyer is not None and lodged_by in ("", _the_applicant()):
            lodged_by = str(lawyer)[:120]
        return apps.get_model("casework", "Appeal")(
            application=app,
            lodged_at=values["lodged_at"],
            lodged_by=lodged_by,
            lawyer=lawyer,
            late_reason=(values.get("late_reason") or "") if late else "",
        )

    def audit(self, appeal: Any) -> dict[str, Any]:
        """Who lodged it, as recorded on the appeal: the lawyer from the register when they
        lodged it themselves (the timeline then says so, not "the applicant")."""
        if appeal.lawyer is None:
            return {}
        return {"lodged_by": appeal.lodged_by, "lawyer": appeal.lawyer.pk}


def _the_applicant() -> str:
    from django.utils.translation import gettext

    return gettext("the applicant")


def _lodging_lawyer(app: Any, actor: AnyUser | None) -> Any:
    """The case's current lawyer (from the register) when they lodge the appeal themselves,
    signed in; None when staff lodge it (they name who lodged it in ``lodged_by``)."""
    if actor is None or not getattr(actor, "pk", None):
        return None
    appointment = apps.get_model("casework", "Appointment")
    current = (
        appointment.objects.filter(application_id=app.pk, ends_on=None, lawyer__user_id=actor.pk)
        .select_related("lawyer")
        .first()
    )
    return current.lawyer if current is not None else None


@dataclass(frozen=True)
class RecordsNotification:
    """The delivery of the case's current decision (``record_notification``): when it reached
    the applicant or their lawyer, by which channel, confirmed by the channel's receipt or by
    the person named, and which staff user recorded it."""

    def apply(
        self, app: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        decision = getattr(app, "current_decision", None)
        if decision is None:  # pragma: no cover - the guard needs a decided case
            return
        decision.notified_at = values["notified_at"]
        decision.notification_channel = values["channel"]
        decision.notification_receipt = values.get("receipt") or ""
        decision.notification_confirmed_by = values.get("confirmed_by") or ""
        decision.notification_recorded_by = recorded_user(actor)
        decision.notification_lawyer = _appointed_lawyer(app, values["channel"])
        decision.save(
            update_fields=[
                "notified_at",
                "notification_channel",
                "notification_receipt",
                "notification_confirmed_by",
                "notification_recorded_by",
                "notification_lawyer",
            ]
        )


def _appointed_lawyer(app: Any, channel: str) -> Any:
    """The recipient of a delivery by the lawyer channel: the lawyer of the case's current
    appointment (None for another channel, or a lawyer outside the register)."""
    from casework.applications.choices import NotificationChannel

    if channel != NotificationChannel.LAWYER:
        return None
    appointment = apps.get_model("casework", "Appointment")
    current = (
        appointment.objects.filter(application_id=app.pk, ends_on=None)
        .select_related("lawyer")
        .first()
    )
    return current.lawyer if current is not None else None


@dataclass(frozen=True)
class DecidesAppeal:
    """The appeals body's outcome on the open appeal (granted, dismissed, remitted)."""

    outcome: str

    def apply(
        self, app: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        appeal = app.appeals.filter(outcome="").order_by("-lodged_at").first()
        if appeal is not None:
            appeal.outcome = self.outcome
            appeal.decided_at = timezone.now()
            appeal.save(update_fields=["outcome", "decided_at"])
