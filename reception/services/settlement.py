"""Settlement in a municipality (bosetting): the target date after a permit, and its record,
which closes the person's placement and the settlement deadline."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import State
from casework.audit.services import audit_log
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Application, Decision
from casework.staff.users import AnyUser, recorded_user
from reception import deadlines
from reception.choices import DischargeReason, PlacementEnd
from reception.exceptions import PlacementConflict, QuotaExhausted
from reception.models import (
    Municipality,
    MunicipalityQuota,
    Placement,
    Settlement,
)
from reception.services.placements import ADULT_AGE, close_placement, today


def permit_day(application: Application, decision: Decision | None = None) -> dt.date:
    """The day the permit was granted: notification of the positive decision, else the decision.

    ``decision`` is the case's latest decision when the caller has it (the transition that
    just recorded it); otherwise it is read.
    """
    if decision is None:
        decision = (
            Decision.objects.filter(application=application).order_by("-decided_at", "-id").first()
        )
    moment = None
    if decision is not None:
        moment = decision.notified_at or decision.decided_at
    moment = moment or application.decided_at or timezone.now()
    return timezone.localdate(moment)


def settlement_target_open(*, application: Application, decision: Decision | None = None) -> Any:
    """Open the settlement-target deadline for an accepted application (6 or 3 months), for
    the assigned caseworker (``deadline_set``'s default recipient)."""
    person = application.person
    granted = permit_day(application, decision)
    minor = person.unaccompanied_minor and person.age_on(granted) < ADULT_AGE
    return deadline_set(
        source=deadlines.SETTLEMENT_TARGET.key,
        object_id=application.pk,
        due_at=deadlines.settlement_target_due(granted, unaccompanied_minor=minor),
        application=application,
    )


def on_application_transitioned(
    sender: Any, application: Application, target: str, decision: Decision | None = None, **_: Any
) -> None:
    """Receiver of ``casework.applications.signals.application_transitioned`` (inside its
    transaction)."""
    if target == State.ACCEPTED:
        settlement_target_open(application=application, decision=decision)


def settlement_record(
    *,
    actor: AnyUser,
    application: Application,
    municipality: Municipality,
    settled_on: dt.date | None = None,
) -> Settlement:
    """Record that the person of an accepted application is settled in ``municipality``.

    IMDi assigns named people to municipalities within the places each council agreed to for
    the year (``MunicipalityQuota``); a settlement beyond the quota is refused. The open
    placement, if any, ends on the day of settlement, and the settlement target is closed.
    """
    settled_on = settled_on or today()
    if not actor.has_perm("reception.record_settlement", None):
        raise PermissionDenied(_("You may not record settlements."))
    with transaction.atomic():
        app = (
            Application.objects.select_for_update().select_related("person").get(pk=application.pk)
        )
        if app.state != State.ACCEPTED:
            raise PlacementConflict(
                _("Only a person whose application was accepted can be settled.")
            )
        if Settlement.objects.filter(application=app).exists():
            raise PlacementConflict(_("This person is already settled."))
        quota = (
            MunicipalityQuota.objects.select_for_update()
            .filter(municipality=municipality, year=settled_on.year)
            .first()
        )
        if quota is None:
            raise QuotaExhausted(
                _("%(m)s has not agreed to settle refugees in %(y)s.")
                % {"m": municipality.name, "y": settled_on.year}
            )
        used = Settlement.objects.filter(
            municipality=municipality, settled_on__year=settled_on.year
        ).count()
        if used >= quota.places:
            raise QuotaExhausted(
                _("%(m)s has settled all %(n)s people it agreed to for %(y)s.")
                % {"m": municipality.name, "n": quota.places, "y": settled_on.year}
            )
        settlement = Settlement.objects.create(
            person=app.person,
            municipality=municipality,
            settled_on=settled_on,
            application=app,
            recorded_by=recorded_user(actor),
        )
        open_placement = (
            Placement.objects.select_for_update()
            .filter(person=app.person, end__isnull=True)
            .first()
        )
        if open_placement is not None and open_placement.start <= settled_on:
            close_placement(
                open_placement,
                on=settled_on,
                ended_by=PlacementEnd.DISCHARGE,
                reason=DischargeReason.SETTLED,
            )
        deadline_close(source=deadlines.SETTLEMENT_TARGET.key, object_id=app.pk, application=app)
        audit_log(
            actor=actor,
            action="settled",
            application=app,
            changes={"municipality": municipality.number, "on": settled_on.isoformat()},
        )
    return settlement
