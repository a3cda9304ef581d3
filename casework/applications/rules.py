"""Object-level permissions (``rules``): who may act on which case.

Transition permissions are never granted to groups as model permissions: a group grant would
pass ``has_perm(perm)`` without the object and defeat the object rule (django-fsm-2, given a
permission string rather than a callable, also accepts ``has_perm(perm)`` without the
object). They exist only here, and the workflow asks for them with the case as the object.
"""

from __future__ import annotations

from typing import Any

import rules
from django.apps import apps

from casework.applications.choices import State
from casework.staff.choices import Role
from casework.staff.roles import has_role, unit_id_of
from casework.staff.users import AnyUser


@rules.predicate
def is_caseworker(user: AnyUser) -> bool:
    return has_role(user, Role.CASEWORKER)


@rules.predicate
def is_decision_maker(user: AnyUser) -> bool:
    return has_role(user, Role.DECISION_MAKER)


@rules.predicate
def is_appeals_body(user: AnyUser) -> bool:
    return has_role(user, Role.APPEALS)


@rules.predicate
def is_registrar(user: AnyUser) -> bool:
    return has_role(user, Role.REGISTRAR)


@rules.predicate
def is_auditor(user: AnyUser) -> bool:
    return has_role(user, Role.AUDITOR)


@rules.predicate
def is_lawyer(user: AnyUser) -> bool:
    return has_role(user, Role.LAWYER)


@rules.predicate
def is_clients_lawyer(user: AnyUser, application: Any) -> bool:
    """The user is the lawyer of the case's current appointment (the register's model is
    looked up by name: the lawyer scheme sits above the applications)."""
    if application is None:
        return False
    appointment = apps.get_model("casework", "Appointment")
    return appointment.objects.filter(
        application_id=application.pk, ends_on=None, lawyer__user_id=user.pk
    ).exists()


@rules.predicate
def in_users_unit(user: AnyUser, application: Any) -> bool:
    """A case belongs to its unit's staff. A case without a unit is no unit's: only those who
    route cases see it (``privacy.scopes``) until they give it one (``application_route``)."""
    if application is None:
        return True
    return application.unit_id is not None and application.unit_id == unit_id_of(user)


@rules.predicate
def at_appeals_board(user: AnyUser, application: Any) -> bool:
    """The case is with the appeals board: appealed and forwarded, or put on hold there."""
    if application is None:
        return False
    return application.state == State.APPEALED or (
        application.state == State.ON_HOLD and application.held_from == State.APPEALED
    )


@rules.predicate
def final_on_appeal(user: AnyUser, application: Any) -> bool:
    """The rejection that stands is the appeals board's (it dismissed the appeal)."""
    return application is not None and bool(application.is_final)


@rules.predicate
def is_under_appeal(user: AnyUser, application: Any) -> bool:
    if application is None:
        return True
    return application.state == State.APPEALED or application.appealed_at is not None


rules.add_perm("casework.start_examination", is_caseworker & in_users_unit)
rules.add_perm("casework.withdraw_application", is_caseworker & in_users_unit)
# The applicant's lawyer lodges the appeal themselves (the free lawyer after a rejection writes
# the appeal), as the caseworker of the unit may for the applicant.
rules.add_perm(
    "casework.lodge_appeal", (is_caseworker & in_users_unit) | (is_lawyer & is_clients_lawyer)
)
# The caseworker who sends the decision records the day it reached the applicant or lawyer.
rules.add_perm("casework.record_notification", is_caseworker & in_users_unit)
rules.add_perm("casework.decide_application", is_decision_maker & in_users_unit)
rules.add_perm("casework.decide_appeal", is_appeals_body)
# The Directorate's review of an appeal lodged with it (Public Administration Act § 33 [U]): the
# unit's decision-makers, who made the decision, reverse it or forward it to the board.
rules.add_perm("casework.review_appeal", is_decision_maker & in_users_unit)
# A case is put on hold, and taken off it, by whoever has it: the unit's caseworkers and
# decision-makers, or the appeals board while the appeal is with the board.
rules.add_perm(
    "casework.hold_application",
    ((is_caseworker | is_decision_maker) & in_users_unit & ~at_appeals_board)
    | (is_appeals_body & at_appeals_board),
)
# A request to reverse a final rejection (Public Administration Act § 35 [U]) is lodged as an
# appeal is, and decided by the body whose rejection stands: the appeals board when it
# dismissed the appeal, else the unit's decision-makers.
rules.add_perm(
    "casework.lodge_reversal_request",
    (is_caseworker & in_users_unit) | (is_lawyer & is_clients_lawyer),
)
rules.add_perm(
    "casework.decide_reversal_request",
    (is_appeals_body & final_on_appeal) | (is_decision_maker & in_users_unit & ~final_on_appeal),
)
# Routing: lodging a case for another unit, moving one between units (superusers too).
rules.add_perm("casework.route_application", is_registrar)
rules.add_perm("casework.schedule_interview", (is_caseworker | is_decision_maker) & in_users_unit)
rules.add_perm("casework.assign_application", (is_caseworker | is_decision_maker) & in_users_unit)
rules.add_perm(
    "casework.open_application",
    ((is_caseworker | is_decision_maker) & in_users_unit)
    | (is_appeals_body & is_under_appeal)
    | is_auditor
    | is_registrar,
)
