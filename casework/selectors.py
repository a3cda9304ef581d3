"""Reads, already scoped to what the caller may see, with the joins that keep queries flat."""

from __future__ import annotations

import datetime as dt
import hmac

from .identity import parse_reference
from .models import Application

# Never a valid reference (the alphabet has no "!"), so the query runs but finds nothing.
_NO_SUCH_REFERENCE = "!" * 10
_NO_BIRTH_DATE = "0000-00-00"


def application_for_applicant(
    *, reference: str, date_of_birth: dt.date | None
) -> Application | None:
    """The applicant's own case, or None. Wrong reference and wrong birth date look the same.

    To give an attacker no timing signal, every call runs the same single indexed query (by
    reference, even for a malformed one) fetching two plain values, and then compares the
    birth date in constant time (``hmac.compare_digest``), whether or not a case was found.
    The case itself is loaded only after a match.
    """
    canonical = parse_reference(reference)
    row = (
        Application.objects.filter(reference=canonical or _NO_SUCH_REFERENCE)
        .values_list("pk", "person__date_of_birth")
        .first()
    )
    expected = row[1].isoformat() if row is not None else _NO_BIRTH_DATE
    given = date_of_birth.isoformat() if date_of_birth is not None else "9999-99-99"
    matches = hmac.compare_digest(expected.encode(), given.encode())
    if row is None or canonical is None or date_of_birth is None or not matches:
        return None
    # Only now, for the rightful applicant, load the case itself.
    return Application.objects.select_related("person").get(pk=row[0])


def applications_visible_to(user, queryset=None):  # noqa: ANN001, ANN201
    """Applications ``user`` may see, as a queryset (admin lists, API, exports).

    Mirrors ``rules.py``'s ``casework.open_application``: caseworkers and decision-makers see
    their unit's cases (and cases not yet routed to a unit), the appeals body cases that have
    been appealed, police registration and auditors everything; other roles no applications.
    """
    from django.db.models import Q

    from .choices import Role, State
    from .roles import has_role, unit_id_of

    qs = Application.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser or has_role(user, Role.AUDITOR, Role.REGISTRAR):
        return qs
    allowed = Q(pk__in=[])
    if has_role(user, Role.CASEWORKER, Role.DECISION_MAKER):
        allowed |= Q(unit_id=unit_id_of(user)) | Q(unit__isnull=True)
    if has_role(user, Role.APPEALS):
        allowed |= Q(state=State.APPEALED) | Q(appealed_at__isnull=False)
    return qs.filter(allowed)


# Roles outside casework (reception officers, integration officers) see people through their
# own app's records. The one home of those rules is ``casework.scopes``; these two names stay
# for the API code that imported them from here.


def register_person_scope(role: str, scope) -> None:  # noqa: ANN001
    """Same as ``casework.scopes.register_person_scope`` (kept for older imports)."""
    from .scopes import register_person_scope as register

    register(role, scope)


def people_visible_to(user, queryset=None):  # noqa: ANN001, ANN201
    """Same as ``casework.scopes.people_visible_to``: the people ``user`` may see."""
    from .scopes import people_visible_to as visible

    return visible(user, queryset)
