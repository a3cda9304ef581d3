"""Who may read and write a case's notes and documents: every check of the case file, here.

The services, the selectors, the admin's case page and the API all ask these functions, so a
new role is taught the case file in one place. The staff rule:

- reading: the model permission (``view_casenote``, ``view_casedocument``: caseworkers,
  decision-makers, the appeals body, auditors) and the case within the user's scope
  (``casework.privacy.scopes.applications_visible_to``: a caseworker their unit's cases, the
  appeals body appealed cases, …); staff read every visibility;
- writing a note or uploading a document: ``add_casenote`` / ``add_casedocument`` and the case
  in scope; a new version of a document: ``change_casedocument``;
- correcting a note: ``change_casenote``, the case in scope, and being its author (a note is
  its author's account; someone else adds a note of their own).

Roles outside the authority (the applicant's lawyer) are added with
``register_case_file_access``: which cases they reach and which visibilities they read
(``Visibility.LAWYER``: only what is shared with them, never an internal note), and whether
they may write notes or upload documents. Nothing else needs to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from casework.casefile.choices import Visibility
from casework.privacy.scopes import applications_visible_to
from casework.staff.choices import Role
from casework.staff.roles import grant, has_role
from casework.staff.users import AnyUser

# Model permissions of the staff roles (the auditor gets every view_* at sync time).
for _role in (Role.CASEWORKER, Role.DECISION_MAKER, Role.APPEALS):
    grant(
        _role,
        "casework.view_casenote",
        "casework.add_casenote",
        "casework.change_casenote",
        "casework.view_casedocument",
        "casework.add_casedocument",
        "casework.change_casedocument",
    )


@dataclass(frozen=True)
class CaseFileAccess:
    """What a role outside the staff rule reaches: ``cases(user)`` is a ``Q`` on Application;
    ``visibilities`` the notes and documents it reads there."""

    role: str
    cases: Callable[[Any], Q]
    visibilities: tuple[str, ...] = (Visibility.LAWYER,)
    may_note: bool = False
    may_upload: bool = False


_accesses: dict[str, CaseFileAccess] = {}


def register_case_file_access(access: CaseFileAccess) -> None:
    """Teach the case file a role (``CaseFileAccess``); a second registration replaces it."""
    _accesses[access.role] = access


def _accesses_of(user: AnyUser) -> list[CaseFileAccess]:
    return [access for role, access in _accesses.items() if has_role(user, role)]


def _signed_in(user: AnyUser | None) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


READ_IN_SCOPE_OF = "read_in_scope_of"  # annotation: the user whose scope the case was read in


def _case_in_scope(user: AnyUser, application: Any) -> bool:
    """Whether the user's scope holds the case. A case the caller read through that very
    scope (the case page: ``applications_visible_to(user, …)`` annotated with the user's id
    as ``READ_IN_SCOPE_OF``) is not asked again."""
    read_by = getattr(application, READ_IN_SCOPE_OF, None)
    if read_by is not None and read_by == getattr(user, "pk", None):
        return True
    return applications_visible_to(user).filter(pk=application.pk).exists()


def _reach(user: AnyUser, perm: str, *, writing: str | None = None) -> Q:
    """A ``Q`` on a note or document: the rows of the cases ``user`` reaches with ``perm``
    (staff) or a registered access (for reading, only its visibilities)."""
    where = Q(pk__in=[])
    if user.has_perm(perm):
        if user.is_superuser:
            return Q()
        where |= Q(application__in=applications_visible_to(user).values("pk"))
    for access in _accesses_of(user):
        if writing is not None and not getattr(access, writing):
            continue
        from casework.applications.models import Application

        cases = Application.objects.filter(access.cases(user)).values("pk")
        where |= Q(application__in=cases, visibility__in=access.visibilities)
    return where


# --- notes ------------------------------------------------------------------------------


def notes_visible_to(user: AnyUser | None, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The notes of ``queryset`` that ``user`` may read."""
    if not _signed_in(user):
        return queryset.none()
    assert user is not None
    return queryset.filter(_reach(user, "casework.view_casenote"))


