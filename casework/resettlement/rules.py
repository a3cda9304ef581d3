"""Object permissions (``rules``) for the resettlement quota and UNHCR's referrals.

- ``casework.set_resettlement_quota``: set a year's places (the Directorate's decision-makers,
  who select within it; superusers);
- ``casework.manage_referral``: register a referral and record its withdrawal (caseworkers
  and decision-makers);
- ``casework.decide_referral``: select or not select (decision-makers);
- ``casework.record_referral_arrival``: record the arrival, which opens the case (the police,
  who register arrivals, and caseworkers and decision-makers).

As everywhere, these are never model permissions of a group.
"""

from __future__ import annotations

import rules

from casework.applications.rules import is_caseworker, is_decision_maker, is_registrar

rules.add_perm("casework.set_resettlement_quota", is_decision_maker)
rules.add_perm("casework.manage_referral", is_caseworker | is_decision_maker)
rules.add_perm("casework.decide_referral", is_decision_maker)
rules.add_perm("casework.record_referral_arrival", is_caseworker | is_decision_maker | is_registrar)
