"""Placements in reception centres: place, transfer, discharge.

A centre never exceeds its capacity: the bed count is taken under a row lock on the centre
(``SELECT … FOR UPDATE``), so concurrent placements are serialised per centre. A person never
has two open placements: a partial unique index (``one_open_placement``) backs the check.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.services import audit_log
from casework.deadlines.services import deadline_close, deadline_set
from casework.models import Person
from casework.staff.users import AnyUser, recorded_user
from casework.vulnerability.choices import Accommodation, accommodation_labels, split_codes
from casework.vulnerability.services import accommodation_codes_required, tb_screening_open
from reception import deadlines
from reception.choices import CentreKind, DischargeReason, PlacementEnd
from reception.exceptions import CentreFull, PlacementConflict, PlacementInvalid
from reception.models import (
    CentreStaff,
    Placement,
    ReceptionCentre,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import User

ADULT_AGE = 18
CHILD_WELFARE_AGE = 15  # under 15: Bufetat's care centres, not UDI's reception centres


def today() -> dt.date:
    return timezone.localdate()


def lock_centres(*centres: ReceptionCentre) -> dict[int, ReceptionCentre]:
    """Lock centre rows in id order (two transfers in opposite directions cannot deadlock)."""
    ids = sorted({c.pk for c in centres})
    locked = ReceptionCentre.objects.select_for_update().filter(pk__in=ids).order_by("pk")
    return {c.pk: c for c in locked}


def centre_officer(centre: ReceptionCentre) -> User | None:
    """The reception officer a centre's reminders go to: the first who works there."""
    staff = CentreStaff.objects.filter(centre=centre).select_related("user").order_by("pk").first()
    return staff.user if staff is not None else None


def beds_taken(*, centre: ReceptionCentre, on: dt.date) -> int:
    """Placements that hold a bed on ``on`` or at any later date.

    Counting every placement not ended by ``on`` (rather than those present on ``on`` only)
    keeps a back-dated or future-dated placement from overbooking a later day; for today's
    placements, the usual case, the two counts are the same.
    """
    return (
        Placement.objects.filter(centre=centre).filter(Q(end__isnull=True) | Q(end__gt=on)).count()
    )


def accommodation_lacking(*, person: Person, centre: ReceptionCentre) -> list[str]:
    """The accommodation the person's current needs require that ``centre`` does not offer
    (codes of ``casework.vulnerability.choices.Accommodation``, in the list's order); empty
    when the centre offers all of it. The one rule that matches needs and centres: placing and
    transferring ask it (``check_placement_rules``), and ``centres_offering`` names the
    centres to choose instead."""
    required = accommodation_codes_required(person)
    if not required:
        return []
    offered = set(split_codes(centre.accommodation))
    return [code for code in Accommodation.values if code in required - offered]


def centres_offering(codes: list[str], *, on: dt.date, limit: int = 3) -> list[str]:
    """The names of up to ``limit`` centres open on ``on``, with a free bed, that offer every
    accommodation of ``codes``: where the person can be placed instead."""
    found: list[str] = []
    candidates = ReceptionCentre.objects.open_on(on).exclude(accommodation="").order_by("name")
    for centre in candidates:
        if (
            set(codes) <= set(split_codes(centre.accommodation))
            and beds_taken(centre=centre, on=on) < centre.capacity
        ):
            found.append(centre.name)
            if len(found) == limit:
                break
    return found


