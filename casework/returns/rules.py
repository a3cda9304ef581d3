"""Object permissions (``rules``) for return records.

- ``casework.open_return`` (the case as object): open a return on a rejected case: the
  caseworkers and decision-makers of the case's unit, and the police;
- ``casework.record_return`` (the return as object): record an application for assisted
  return, the departure IOM reports, whereabouts unknown: the same people;
- ``casework.decide_assisted_return``: the Directorate decides assisted return: a
  decision-maker of the case's unit;
- ``casework.request_forced_return``: ask the police to return the person: the case's unit
  or the police themselves;
- ``casework.carry_out_return``: the police (police registration: PU registers applicants and
  carries out forced returns; no other role stands for them).

As everywhere, these are never model permissions of a group: a group grant would pass
without the object and defeat the unit rule.
"""

from __future__ import annotations

from typing import Any

import rules

from casework.applications.rules import (
    in_users_unit,
    is_caseworker,
    is_decision_maker,
    is_registrar,
)
from casework.staff.users import AnyUser


@rules.predicate
def return_case_in_users_unit(user: AnyUser, record: Any) -> bool:
    if record is None:
        return True
    return bool(in_users_unit(user, record.application))


UNIT = (is_caseworker | is_decision_maker) & return_case_in_users_unit

rules.add_perm(
    "casework.open_return", ((is_caseworker | is_decision_maker) & in_users_unit) | is_registrar
)
rules.add_perm("casework.record_return", UNIT | is_registrar)
rules.add_perm("casework.decide_assisted_return", is_decision_maker & return_case_in_users_unit)
rules.add_perm("casework.request_forced_return", UNIT | is_registrar)
rules.add_perm("casework.carry_out_return", is_registrar)