def may_read_notes(user: AnyUser | None, application: Any) -> bool:
    """Whether ``user`` reads any notes of ``application`` (the case page's notes panel)."""
    if not _signed_in(user):
        return False
    assert user is not None
    if user.has_perm("casework.view_casenote") and _case_in_scope(user, application):
        return True
    return any(
        application.__class__.objects.filter(access.cases(user), pk=application.pk).exists()
        for access in _accesses_of(user)
    )


def may_write_note(user: AnyUser | None, application: Any) -> bool:
    if not _signed_in(user):
        return False
    assert user is not None
    if user.has_perm("casework.add_casenote") and _case_in_scope(user, application):
        return True
    return any(
        access.may_note
        and application.__class__.objects.filter(access.cases(user), pk=application.pk).exists()
        for access in _accesses_of(user)
    )


def may_correct_note(user: AnyUser | None, note: Any) -> bool:
    """Its author, while they may still see the case (or the superuser)."""
    if not _signed_in(user):
        return False
    assert user is not None
    if user.is_superuser:
        return True
    if note.author_id != user.pk:
        return False
    if user.has_perm("casework.change_casenote") and _case_in_scope(user, note.application):
        return True
    return any(
        access.may_note
        and note.application.__class__.objects.filter(
            access.cases(user), pk=note.application_id
        ).exists()
        for access in _accesses_of(user)
    )


# --- documents --------------------------------------------------------------------------


