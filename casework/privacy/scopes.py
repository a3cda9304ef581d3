"""Who may see which rows: one scoping function per model, for the admin, the API and exports.

``applications_visible_to`` is the root: a caseworker or decision-maker sees
their unit's cases, the appeals body appealed cases, police registration and auditors every
case. Everything else follows from it:

- a **person** is visible with any visible application, or while they have none yet (intake's
  queue); reception and integration officers see the
  people their app's registered scope gives them (residents of their centres, people settled
  in their municipality), and nothing by default;
- a row that belongs to a case (deadline, audit event, interview) is visible with its case,
  a row that belongs to a person (duplicate flag, identity document) with its person.

Other apps add their own rules without ``casework`` importing them: ``register_person_scope``
for a role, ``register_model_scope`` for a model of theirs. Use ``visible_to(user, queryset)``
everywhere a list is built; ``ScopedAdminMixin`` and ``AccessLoggedViewSetMixin`` do.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db.models import Exists, OuterRef, Q, QuerySet

from casework.core.statements import ProbeExists
from casework.staff.choices import Role
from casework.staff.roles import has_role, unit_id_of
from casework.staff.users import AnyUser

# Roles that read everything (and, for the auditor, change nothing).
SEE_ALL_ROLES = (Role.AUDITOR, Role.REGISTRAR)

PersonScope = Callable[[Any], Q]
_person_scopes: dict[str, list[PersonScope]] = {}
_model_scopes: dict[str, Callable[[Any, QuerySet], QuerySet]] = {}


def register_person_scope(role: Role | str, scope: PersonScope) -> None:
    """Let an app say which people a role sees: ``scope(user)`` returns a ``Q`` on Person.

    Example (reception): ``register_person_scope(Role.RECEPTION, lambda user:
    Q(placements__centre__in=centres_of(user), placements__ended_on=None))``. Several apps may
    register for one role; the person is visible if any of their scopes says so. Registering
    the same function twice (a second ``ready()``) counts once.
    """
    scopes = _person_scopes.setdefault(str(role), [])
    if scope not in scopes:
        scopes.append(scope)


def register_model_scope(model: Any, scope: Callable[[Any, QuerySet], QuerySet]) -> None:
    """Let an app scope a model of its own: ``scope(user, queryset) -> queryset``."""
    _model_scopes[model._meta.label_lower] = scope


def sees_everything(user: AnyUser) -> bool:
    return bool(user.is_superuser or has_role(user, *SEE_ALL_ROLES))


def people_visible_to(
    user: AnyUser, queryset: QuerySet | None = None, *, probe: bool = False
) -> QuerySet:
    """People ``user`` may see (see the module docstring); ``probe``: ask the scope of each
    row through its index (``ProbeExists``), for a bounded walk such as a name search."""
    from casework.applications.models import Application
    from casework.people.models import Person

    qs = Person.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_everything(user):
        return qs
    exists = ProbeExists if probe else Exists
    allowed = Q(pk__in=[])
    if has_role(user, Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS, Role.LAWYER):
        visible = applications_visible_to(user, Application.objects.filter(person=OuterRef("pk")))
        allowed |= Q(exists(visible))
    if has_role(user, Role.CASEWORKER, Role.DECISION_MAKER):
        allowed |= Q(~exists(Application.objects.filter(person=OuterRef("pk"))), merged_into=None)
    for role, role_scopes in _person_scopes.items():
        if role_scopes and has_role(user, role):
            for scope in role_scopes:
                allowed |= scope(user)
    return qs.filter(allowed)


def visible_to(user: AnyUser, queryset: QuerySet, *, probe: bool = False) -> QuerySet:
    """``queryset`` cut down to the rows ``user`` may see, whatever casework model it is of.

    Rows that hang on an application follow the application; rows that hang on a person follow
    the person. A model nobody registered a rule for is visible only to superusers and
    auditors: forgetting to scope a model hides it rather than leaking it.
    """
    from casework.applications.models import Application
    from casework.people.models import Person
    from casework.privacy.models import AccessLog

    model = queryset.model
    label = model._meta.label_lower
    if not getattr(user, "is_authenticated", False):
        return queryset.none()
    if label in _model_scopes:
        return _model_scopes[label](user, queryset)
    if model is Application:
        return applications_visible_to(user, queryset)
    if model is Person:
        return people_visible_to(user, queryset, probe=probe)
    if model is AccessLog:
        # The access log is for auditors (and superusers); everyone may see their own rows.
        if user.is_superuser or has_role(user, Role.AUDITOR):
            return queryset
        return queryset.filter(user=user)
    if label in REGISTER_MODELS:
        return _lawyer_register_visible_to(user, queryset)
    if sees_everything(user):
        return queryset
    # Forward foreign keys only: a reverse relation named "application" (Unit) is no owner.
    fields = {f.name: f for f in model._meta.get_fields() if f.many_to_one and f.concrete}
    application = fields.get("application")
    person = fields.get("person")
    if application is not None and person is not None:
        # Rows that may hang on either (audit events, deadlines): the case decides when there
        # is one. Each side is asked of the row's own case or person (a correlated EXISTS), not
        # as "IN every visible case or person": under OR, PostgreSQL cannot join an IN list
        # and builds it whole (every person of a million, with their cases) before the first
        # row, where a page of 50 newest rows needs a few dozen probes.
        own_case = Application.objects.filter(pk=OuterRef("application_id"))
        own_person = Person.objects.filter(pk=OuterRef("person_id"))
        # ``ProbeExists``: never hashed, which a partitioned log would do once a partition
        # (an audit trail of 41 monthly partitions read every case of the unit 41 times).
        return queryset.filter(
            Q(ProbeExists(applications_visible_to(user, own_case)))
            | Q(application=None) & Q(ProbeExists(people_visible_to(user, own_person, probe=True)))
        )
    if application is not None:
        return queryset.filter(application__in=applications_visible_to(user).values("pk"))
    if person is not None:
        return queryset.filter(person__in=people_visible_to(user).values("pk"))
    if label == "casework.reminder":
        # Asked of the reminder's own deadline, for the reason above.
        deadlines = model.deadline.field.related_model.objects.filter(pk=OuterRef("deadline_id"))
        return queryset.filter(Exists(visible_to(user, deadlines)))
    return queryset.none()


# The lawyer register and its duty lists: reference data of the lawyer scheme, read by the staff
# who appoint lawyers and follow them; a lawyer sees their own entry and lists.
REGISTER_MODELS = ("casework.lawyer", "casework.dutylist", "casework.dutylistmember")
REGISTER_READERS = (Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS, Role.REGISTRAR)


def _lawyer_register_visible_to(user: AnyUser, queryset: QuerySet) -> QuerySet:
    if sees_everything(user) or has_role(user, *REGISTER_READERS):
        return queryset
    if has_role(user, Role.LAWYER):
        from casework.lawyers.models import DutyListMember

        # Each row once without DISTINCT (a list of the register stays a bounded read): the
        # lists are asked whether one of their places is the lawyer's.
        theirs = DutyListMember.objects.filter(
            duty_list=OuterRef("pk"), lawyer__user_id=user.pk or 0
        )
        own = {
            "casework.lawyer": Q(user_id=user.pk),
            "casework.dutylist": Q(Exists(theirs)),
            "casework.dutylistmember": Q(lawyer__user_id=user.pk),
        }[queryset.model._meta.label_lower]
        return queryset.filter(own)
    return queryset.none()


# Fields that some roles never see (data minimisation, GDPR art. 5(1)(c): a reception officer
# sees identity, placement and needs, never the asylum grounds or a decision's reasoning).
# Admin forms and API serializers drop them for those roles (``hidden_fields``).
SENSITIVE_FIELDS: dict[str, frozenset[str]] = {
    "casework.decision": frozenset({"grounds"}),
    "casework.appeal": frozenset({"late_reason"}),
    "casework.auditevent": frozenset({"reason", "changes"}),
    "casework.application": frozenset({"interview_waived_reason", "hold_reason"}),
}
ROLES_WITH_GROUNDS = (
    Role.LAWYER,  # the grounds are what their client's appeal answers
    Role.CASEWORKER,
    Role.DECISION_MAKER,
    Role.APPEALS,
    Role.AUDITOR,
)


# Health data (GDPR art. 9): what a special need is and the medical detail behind it, an age
# assessment's findings (the person's free-text ``health_needs`` follow the same roles: the
# API's ``SPECIAL_CATEGORY_ROLES``, the person's admin page). Seen by the roles whose work on
# the case needs them: its caseworkers and decision-makers (their unit's cases), the appeals body
# (appealed cases) and the applicant's own lawyer (their clients: the need bears on the claim
# and on the interview). Not by reception, who is told that a need exists and what the
# accommodation must offer (Reception Conditions Directive art. 22), nor by the auditor, who
# sees that records exist and who read them (the access log), as for ``health_needs`` in the
# API, nor by registration or integration officers.
HEALTH_FIELDS: dict[str, frozenset[str]] = {
    "casework.vulnerability": frozenset({"kind", "detail", "assessed_by", "end_reason"}),
    "casework.ageassessment": frozenset({"basis"}),
}
ROLES_WITH_HEALTH = (Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS, Role.LAWYER)


def sees_health_detail(user: AnyUser | None) -> bool:
    """Whether ``user``'s role reads the health detail of the people in their scope."""
    return bool(
        user is not None
        and getattr(user, "is_authenticated", False)
        and (user.is_superuser or has_role(user, *ROLES_WITH_HEALTH))
    )


