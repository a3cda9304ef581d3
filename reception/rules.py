"""Object permissions for reception (``rules``): officers act for the centres they work for.

As in ``casework.applications.rules``, these are never model permissions a group could hold:
each is asked
with the centre as object, so a reception officer at one centre cannot place, move or discharge
residents of another.
"""

from __future__ import annotations

from typing import Any

import rules

from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import AnyUser, OnUser

CENTRES: OnUser[frozenset[int]] = OnUser("_reception_centres")


def centre_ids_of(user: AnyUser | None) -> frozenset[int]:
    """The centres a staff user works for, cached on the user object for the request."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = CENTRES.get(user)
    if cached is None:
        from .models import CentreStaff

        cached = CENTRES.set(
            user,
            frozenset(
                CentreStaff.objects.filter(user_id=user.pk).values_list("centre_id", flat=True)
            ),
        )
    return cached


@rules.predicate
def is_reception_officer(user: AnyUser) -> bool:
    return has_role(user, Role.RECEPTION)


@rules.predicate
def is_integration_officer(user: AnyUser) -> bool:
    return has_role(user, Role.INTEGRATION)


@rules.predicate
def is_superuser(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


@rules.predicate
def works_at_centre(user: AnyUser, centre: Any) -> bool:
    if centre is None:
        return True
    return centre.pk in centre_ids_of(user)


# Place a person in, transfer a resident out of, or discharge a resident of ``centre``.
rules.add_perm("reception.place_person", (is_reception_officer & works_at_centre) | is_superuser)
rules.add_perm("reception.move_resident", (is_reception_officer & works_at_centre) | is_superuser)
# Settlement (bosetting) is recorded by reception or integration officers (IMDi's role).
rules.add_perm(
    "reception.record_settlement", is_reception_officer | is_integration_officer | is_superuser
)
