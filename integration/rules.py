"""Object-level permissions (``rules``) for integration records.

As in casework, transition permissions are never granted to groups as model permissions:
they exist only here and the workflow asks for them with the record as object.

- Temporary work permits: UDI decides and may delegate to the police (§ 94 fifth paragraph),
  so a decision-maker of the case's unit or police registration decides; the case's
  caseworker or the police take the request.
- Family reunification: registered by the police or a caseworker, examined by a caseworker,
  decided by a decision-maker, appeals decided by the appeals body.
- Introduction programme: the integration officers of the municipality (``programme_rules``).
"""

from __future__ import annotations

from typing import Any

import rules

from casework.applications.rules import (
    is_appeals_body,
    is_auditor,
    is_caseworker,
    is_decision_maker,
    is_registrar,
)
from casework.staff.choices import Role
from casework.staff.roles import has_role, unit_id_of
from casework.staff.users import AnyUser, OnUser

from .choices import FamilyState


@rules.predicate
def case_in_users_unit(user: AnyUser, obj: Any) -> bool:
    """The asylum case (or the permit's case) belongs to the user's unit (a case without a
    unit is no unit's, as in ``casework.applications.rules.in_users_unit``)."""
    if obj is None:
        return True
    application = getattr(obj, "application", obj)
    return application.unit_id is not None and application.unit_id == unit_id_of(user)


@rules.predicate
def family_under_appeal(user: AnyUser, obj: Any) -> bool:
    if obj is None:
        return True
    return obj.state == FamilyState.APPEALED or obj.appealed_at is not None


rules.add_perm(
    "integration.request_work_permit", (is_caseworker & case_in_users_unit) | is_registrar
)
rules.add_perm(
    "integration.decide_work_permit", (is_decision_maker & case_in_users_unit) | is_registrar
)
rules.add_perm(
    "integration.open_work_permit",
    ((is_caseworker | is_decision_maker) & case_in_users_unit) | is_registrar | is_auditor,
)

rules.add_perm("integration.register_family", is_caseworker | is_registrar)
rules.add_perm("integration.record_family_documents", is_caseworker | is_registrar)
rules.add_perm("integration.examine_family", is_caseworker)
rules.add_perm("integration.decide_family", is_decision_maker)
rules.add_perm("integration.lodge_family_appeal", is_caseworker)
rules.add_perm("integration.decide_family_appeal", is_appeals_body)
rules.add_perm(
    "integration.open_family",
    is_caseworker
    | is_decision_maker
    | is_registrar
    | is_auditor
    | (is_appeals_body & family_under_appeal),
)


MUNICIPALITIES: OnUser[frozenset[int]] = OnUser("_integration_municipalities")


def municipality_ids_of(user: AnyUser | None) -> frozenset[int]:
    """The municipalities an integration officer works for, cached on the user object."""
    if user is None or not user.is_authenticated:
        return frozenset()
    cached = MUNICIPALITIES.get(user)
    if cached is None:
        from .models import MunicipalityOfficer

        cached = MUNICIPALITIES.set(
            user,
            frozenset(
                MunicipalityOfficer.objects.filter(user_id=user.pk).values_list(
                    "municipality_id", flat=True
                )
            ),
        )
    return cached


@rules.predicate
def is_integration_officer(user: AnyUser) -> bool:
    return has_role(user, Role.INTEGRATION)


@rules.predicate
def in_users_municipality(user: AnyUser, obj: Any) -> bool:
    """A programme (or settlement) in one of the officer's municipalities."""
    if obj is None:
        return True
    return obj.municipality_id in municipality_ids_of(user)


# The municipality of settlement runs the programme (Integration Act § 8).
rules.add_perm("integration.enrol_programme", is_integration_officer & in_users_municipality)
rules.add_perm("integration.manage_programme", is_integration_officer & in_users_municipality)
rules.add_perm(
    "integration.open_programme", (is_integration_officer & in_users_municipality) | is_auditor
)