def hidden_fields(user: AnyUser, model: Any) -> frozenset[str]:
    """Fields of ``model`` that ``user`` must not see: the grounds and the health detail, for
    roles without need."""
    label = model._meta.label_lower
    if label in HEALTH_FIELDS:
        return frozenset() if sees_health_detail(user) else HEALTH_FIELDS[label]
    if user.is_superuser or has_role(user, *ROLES_WITH_GROUNDS):
        return frozenset()
    return SENSITIVE_FIELDS.get(label, frozenset())


def applications_visible_to(user: AnyUser, queryset: QuerySet | None = None) -> QuerySet:
    """Applications ``user`` may see, as a queryset (admin lists, API, exports).

    Caseworkers and decision-makers see their unit's cases, the appeals body cases that have
    been appealed, a lawyer the cases of their own clients (a current appointment), police
    registration (who route cases) and auditors everything; other roles
    no applications. A case without a unit is seen only by those who route cases: it was every
    unit's before, so a case lodged through the API without a unit was open to every office.
    """
    from casework.applications.choices import State
    from casework.applications.models import Application

    qs = Application.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if user.is_superuser or has_role(user, Role.AUDITOR, Role.REGISTRAR):
        return qs
    allowed = Q(pk__in=[])
    if has_role(user, Role.CASEWORKER, Role.DECISION_MAKER):
        allowed |= Q(unit_id=unit_id_of(user))
    if has_role(user, Role.APPEALS):
        allowed |= Q(state=State.APPEALED) | Q(appealed_at__isnull=False)
    if has_role(user, Role.LAWYER):
        allowed |= Q(Exists(clients_cases_of(user)))
    return qs.filter(allowed)


def clients_cases_of(user: AnyUser) -> QuerySet:
    """The current appointments of the lawyer signed in as ``user``, correlated with the case
    (``OuterRef("pk")``): a lawyer sees a case while appointed on it, and not after."""
    from casework.lawyers.models import Appointment

    return Appointment.objects.filter(
        application=OuterRef("pk"), ends_on=None, lawyer__user_id=user.pk or 0
    )
