"""Who may write and send letters on which case (object rules, as ``applications.rules``).

The model permissions (``add_letter``, ``change_letter``) say a role works with letters at all;
these say on which case: caseworkers and decision-makers on their unit's cases; the police
(registration officers), who hand printed letters over, may record sending and delivery.
"""

from __future__ import annotations

import rules

from casework.applications.rules import (
    in_users_unit,
    is_caseworker,
    is_decision_maker,
    is_registrar,
)

rules.add_perm("casework.write_letter", (is_caseworker | is_decision_maker) & in_users_unit)
rules.add_perm(
    "casework.send_letter", ((is_caseworker | is_decision_maker) & in_users_unit) | is_registrar
)
