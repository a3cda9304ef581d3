"""Reads, already scoped to what the caller may see, with the joins that keep queries flat.

Mirrors ``rules.py``: work permits follow their asylum case's unit (caseworkers and
decision-makers), police registration and auditors see all; family reunification is a
national queue for caseworkers, decision-makers, the police and auditors, and the appeals
body sees the appealed ones; an integration officer sees the programmes and the people
settled in their municipalities.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db.models import Q, QuerySet

from casework.models import Person
from casework.staff.choices import Role
from casework.staff.roles import has_role, unit_id_of

from .choices import FamilyState
from .models import FamilyReunification, IntroductionProgramme, WorkPermit
from .rules import municipality_ids_of

if TYPE_CHECKING:
    from casework.staff.users import AnyUser
    from reception.models import Settlement


def _sees_all(user: AnyUser) -> bool:
    return bool(user.is_superuser) or has_role(user, Role.AUDITOR)


def work_permits_visible_to(
    user: AnyUser, queryset: QuerySet[WorkPermit] | None = None
) -> QuerySet[WorkPermit]:
    qs = WorkPermit.objects.all() if queryset is None else queryset
    qs = qs.select_related("person", "application")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _sees_all(user) or has_role(user, Role.REGISTRAR):
        return qs
    if has_role(user, Role.CASEWORKER, Role.DECISION_MAKER):
        # The case's unit, as for the case itself (a case without one: only those who route).
        unit_id = unit_id_of(user)
        return qs.none() if unit_id is None else qs.filter(application__unit_id=unit_id)
    return qs.none()


def family_reunifications_visible_to(
    user: AnyUser, queryset: QuerySet[FamilyReunification] | None = None
) -> QuerySet[FamilyReunification]:
    qs = FamilyReunification.objects.all() if queryset is None else queryset
    qs = qs.select_related("sponsor", "applicant")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _sees_all(user) or has_role(user, Role.CASEWORKER, Role.DECISION_MAKER, Role.REGISTRAR):
        return qs
    if has_role(user, Role.APPEALS):
        return qs.filter(Q(state=FamilyState.APPEALED) | Q(appealed_at__isnull=False))
    return qs.none()


def programmes_visible_to(
    user: AnyUser, queryset: QuerySet[IntroductionProgramme] | None = None
) -> QuerySet[IntroductionProgramme]:
    qs = IntroductionProgramme.objects.all() if queryset is None else queryset
    qs = qs.select_related("person", "municipality")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if _sees_all(user):
        return qs
    if has_role(user, Role.INTEGRATION):
        return qs.filter(municipality_id__in=municipality_ids_of(user))
    return qs.none()


def people_settled_in_users_municipalities(user: AnyUser) -> QuerySet[Person]:
    """The people an integration officer serves: settled in one of their municipalities."""
    if not getattr(user, "is_authenticated", False):
        return Person.objects.none()
    if _sees_all(user):
        return Person.objects.filter(settlements__isnull=False).distinct()
    if not has_role(user, Role.INTEGRATION):
        return Person.objects.none()
    return Person.objects.filter(
        settlements__municipality_id__in=municipality_ids_of(user)
    ).distinct()


def settled_people_scope(user: AnyUser) -> Q:
    """Who an integration officer sees in casework's person lists and the API: the people
    settled in the municipalities they work for (registered in ``IntegrationConfig.ready``)."""
    return Q(settlements__municipality_id__in=list(municipality_ids_of(user)))


def settlements_for_enrolment(user: AnyUser) -> QuerySet[Settlement]:
    """Settlements an officer may enrol from (their municipalities), newest first."""
    from reception.models import Settlement

    qs = Settlement.objects.select_related("person", "municipality").order_by("-settled_on")
    if getattr(user, "is_superuser", False):
        return qs
    if not has_role(user, Role.INTEGRATION):
        return qs.none()
    return qs.filter(municipality_id__in=municipality_ids_of(user))
