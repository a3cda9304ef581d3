"""Centres, their staff and municipal quotas (reference data).

Not personal data: the audit events keep the values before and after, tagged with the row
(``changes["subject"]``) as integration's records are.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils.translation import gettext as _

from casework.audit.services import apply_changes, audit_log, audit_subject, record_values
from casework.staff.users import AnyUser
from casework.vulnerability.choices import Accommodation, split_codes, validate_accommodation
from reception.exceptions import PlacementConflict, PlacementInvalid
from reception.models import (
    CentreStaff,
    Municipality,
    MunicipalityQuota,
    Placement,
    ReceptionCentre,
    Settlement,
)
from reception.services.placements import beds_taken, lock_centres, today

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
        "accommodation",
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
    accommodation: str = "",
) -> ReceptionCentre:
    """Open a reception centre (asylmottak) that UDI contracted with an operator, with the
    accommodation it offers residents with special needs."""
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
            accommodation=_accommodation(accommodation),
        )
        audit_log(
            actor=actor,
            action="centre_created",
            changes={
                "subject": audit_subject(centre),
                "fields": record_values(centre, sorted(CENTRE_EDITABLE_FIELDS)),
            },
        )
    return centre


def _accommodation(value: str | list[str] | None) -> str:
    """The accommodation codes as stored (comma-separated, in the list's order), or refused."""
    codes = split_codes(value)
    try:
        validate_accommodation(",".join(codes))
    except ValidationError as exc:
        raise PlacementInvalid({"accommodation": exc.messages}) from exc
    return ",".join(c for c in Accommodation.values if c in codes)


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
    if "accommodation" in fields:
        fields["accommodation"] = _accommodation(fields["accommodation"])
    with transaction.atomic():
        centre = lock_centres(centre)[centre.pk]
        changed = apply_changes(centre, fields)
        if "capacity" in changed:
            taken = beds_taken(centre=centre, on=today())
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
                changes={"subject": audit_subject(centre), "fields": changed},
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
            changes={"subject": audit_subject(centre), "user": user.pk},
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
            changes={"subject": audit_subject(centre_staff.centre), "user": centre_staff.user_id},
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
                "subject": audit_subject(quota),
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
                changes={"subject": audit_subject(quota), "fields": changed},
            )
    return quota