def documents_visible_to(user: AnyUser | None, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """The documents of ``queryset`` that ``user`` may read (and download)."""
    if not _signed_in(user):
        return queryset.none()
    assert user is not None
    return queryset.filter(_reach(user, "casework.view_casedocument"))


def may_read_documents(user: AnyUser | None, application: Any) -> bool:
    if not _signed_in(user):
        return False
    assert user is not None
    if user.has_perm("casework.view_casedocument") and _case_in_scope(user, application):
        return True
    return any(
        application.__class__.objects.filter(access.cases(user), pk=application.pk).exists()
        for access in _accesses_of(user)
    )


def may_upload_document(user: AnyUser | None, application: Any) -> bool:
    if not _signed_in(user):
        return False
    assert user is not None
    if user.has_perm("casework.add_casedocument") and _case_in_scope(user, application):
        return True
    return any(
        access.may_upload
        and application.__class__.objects.filter(access.cases(user), pk=application.pk).exists()
        for access in _accesses_of(user)
    )


def may_add_version(user: AnyUser | None, document: Any) -> bool:
    """A new file for a document: staff with ``change_casedocument`` on the case, or a
    registered role that may upload and reads the document."""
    if not _signed_in(user):
        return False
    assert user is not None
    if user.has_perm("casework.change_casedocument") and _case_in_scope(user, document.application):
        return True
    readable = documents_visible_to(user, document.__class__.objects.filter(pk=document.pk))
    return any(access.may_upload for access in _accesses_of(user)) and readable.exists()


def case_file_cases(user: AnyUser | None) -> QuerySet[Any]:
    """The cases whose file ``user`` reaches at all (the API's ``applications/{id}/notes/``
    and ``…/documents/``: any other case is a 404)."""
    from casework.applications.models import Application

    if not _signed_in(user):
        return Application.objects.none()
    assert user is not None
    where = Q(pk__in=[])
    if user.has_perm("casework.view_casenote") or user.has_perm("casework.view_casedocument"):
        if user.is_superuser:
            return Application.objects.all()
        where |= Q(pk__in=applications_visible_to(user).values("pk"))
    for access in _accesses_of(user):
        where |= access.cases(user)
    return Application.objects.filter(where)


@dataclass(frozen=True)
class CaseFileRights:
    """What one user may do with one case's file, asked once for a page."""

    reads_notes: bool = False
    writes_notes: bool = False
    corrects_notes: bool = False  # their own notes
    reads_documents: bool = False
    uploads: bool = False
    adds_versions: bool = False


def case_file_rights(
    user: AnyUser | None, application: Any, *, in_scope: bool | None = None
) -> CaseFileRights:
    """Everything ``user`` may do with ``application``'s file, in at most one query per
    registered access (none for staff when the caller already found the case through the
    user's scope: ``in_scope=True``, as the admin's case page does)."""
    if not _signed_in(user):
        return CaseFileRights()
    assert user is not None
    if in_scope is None:
        in_scope = _case_in_scope(user, application)
    rights = {
        "reads_notes": in_scope and user.has_perm("casework.view_casenote"),
        "writes_notes": in_scope and user.has_perm("casework.add_casenote"),
        "corrects_notes": in_scope and user.has_perm("casework.change_casenote"),
        "reads_documents": in_scope and user.has_perm("casework.view_casedocument"),
        "uploads": in_scope and user.has_perm("casework.add_casedocument"),
        "adds_versions": in_scope and user.has_perm("casework.change_casedocument"),
    }
    for access in _accesses_of(user):
        model = application.__class__
        if not model.objects.filter(access.cases(user), pk=application.pk).exists():
            continue
        rights["reads_notes"] = rights["reads_documents"] = True
        if access.may_note:
            rights["writes_notes"] = rights["corrects_notes"] = True
        if access.may_upload:
            rights["uploads"] = rights["adds_versions"] = True
    return CaseFileRights(**{k: bool(v) for k, v in rights.items()})


def scope_rows(user: AnyUser, queryset: QuerySet[Any]) -> QuerySet[Any]:
    """``casework.privacy.scopes.visible_to`` for the case file's four models."""
    model = queryset.model._meta.model_name
    if model == "casenote":
        return notes_visible_to(user, queryset)
    if model == "casedocument":
        return documents_visible_to(user, queryset)
    parent = "note" if model == "casenoteversion" else "document"
    parents = queryset.model._meta.get_field(parent).related_model._default_manager.all()
    visible = scope_rows(user, parents)
    return queryset.filter(**{f"{parent}__in": visible.values("pk")})


def access_grants(user: AnyUser | None, perm: str) -> bool:
    """Whether a registered access gives ``user`` what the model permission ``perm`` stands
    for at the API's door (``casework.api.base.RolePermission``): reading notes and documents
    for any access, writing notes with ``may_note``, uploading with ``may_upload``. Which
    cases and which visibilities stay this module's rows; the role holds no model permission,
    so the staff rule never opens their internal notes."""
    if not _signed_in(user):
        return False
    assert user is not None
    wanted = {
        "casework.view_casenote": None,
        "casework.view_casedocument": None,
        "casework.add_casenote": "may_note",
        "casework.change_casenote": "may_note",
        "casework.add_casedocument": "may_upload",
        "casework.change_casedocument": "may_upload",
    }
    if perm not in wanted:
        return False
    flag = wanted[perm]
    return any(flag is None or getattr(access, flag) for access in _accesses_of(user))


def upload_visibilities(user: AnyUser | None, application: Any) -> tuple[str, ...]:
    """The visibilities ``user`` may give a document they add to ``application``: every one
    for staff; for a registered role only those it reads itself (a lawyer's submission is
    shared with the lawyer: they must still see what they sent)."""
    if not _signed_in(user):
        return ()
    assert user is not None
    if user.has_perm("casework.add_casedocument") and _case_in_scope(user, application):
        return tuple(Visibility.values)
    found: list[str] = []
    for access in _accesses_of(user):
        if (
            access.may_upload
            and application.__class__.objects.filter(access.cases(user), pk=application.pk).exists()
        ):
            found.extend(v for v in access.visibilities if v not in found)
    return tuple(found)


def role_reads_case_file(user: AnyUser | None) -> bool:
    """Whether the user's role has any part in the case file (for menus and panels)."""
    if not _signed_in(user):
        return False
    assert user is not None
    return bool(
        user.has_perm("casework.view_casenote")
        or user.has_perm("casework.view_casedocument")
        or _accesses_of(user)
    )


__all__ = [
    "CaseFileAccess",
    "access_grants",
    "CaseFileRights",
    "case_file_rights",
    "case_file_cases",
    "documents_visible_to",
    "may_add_version",
    "may_correct_note",
    "may_read_documents",
    "may_read_notes",
    "may_upload_document",
    "may_write_note",
    "notes_visible_to",
    "register_case_file_access",
    "role_reads_case_file",
    "scope_rows",
    "upload_visibilities",
]
