"""Object permissions (``rules``) for residence permits and their group renewal.

- ``casework.renew_permits``: start a group renewal of collective protection: a
  decision-maker (the Directorate carries out the government's decision for the whole
  group, whatever unit decided each case);
- ``casework.record_permit_card`` (the permit as object): record the day the residence card
  was issued: the caseworkers and decision-makers of the permit's case's unit (a permit
  without a case, from a family reunification: the integration officers).

As everywhere, never model permissions of a group: a group grant would pass without the
object and defeat the unit rule.
"""

from __future__ import annotations

from typing import Any

import rules

from casework.staff.choices import Role
from casework.staff.roles import has_role, unit_id_of
from casework.staff.users import AnyUser


@rules.predicate
def is_decision_maker(user: AnyUser) -> bool:
    return has_role(user, Role.DECISION_MAKER)


@rules.predicate
def is_case_staff(user: AnyUser) -> bool:
    return has_role(user, Role.CASEWORKER, Role.DECISION_MAKER)


@rules.predicate
def is_integration_officer(user: AnyUser) -> bool:
    return has_role(user, Role.INTEGRATION)


@rules.predicate
def permit_case_in_users_unit(user: AnyUser, permit: Any) -> bool:
    if permit is None:
        return True
    application = permit.application
    return (
        application is not None
        and application.unit_id is not None
        and application.unit_id == unit_id_of(user)
    )


@rules.predicate
def permit_without_case(user: AnyUser, permit: Any) -> bool:
    return permit is None or permit.application_id is None


rules.add_perm("casework.renew_permits", is_decision_maker)
rules.add_perm(
    "casework.record_permit_card",
    (is_case_staff & permit_case_in_users_unit) | (is_integration_officer & permit_without_case),
)
