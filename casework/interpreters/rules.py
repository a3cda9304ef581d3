"""Object permissions (``rules``) for interpreters and their bookings.

- ``casework.manage_interpreters``: keep the register (the interpreter coordinator);
- ``casework.book_interpreter`` (the case as object): book an interpreter for its interview
  or appeal hearing: the coordinator, the caseworkers and decision-makers of the case's unit,
  the appeals body for a case under appeal;
- ``casework.manage_booking`` (the booking as object): confirm, cancel, record a no-show:
  the same people, for the booking's case.

As everywhere, these are never model permissions of a group: a group grant would pass
without the object and defeat the unit rule.
"""

from __future__ import annotations

from typing import Any

import rules

from casework.applications.rules import (
    in_users_unit,
    is_appeals_body,
    is_caseworker,
    is_decision_maker,
    is_under_appeal,
)
from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import AnyUser


@rules.predicate
def is_interpreter_coordinator(user: AnyUser) -> bool:
    return has_role(user, Role.INTERPRETER_COORDINATOR)


@rules.predicate
def booking_case_in_users_unit(user: AnyUser, booking: Any) -> bool:
    if booking is None:
        return True
    return bool(in_users_unit(user, booking.application))


@rules.predicate
def booking_case_under_appeal(user: AnyUser, booking: Any) -> bool:
    if booking is None:
        return True
    return bool(is_under_appeal(user, booking.application))


rules.add_perm("casework.manage_interpreters", is_interpreter_coordinator)
rules.add_perm(
    "casework.book_interpreter",
    is_interpreter_coordinator
    | ((is_caseworker | is_decision_maker) & in_users_unit)
    | (is_appeals_body & is_under_appeal),
)
rules.add_perm(
    "casework.manage_booking",
    is_interpreter_coordinator
    | ((is_caseworker | is_decision_maker) & booking_case_in_users_unit)
    | (is_appeals_body & booking_case_under_appeal),
)
