"""The only writers of reception data: placements, transfers, discharges, settlement.

Each service runs in one transaction: lock (the centre row first, so that two placements into
one centre queue up behind each other and the second counts the first), check the user's
object permission, check the rules, write, audit (``casework.services.audit_log``), and move
the deadlines (``casework.deadlines.registry``).

A centre never exceeds its capacity: the bed count is taken under a row lock on the centre
(``SELECT … FOR UPDATE``), so concurrent placements are serialised per centre. A person never
has two open placements: a partial unique index (``one_open_placement``) backs the check.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import State
from casework.audit.services import apply_changes, audit_log
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Application, Decision, Person
from casework.staff.users import AnyUser, recorded_user

from . import deadlines
from .choices import CentreKind, DischargeReason, PlacementEnd
from .exceptions import CentreFull, PlacementConflict, PlacementInvalid, QuotaExhausted
from .models import (
    CentreStaff,
    Municipality,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
    Settlement,
)

log = logging.getLogger(__name__)

ADULT_AGE = 18
CHILD_WELFARE_AGE = 15  # under 15: Bufetat's care centres, not UDI's reception centres


def _today() -> dt.date:
    return timezone.localdate()


def _lock_centres(*centres: ReceptionCentre) -> dict[int, ReceptionCentre]:
    """Lock centre rows in id order (two transfers in opposite directions cannot deadlock)."""
    ids = sorted({c.pk for c in centres})
    locked = ReceptionCentre.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {c.pk: c for c in locked}


def beds_taken(*, centre: ReceptionCentre, on: dt.date) -> int:
    """Placements that hold a bed on ``on`` or at any later date.

    Counting every placement not ended by ``on`` (rather than those present on ``on`` only)
    keeps a back-dated or future-dated placement from overbooking a later day; for today's
    placements, the usual case, the two counts are the same.
    """
    return (
        Placement.objects.filter(centre=centre).filter(Q(end__isnull=True) | Q(end__gt=on)).count()
    )


def check_placement_rules(*, person: Person, centre: ReceptionCentre, on: dt.date) -> None:
    """Who may live where (UDI's centre types; Bufetat for unaccompanied children under 15).

    - Unaccompanied minors under 15 are cared for by child welfare (Bufetat care centres), not
      placed in reception centres.
    - Unaccompanied minors aged 15-17 live in centres for unaccompanied minors, or pass through
      the arrival centre.
    - Adults are not placed in centres for unaccompanied minors.
    - Children under 15 who came with their family live with them in the family's centre, but
      never in a centre for unaccompanied minors.
    """
    if centre.opened_on > on or (centre.closed_on is not None and centre.closed_on <= on):
        raise PlacementInvalid({"centre": _("This centre is not open on that date.")})
    age = person.age_on(on)
    if person.unaccompanied_minor and age < CHILD_WELFARE_AGE:
        raise PlacementInvalid(
            {
                "person": _(
                    "Unaccompanied minors under 15 are cared for by child welfare (Bufetat), "
                    "not placed in reception centres."
                )
            }
        )
    if age < CHILD_WELFARE_AGE and centre.kind == CentreKind.MINORS:
        raise PlacementInvalid(
            {"centre": _("Children under 15 are not placed in centres for minors aged 15-18.")}
        )
    if (
        person.unaccompanied_minor
        and age < ADULT_AGE
        and centre.kind not in (CentreKind.MINORS, CentreKind.ARRIVAL)
    ):
        raise PlacementInvalid(
            {
                "centre": _(
                    "Unaccompanied minors aged 15-18 are placed in a centre for unaccompanied "
                    "minors, not in an adult centre."
                )
            }
        )
    if age >= ADULT_AGE and centre.kind == CentreKind.MINORS:
        raise PlacementInvalid(
            {"centre": _("Adults are not placed in a centre for unaccompanied minors.")}
        )


def _check_capacity(centre: ReceptionCentre, on: dt.date) -> None:
    if beds_taken(centre=centre, on=on) >= centre.capacity:
        raise CentreFull(
            _("%(centre)s is full: all %(capacity)s beds are taken.")
            % {"centre": centre.name, "capacity": centre.capacity}
        )


def _check_no_overlap(person: Person, start: dt.date, exclude: Placement | None = None) -> None:
    placements = Placement.objects.filter(person=person)
    if exclude is not None:
        placements = placements.exclude(pk=exclude.pk)
    current = placements.filter(end__isnull=True).select_related("centre").first()
    if current is not None:
        raise PlacementConflict(
            _("This person is already placed at %(centre)s. Transfer them instead.")
            % {"centre": current.centre.name}
        )
    if placements.filter(end__gt=start).exists():
        raise PlacementConflict(
            _("This person was placed elsewhere on that date; placements cannot overlap.")
        )


def _create(
    *,
    actor: AnyUser,
    person: Person,
    centre: ReceptionCentre,
    start: dt.date,
    transferred_from: Placement | None = None,
    reason: str = "",
) -> Placement:
    placement = Placement(
        person=person,
        centre=centre,
        start=start,
        transferred_from=transferred_from,
        transfer_reason=reason,
        created_by=recorded_user(actor),
    )
    try:
        with transaction.atomic():
            placement.save()
    except IntegrityError as exc:  # another request placed the person a moment ago
        raise PlacementConflict(
            _("This person already has an open placement. Reload and try again.")
        ) from exc
    if centre.kind == CentreKind.ARRIVAL:
        deadline_set(
            source=deadlines.ARRIVAL_STAY.key,
            object_id=placement.pk,
            due_at=deadlines.arrival_stay_due(start),
            person=person,
            recipient_user=placement.created_by,
        )
    return placement


def _close(placement: Placement, *, on: dt.date, ended_by: str, reason: str = "") -> None:
    placement.end = on
    placement.ended_by = ended_by
    placement.discharge_reason = reason
    placement.save(update_fields=["end", "ended_by", "discharge_reason"])
    deadline_close(source=deadlines.ARRIVAL_STAY.key, object_id=placement.pk)


def placement_create(
    *, actor: AnyUser, person: Person, centre: ReceptionCentre, start: dt.date | None = None
) -> Placement:
    """Place a person in a centre from ``start`` (today by default).

    Refused (nothing written) when the user does not work for the centre (PermissionDenied),
    the centre is wrong for the person (PlacementInvalid), the person is already placed
    (PlacementConflict) or every bed is taken (CentreFull).
    """
    start = start or _today()
    with transaction.atomic():
        centre = _lock_centres(centre)[centre.pk]
        if not actor.has_perm("reception.place_person", centre):
            raise PermissionDenied(_("You may not place people in this centre."))
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.merged_into_id is not None:
            raise PlacementInvalid(
                {"person": _("This record was merged into another one; place that person.")}
            )
        check_placement_rules(person=person, centre=centre, on=start)
        _check_no_overlap(person, start)
        _check_capacity(centre, start)
        placement = _create(actor=actor, person=person, centre=centre, start=start)
        audit_log(
            actor=actor,
            action="placement_created",
            person=person,
            changes={"centre": centre.pk, "start": start.isoformat()},
        )
    return placement


def placement_transfer(
    *,
    actor: AnyUser,
    placement: Placement,
    to_centre: ReceptionCentre,
    reason: str,
    on: dt.date | None = None,
) -> Placement:
    """Move a resident to another centre: the previous placement ends the day the new one starts.

    Moving needs compelling reasons (family nearby, medical treatment, work or education, …;
    udi.no "Moving between reception centres"), so a reason is required and recorded.
    """
    on = on or _today()
    reason = (reason or "").strip()
    if not reason:
        raise PlacementInvalid({"reason": _("A transfer needs a reason.")})
    with transaction.atomic():
        locked = _lock_centres(placement.centre, to_centre)
        to_centre = locked[to_centre.pk]
        current = Placement.objects.select_for_update().get(pk=placement.pk)
        source = locked[current.centre_id]
        if not actor.has_perm("reception.move_resident", source):
            raise PermissionDenied(_("You may not move residents of this centre."))
        if current.end is not None:
            raise PlacementConflict(_("This placement has already ended."))
        if to_centre.pk == source.pk:
            raise PlacementInvalid({"to_centre": _("The person already lives in this centre.")})
        if on < current.start:
            raise PlacementInvalid({"on": _("A transfer cannot be dated before the placement.")})
        person = Person.objects.select_for_update().get(pk=current.person_id)
        check_placement_rules(person=person, centre=to_centre, on=on)
        _check_capacity(to_centre, on)
        _close(current, on=on, ended_by=PlacementEnd.TRANSFER)
        new = _create(
            actor=actor,
            person=person,
            centre=to_centre,
            start=on,
            transferred_from=current,
            reason=reason,
        )
        audit_log(
            actor=actor,
            action="placement_transferred",
            person=person,
            reason=reason,
            changes={"from": source.pk, "to": to_centre.pk, "on": on.isoformat()},
        )
    return new


def placement_discharge(
    *, actor: AnyUser, placement: Placement, reason: str, on: dt.date | None = None
) -> Placement:
    """A resident leaves reception (settled, lives privately, departed, …) on ``on``."""
    on = on or _today()
    if reason not in DischargeReason.values:
        raise PlacementInvalid({"reason": _("Choose a reason for the discharge.")})
    with transaction.atomic():
        current = (
            Placement.objects.select_for_update().select_related("centre").get(pk=placement.pk)
        )
        if not actor.has_perm("reception.move_resident", current.centre):
            raise PermissionDenied(_("You may not discharge residents of this centre."))
        if current.end is not None:
            raise PlacementConflict(_("This placement has already ended."))
        if on < current.start:
            raise PlacementInvalid({"on": _("A discharge cannot be dated before the placement.")})
        _close(current, on=on, ended_by=PlacementEnd.DISCHARGE, reason=reason)
        audit_log(
            actor=actor,
            action="placement_discharged",
            person=current.person,
            changes={"centre": current.centre_id, "on": on.isoformat(), "reason": reason},
        )
    return current


# --- Settlement (bosetting) -----------------------------------------------------------------


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
    settled_on = settled_on or _today()
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
            _close(
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


# --- Centres, their staff and municipal quotas (reference data) ------------------------------
# Not personal data: the audit events keep the values before and after, tagged with the row
# (``changes["subject"]``) as integration's records are.

CENTRE_EDITABLE_FIELDS = frozenset(
    {
        "name",
        "kind",
        "operator_kind",
        "operator_name",
        "municipality",
        "capacity",
        "opened_on",
        "closed_on",
    }
)


def centre_create(
    *,
    actor: AnyUser,
    name: str,
    kind: str,
    operator_kind: str,
    operator_name: str,
    municipality: Municipality,
    capacity: int,
    opened_on: dt.date,
    closed_on: dt.date | None = None,
) -> ReceptionCentre:
    """Open a reception centre (asylmottak) that UDI contracted with an operator."""
    if not actor.has_perm("reception.add_receptioncentre"):
        raise PermissionDenied(_("You may not add reception centres."))
    with transaction.atomic():
        centre = ReceptionCentre.objects.create(
            name=name,
            kind=kind,
            operator_kind=operator_kind,
            operator_name=operator_name,
            municipality=municipality,
            capacity=capacity,
            opened_on=opened_on,
            closed_on=closed_on,
        )
        audit_log(
            actor=actor,
            action="centre_created",
            changes={"subject": _subject(centre), "capacity": capacity},
        )
    return centre


def centre_update(*, actor: AnyUser, centre: ReceptionCentre, **fields: Any) -> ReceptionCentre:
    """Change a centre's details, its number of beds or the day it closes.

    A centre never holds more people than it has beds, and a closed centre holds no one: a
    capacity below the beds taken today or later, or a closing day before every resident has
    left, is refused. The centre row is locked first, as a placement locks it, so a placement
    cannot slip in between the count and the change.
    """
    unknown = set(fields) - CENTRE_EDITABLE_FIELDS
    if unknown:
        raise PlacementInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("reception.change_receptioncentre"):
        raise PermissionDenied(_("You may not change reception centres."))
    with transaction.atomic():
        centre = _lock_centres(centre)[centre.pk]
        changed = apply_changes(centre, fields)
        if "capacity" in changed:
            taken = beds_taken(centre=centre, on=_today())
            if centre.capacity < taken:
                raise PlacementInvalid(
                    {
                        "capacity": _(
                            "%(n)s beds are taken today or later; the capacity cannot be lower."
                        )
                        % {"n": taken}
                    }
                )
        if "closed_on" in changed and centre.closed_on is not None:
            staying = Placement.objects.filter(centre=centre).filter(
                Q(end__isnull=True) | Q(end__gt=centre.closed_on)
            )
            if staying.exists():
                raise PlacementConflict(
                    _("Residents still live here after that day: transfer or discharge them first.")
                )
        if changed:
            centre.save()
            audit_log(
                actor=actor,
                action="centre_changed",
                changes={"subject": _subject(centre), "fields": changed},
            )
    return centre


def centre_staff_add(*, actor: AnyUser, centre: ReceptionCentre, user: User) -> CentreStaff:
    """Let a reception officer act for a centre: they then see and place its residents."""
    if not actor.has_perm("reception.add_centrestaff"):
        raise PermissionDenied(_("You may not assign centre staff."))
    with transaction.atomic():
        centre_staff = CentreStaff.objects.create(centre=centre, user=user)
        audit_log(
            actor=actor,
            action="centre_staff_added",
            changes={"subject": _subject(centre), "user": user.pk},
        )
    return centre_staff


def centre_staff_remove(*, actor: AnyUser, centre_staff: CentreStaff) -> None:
    """An officer no longer works for the centre: from now on they see none of its residents."""
    if not actor.has_perm("reception.delete_centrestaff"):
        raise PermissionDenied(_("You may not remove centre staff."))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="centre_staff_removed",
            changes={"subject": _subject(centre_staff.centre), "user": centre_staff.user_id},
        )
        centre_staff.delete()


def municipality_quota_create(
    *,
    actor: AnyUser,
    municipality: Municipality,
    year: int,
    places: int,
    unaccompanied_minor_places: int = 0,
) -> MunicipalityQuota:
    """Record how many refugees a municipality's council agreed to settle in ``year``
    (bosetting: IMDi asks, the council decides; settlement is voluntary for the municipality)."""
    if not actor.has_perm("reception.add_municipalityquota"):
        raise PermissionDenied(_("You may not record quotas."))
    with transaction.atomic():
        quota = MunicipalityQuota.objects.create(
            municipality=municipality,
            year=year,
            places=places,
            unaccompanied_minor_places=unaccompanied_minor_places,
        )
        audit_log(
            actor=actor,
            action="quota_created",
            changes={
                "subject": _subject(quota),
                "municipality": municipality.number,
                "year": year,
                "places": places,
                "unaccompanied_minor_places": unaccompanied_minor_places,
            },
        )
    return quota


QUOTA_EDITABLE_FIELDS = frozenset({"places", "unaccompanied_minor_places"})


def municipality_quota_update(
    *, actor: AnyUser, quota: MunicipalityQuota, **fields: Any
) -> MunicipalityQuota:
    """The council changed its decision for the year. The places cannot fall below the people
    already settled there that year (``settlement_record`` counts against the same row, which
    both lock)."""
    unknown = set(fields) - QUOTA_EDITABLE_FIELDS
    if unknown:
        raise PlacementInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("reception.change_municipalityquota"):
        raise PermissionDenied(_("You may not change quotas."))
    with transaction.atomic():
        quota = MunicipalityQuota.objects.select_for_update().get(pk=quota.pk)
        changed = apply_changes(quota, fields)
        if "places" in changed:
            settled = Settlement.objects.filter(
                municipality_id=quota.municipality_id, settled_on__year=quota.year
            ).count()
            if quota.places < settled:
                raise PlacementInvalid(
                    {
                        "places": _("%(n)s people are already settled there this year.")
                        % {"n": settled}
                    }
                )
        if changed:
            quota.save()
            audit_log(
                actor=actor,
                action="quota_changed",
                changes={"subject": _subject(quota), "fields": changed},
            )
    return quota


def _subject(record: Any) -> str:
    return f"{record._meta.label_lower}:{record.pk}"