def check_placement_rules(*, person: Person, centre: ReceptionCentre, on: dt.date) -> None:
    """Who may live where (UDI's centre types; Bufetat for unaccompanied children under 15;
    the accommodation a special need requires).

    - Unaccompanied minors under 15 are cared for by child welfare (Bufetat care centres), not
      placed in reception centres.
    - Unaccompanied minors aged 15-17 live in centres for unaccompanied minors, or pass through
      the arrival centre.
    - Adults are not placed in centres for unaccompanied minors.
    - Children under 15 who came with their family live with them in the family's centre, but
      never in a centre for unaccompanied minors.
    - A person with a special need is placed only in a centre that offers the accommodation
      it requires (Reception Conditions Directive arts. 21-22: wheelchair access, a single
      room, staff at night, ...; ``accommodation_lacking``). The refusal names the
      accommodation, never the need behind it.
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
    lacking = accommodation_lacking(person=person, centre=centre)
    if lacking:
        message = _(
            "%(centre)s does not offer the accommodation this person's needs require: "
            "%(lacking)s. Choose a centre that offers it."
        ) % {"centre": centre.name, "lacking": ", ".join(accommodation_labels(",".join(lacking)))}
        instead = centres_offering(sorted(accommodation_codes_required(person)), on=on)
        if instead:
            message += " " + _("Centres that offer it: %(centres)s.") % {
                "centres": ", ".join(instead)
            }
        raise PlacementInvalid({"centre": message})


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
    if transferred_from is None:
        # Arrival in reception: the mandatory tuberculosis screening is due within two weeks,
        # and the centre that receives the person is reminded (none if already screened).
        tb_screening_open(
            actor=actor,
            person=person,
            arrived_on=start,
            recipient_user=centre_officer(centre) or placement.created_by,
        )
    if centre.kind == CentreKind.ARRIVAL:
        deadline_set(
            source=deadlines.ARRIVAL_STAY.key,
            object_id=placement.pk,
            due_at=deadlines.arrival_stay_due(start),
            person=person,
            recipient_user=placement.created_by,
        )
    return placement


def close_placement(placement: Placement, *, on: dt.date, ended_by: str, reason: str = "") -> None:
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
    start = start or today()
    with transaction.atomic():
        centre = lock_centres(centre)[centre.pk]
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
    on = on or today()
    reason = (reason or "").strip()
    if not reason:
        raise PlacementInvalid({"reason": _("A transfer needs a reason.")})
    with transaction.atomic():
        locked = lock_centres(placement.centre, to_centre)
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
        close_placement(current, on=on, ended_by=PlacementEnd.TRANSFER)
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
    on = on or today()
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
        close_placement(current, on=on, ended_by=PlacementEnd.DISCHARGE, reason=reason)
        audit_log(
            actor=actor,
            action="placement_discharged",
            person=current.person,
            changes={"centre": current.centre_id, "on": on.isoformat(), "reason": reason},
        )
    return current


def placement_end_on_return(
    *, person: Any, on: dt.date, whereabouts_unknown: bool, actor: AnyUser | None = None
) -> Placement | None:
    """End the person's open placement because their return ended: they left Norway
    (``DEPARTED``) or their whereabouts became unknown (``ABSCONDED``); None when they had no
    open placement.

    A reaction to casework's ``return_ended`` inside the return's transaction, whose own
    object rule the acting user passed (the case's unit or the police, who do not staff the
    centre): the centre's staff rule is not asked again. The placement's row is locked as
    every placement writer does; the day is never before the placement began.
    """
    current = (
        Placement.objects.select_for_update()
        .filter(person_id=person.pk, end__isnull=True)
        .order_by("pk")
        .first()
    )
    if current is None:
        return None
    reason = DischargeReason.ABSCONDED if whereabouts_unknown else DischargeReason.DEPARTED
    on = max(on, current.start)
    close_placement(current, on=on, ended_by=PlacementEnd.DISCHARGE, reason=reason)
    audit_log(
        actor=actor,
        action="placement_discharged",
        person=person,
        changes={"centre": current.centre_id, "on": on.isoformat(), "reason": reason},
    )
    return current


def on_return_ended(
    sender: Any,
    *,
    person: Any,
    ended_on: dt.date,
    whereabouts_unknown: bool,
    actor: AnyUser | None = None,
    **kwargs: Any,
) -> None:
    """Receiver of ``casework.returns.signals.return_ended``."""
    placement_end_on_return(
        person=person, on=ended_on, whereabouts_unknown=whereabouts_unknown, actor=actor
    )
