"""Reception's part of the bulk import of arrivals (``casework.intake.imports`` discovers it).

The CSV's ``centre`` column names a reception centre by its id or its name. A row naming no
centre known here is a bad row; rows beyond a centre's free beds are refused before anything
of them is written (the centres are locked for the batch, as ``placement_create`` does), so a
centre is never over capacity. Placed people get an open placement from their arrival date.
Not checked in bulk: the age rules of minors' centres (use the admin for those placements).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from casework.intake.imports import CENTRE_HOOKS
from casework.staff.users import AnyUser, recorded_user

from .models import Placement, ReceptionCentre


def resolve(codes: set[str]) -> dict[str, int]:
    ids = {int(c) for c in codes if c.isdigit()}
    names = {c.casefold() for c in codes}
    found: dict[str, int] = {}
    for pk, name in ReceptionCentre.objects.filter(
        Q(pk__in=ids) | Q(name__in=list(codes))
    ).values_list("pk", "name"):
        for code in codes:
            if code == str(pk) or code.casefold() == name.casefold():
                found[code] = pk
    if len(found) < len(codes):  # names differing in case only: one more, small query
        for pk, name in ReceptionCentre.objects.values_list("pk", "name"):
            if name.casefold() in names:
                found.setdefault(next(c for c in codes if c.casefold() == name.casefold()), pk)
    return found


def reserve(arrivals: list[Any]) -> set[str]:
    """Lock the centres, and return the external ids of the rows that find no free bed."""
    wanted: dict[int, list[Any]] = {}
    for a in arrivals:
        wanted.setdefault(a.centre_id, []).append(a)
    centres = ReceptionCentre.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
    refused: set[str] = set()
    for centre in centres:
        taken = Placement.objects.filter(centre=centre, end__isnull=True).count()
        free = max(centre.capacity - taken, 0)
        refused |= {a.external_id for a in wanted[centre.pk][free:]}
    return refused


def place(*, rows: list[tuple[int, int, Any]], actor: AnyUser | None) -> None:
    Placement.objects.bulk_create(
        Placement(
            person_id=person_id,
            centre_id=centre_id,
            start=start,
            created_by=recorded_user(actor),
        )
        for person_id, centre_id, start in rows
    )


CENTRE_HOOKS.update(resolve=resolve, reserve=reserve, place=place)
