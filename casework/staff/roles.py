"""Who a staff user is: their roles (Django groups) and their unit, cached on the user object.

Kept in one place so the rules, the admin, the API and the selectors ask the same question
the same way, at the cost of one query per request.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

from django.db.models import Model, QuerySet

from casework.staff.choices import Role
from casework.staff.users import AnyUser, OnUser

if TYPE_CHECKING:
    from django.contrib.auth.models import User

_M = TypeVar("_M", bound=Model)

# What a request loaded about its user (``_load``, ``load_roles_and_permissions``).
ROLES: OnUser[frozenset[str]] = OnUser("_casework_roles")
UNIT: OnUser[int | None] = OnUser("_casework_unit")
# The language chosen on the staff profile ("" when none: the browser's).
LANGUAGE: OnUser[str] = OnUser("_casework_language")
# ``ModelBackend``'s own caches of a user's permissions, under its names.
USER_PERMS: OnUser[set[str]] = OnUser("_user_perm_cache")
GROUP_PERMS: OnUser[set[str]] = OnUser("_group_perm_cache")
PERMS: OnUser[set[str]] = OnUser("_perm_cache")


def _load(user: User) -> None:
    """Roles, unit and language in one query (a row per group, the unit and language
    repeated), cached on the user.

    For an active staff user who is not a superuser that one query also brings their model
    permissions (``load_roles_and_permissions``): every admin page and API call asks both,
    and two queries (roles, then permissions) were one more round trip on each of them.
    """
    from django.contrib.auth import get_user_model

    if user.is_active and not user.is_superuser:
        load_roles_and_permissions(user)
        if ROLES.loaded(user):
            return
    rows = list(
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list("groups__name", "staff_profile__unit_id", "staff_profile__language")
    )
    ROLES.set(user, frozenset(name for name, _unit, _language in rows if name))
    UNIT.set(user, rows[0][1] if rows else None)
    LANGUAGE.set(user, (rows[0][2] if rows else None) or "")


def load_roles_and_permissions(user: AnyUser) -> None:
    """Roles, unit and model permissions of a signed-in staff user in one query, on the user.

    A request checks a model permission (``has_perm``: Django's ``ModelBackend`` asks the user's own
    and their groups' permissions, two queries) and then the user's roles and unit (scoping, field
    hiding: one more). Profiling the API list (docs/performance.md) counted those three among six;
    here they are one ``UNION ALL``, and the results are left where each asker looks: our
    ``_casework_roles``/``_casework_unit``, and ``ModelBackend``'s own permission caches
    (``_user_perm_cache``, ``_group_perm_cache``, ``_perm_cache``: the same sets, in its
    ``app_label.codename`` form, that it would have built). Superusers (every permission without a
    query) and inactive users (none) are left to Django.
    """
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission
    from django.db.models import CharField, IntegerField, Value

    if not user.is_authenticated or not user.is_active or user.is_superuser or PERMS.loaded(user):
        return
    text: CharField[str, str] = CharField()
    number: IntegerField[int, int] = IntegerField()
    by_group = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .order_by()  # a compound statement's parts have no ORDER BY (SQLite)
        .values_list(
            Value("g", output_field=text),
            "groups__name",
            "staff_profile__unit_id",
            "staff_profile__language",
            "groups__permissions__content_type__app_label",
            "groups__permissions__codename",
        )
    )
    own = (
        Permission.objects.filter(user=user.pk)
        .order_by()
        .values_list(
            Value("u", output_field=text),
            Value(None, output_field=text),
            Value(None, output_field=number),
            Value(None, output_field=text),
            "content_type__app_label",
            "codename",
        )
    )
    rows = list(by_group.union(own, all=True))
    groups = [row for row in rows if row[0] == "g"]
    ROLES.set(user, frozenset(row[1] for row in groups if row[1]))
    UNIT.set(user, groups[0][2] if groups else None)
    LANGUAGE.set(user, (groups[0][3] if groups else None) or "")
    group_perms = GROUP_PERMS.set(user, {f"{row[4]}.{row[5]}" for row in groups if row[5]})
    user_perms = USER_PERMS.set(user, {f"{row[4]}.{row[5]}" for row in rows if row[0] == "u"})
    PERMS.set(user, user_perms | group_perms)


def with_roles_and_permissions(queryset: QuerySet[_M], user_field: str) -> QuerySet[_M]:
    """``queryset`` (whose rows each name a user by ``user_field``) annotated with what
    ``load_roles_and_permissions`` reads, as arrays, for ``set_roles_and_permissions`` to put
    on the user: the API's token statement brings the user and their roles together, one round
    trip fewer on every API request. PostgreSQL only (``ArraySubquery``)."""
    from django.contrib.auth.models import Group, Permission
    from django.contrib.postgres.expressions import ArraySubquery
    from django.db.models import F, OuterRef, Value
    from django.db.models.functions import Concat

    who = OuterRef(f"{user_field}_id")
    label = Concat("content_type__app_label", Value("."), "codename")
    return queryset.annotate(
        _roles=ArraySubquery(Group.objects.filter(user=who).order_by().values("name")),
        _unit=F(f"{user_field}__staff_profile__unit_id"),
        _language=F(f"{user_field}__staff_profile__language"),
        _group_perms=ArraySubquery(
            Permission.objects.filter(group__user=who).order_by().annotate(p=label).values("p")
        ),
        _user_perms=ArraySubquery(
            Permission.objects.filter(user=who).order_by().annotate(p=label).values("p")
        ),
    )


def set_roles_and_permissions(user: AnyUser, row: Any) -> None:
    """Put on ``user`` what ``with_roles_and_permissions`` read with ``row``: the same values
    ``_load`` and ``load_roles_and_permissions`` would have left (permissions only for an
    active staff user who is not a superuser, as there)."""
    ROLES.set(user, frozenset(row._roles))
    UNIT.set(user, row._unit)
    LANGUAGE.set(user, row._language or "")
    if user.is_active and not user.is_superuser:
        group_perms = GROUP_PERMS.set(user, set(row._group_perms))
        user_perms = USER_PERMS.set(user, set(row._user_perms))
        PERMS.set(user, user_perms | group_perms)


def role_names(user: AnyUser | None) -> frozenset[str]:
    if user is None or not user.is_authenticated:
        return frozenset()
    names = ROLES.get(user)
    if names is None:
        _load(user)
        names = ROLES.get(user)
    return names or frozenset()


def language_of(user: AnyUser | None) -> str:
    """The staff interface language the user chose, or "" (the browser's)."""
    if user is None or not user.is_authenticated:
        return ""
    if not LANGUAGE.loaded(user):
        _load(user)
    return LANGUAGE.get(user) or ""


def has_role(user: AnyUser | None, *roles: Role | str) -> bool:
    names = role_names(user)
    return any(str(role) in names for role in roles)


def unit_id_of(user: AnyUser | None) -> int | None:
    """The unit (office) a staff user belongs to, or None."""
    if user is None or not user.is_authenticated:
        return None
    if not UNIT.loaded(user):
        _load(user)
    return UNIT.get(user)


# Model permissions each role's group holds (admin and API access to the model as a whole).
# Object rules (unit, assignment) are in ``casework.applications.rules``; transition
# permissions are never here.
# Other apps add theirs with ``grant`` from their AppConfig.ready.
ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CASEWORKER: {
        "casework.view_person",
        "casework.add_person",
        "casework.change_person",
        "casework.view_application",
        "casework.add_application",
        "casework.change_application",
        "casework.view_interview",
        "casework.add_interview",
        "casework.change_interview",
        "casework.view_decision",
        "casework.view_appeal",
        "casework.view_auditevent",
        "casework.view_identitydocument",
        "casework.add_identitydocument",
        "casework.change_identitydocument",
        "casework.view_householdlink",
        "casework.add_householdlink",
        "casework.view_duplicateflag",
        "casework.change_duplicateflag",
        "casework.view_reminder",
        "casework.view_deadline",
    },
    Role.DECISION_MAKER: {
        "casework.view_person",
        "casework.view_application",
        "casework.change_application",
        "casework.view_interview",
        "casework.add_interview",
        "casework.change_interview",
        "casework.view_decision",
        "casework.view_appeal",
        "casework.view_auditevent",
        "casework.view_identitydocument",
        "casework.view_householdlink",
        "casework.view_reminder",
        "casework.view_deadline",
    },
    Role.APPEALS: {
        "casework.view_person",
        "casework.view_application",
        "casework.change_application",
        "casework.view_decision",
        "casework.view_appeal",
        "casework.view_auditevent",
        "casework.view_interview",
    },
    Role.REGISTRAR: {
        "casework.view_person",
        "casework.add_person",
        "casework.change_person",
        "casework.view_application",
        "casework.add_application",
        "casework.view_identitydocument",
        "casework.add_identitydocument",
    },
    Role.RECEPTION: {"casework.view_person"},
    Role.INTEGRATION: {"casework.view_person"},
    Role.AUDITOR: set(),  # filled with every view_* permission at sync time
    # A lawyer reads their clients' cases (the scope is ``casework.privacy.scopes``: the cases
    # of their current appointments) and lodges the appeal (an object rule); nothing else.
    Role.LAWYER: {
        "casework.view_person",
        "casework.view_application",
        "casework.view_interview",
        "casework.view_decision",
        "casework.view_appeal",
        "casework.view_appointment",
        "casework.view_lawyer",
    },
}


def grant(role: Role | str, *perms: str) -> None:
    """Let another app give a role the model permissions its admin and API need."""
    ROLE_PERMISSIONS.setdefault(str(role), set()).update(perms)


def sync_role_permissions(**_: object) -> None:
    """Create the role groups and give each exactly its permissions (runs after migrate)."""
    from django.contrib.auth.models import Group, Permission

    all_perms = {
        f"{p.content_type.app_label}.{p.codename}": p
        for p in Permission.objects.select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = set(ROLE_PERMISSIONS.get(role.value, set()))
        if role == Role.AUDITOR:
            wanted |= {
                k
                for k in all_perms
                if k.split(".")[1].startswith("view_")
                and k.split(".")[0] in {"casework", "reception", "integration"}
            }
        group.permissions.set([all_perms[p] for p in wanted if p in all_perms])


# Statistics are aggregates without personal data: every role may see the statistics page.
for _role in Role:
    grant(_role, "casework.view_statistics")
# The lawyer scheme: caseworkers and decision-makers read the register and the duty lists,
# take the next lawyer in turn, appoint lawyers and record minors' representatives; the register
# itself is kept by administrators (superusers).
for _role in (Role.CASEWORKER, Role.DECISION_MAKER):
    grant(
        _role,
        "casework.view_lawyer",
        "casework.view_dutylist",
        "casework.view_appointment",
        "casework.add_appointment",
        "casework.change_appointment",
        "casework.view_representative",
        "casework.add_representative",
        "casework.change_representative",
    )
grant(Role.APPEALS, "casework.view_lawyer", "casework.view_appointment")
grant(
    Role.REGISTRAR,
    "casework.view_representative",
    "casework.add_representative",
    "casework.change_representative",
)
# Registration officers import arrivals in bulk (CSV) and follow the import's progress.
grant(Role.REGISTRAR, "casework.view_importjob", "casework.add_importjob")
# Letters to the applicant: caseworkers and decision-makers write and send them; the police
# (registration) hand printed letters over and record it; the appeals body reads them.
for _role in (Role.CASEWORKER, Role.DECISION_MAKER):
    grant(
        _role,
        "casework.view_letter",
        "casework.add_letter",
        "casework.change_letter",
        "casework.view_letterdelivery",
    )
grant(
    Role.REGISTRAR, "casework.view_letter", "casework.change_letter", "casework.view_letterdelivery"
)
grant(Role.APPEALS, "casework.view_letter", "casework.view_letterdelivery")
# Vulnerability and health: caseworkers and decision-makers record special needs and age
# assessments and read them; the appeals body and a client's lawyer read them; reception reads
# that a need exists and the accommodation it requires (the detail is hidden from it:
# ``casework.privacy.scopes.HEALTH_FIELDS``) and records its residents' tuberculosis screening.
for _role in (Role.CASEWORKER, Role.DECISION_MAKER):
    grant(
        _role,
        "casework.view_vulnerability",
        "casework.add_vulnerability",
        "casework.change_vulnerability",
        "casework.view_ageassessment",
        "casework.add_ageassessment",
        "casework.view_tbscreening",
        "casework.change_tbscreening",
    )
for _role in (Role.APPEALS, Role.LAWYER):
    grant(_role, "casework.view_vulnerability", "casework.view_ageassessment")
grant(
    Role.RECEPTION,
    "casework.view_vulnerability",
    "casework.view_tbscreening",
    "casework.change_tbscreening",
)
