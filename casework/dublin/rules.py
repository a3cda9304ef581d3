"""Object permissions (``rules``) of Dublin cases.

- ``casework.prepare_dublin_request`` and ``casework.lodge_stay_request`` (the case as
  object): the Dublin unit, that is the caseworkers and decision-makers of the case's unit;
- ``casework.manage_dublin`` (the request as object): send it, record the answer, ask for
  re-examination, extend the transfer deadline: the same people;
- ``casework.record_transfer`` (the request): the police (police registration), who carry
  the transfer out, or the Dublin unit;
- ``casework.decide_stay_request`` (the request to stay): the appeals body, once the case is
  under appeal.

As everywhere, these are never model permissions of a group.
"""

from __future__ import annotations

from typing import Any

import rules

from casework.applications.rules import (
    in_users_unit,
    is_appeals_body,
    is_caseworker,
    is_decision_maker,
    is_registrar,
    is_under_appeal,
)
from casework.staff.users import AnyUser


@rules.predicate
def record_case_in_users_unit(user: AnyUser, record: Any) -> bool:
    if record is None:
        return True
    return bool(in_users_unit(user, record.application))


@rules.predicate
def record_case_under_appeal(user: AnyUser, record: Any) -> bool:
    if record is None:
        return True
    return bool(is_under_appeal(user, record.application))


DUBLIN_UNIT = (is_caseworker | is_decision_maker) & in_users_unit
rules.add_perm("casework.prepare_dublin_request", DUBLIN_UNIT)
rules.add_perm("casework.lodge_stay_request", DUBLIN_UNIT)
rules.add_perm(
    "casework.manage_dublin", (is_caseworker | is_decision_maker) & record_case_in_users_unit
)
rules.add_perm(
    "casework.record_transfer",
    is_registrar | ((is_caseworker | is_decision_maker) & record_case_in_users_unit),
)
rules.add_perm("casework.decide_stay_request", is_appeals_body & record_case_under_appeal)
