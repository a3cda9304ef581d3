"""The only writers of staff reference data: units and staff profiles.

Which unit a staff user belongs to decides which cases they see (``casework.privacy.scopes``),
so these changes are audited like a case's, with before and after (units are not personal
data).
"""

from __future__ import annotations

from typing import Any, TypeVar

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.utils.translation import gettext as _

from casework.audit.services import apply_changes, audit_log, audit_subject
from casework.core.exceptions import TransitionInvalid
from casework.staff.choices import StaffLanguage
from casework.staff.models import StaffProfile, Unit
from casework.staff.users import AnyUser

_Row = TypeVar("_Row", bound=models.Model)


def unit_create(*, actor: AnyUser, code: str, name: str) -> Unit:
    """Open an office of the authority that cases can be routed to."""
    if not actor.has_perm("casework.add_unit"):
        raise PermissionDenied(_("You may not add units."))
    with transaction.atomic():
        unit = Unit.objects.create(code=code, name=name)
        audit_log(
            actor=actor,
            action="unit_created",
            changes={"subject": audit_subject(unit), "code": code, "name": name},
        )
    return unit


UNIT_EDITABLE_FIELDS = frozenset({"code", "name"})


def unit_update(*, actor: AnyUser, unit: Unit, **fields: Any) -> Unit:
    """Rename an office or correct its code."""
    return _reference_update(
        actor=actor,
        record=unit,
        fields=fields,
        editable=UNIT_EDITABLE_FIELDS,
        permission="casework.change_unit",
        action="unit_changed",
    )


def staff_profile_create(
    *, actor: AnyUser, user: User, unit: Unit | None = None, language: str = ""
) -> StaffProfile:
    """Give a staff user their unit (the cases they see) and their language."""
    if not actor.has_perm("casework.add_staffprofile"):
        raise PermissionDenied(_("You may not add staff profiles."))
    with transaction.atomic():
        profile = StaffProfile.objects.create(user=user, unit=unit, language=language)
        audit_log(
            actor=actor,
            action="staff_profile_created",
            changes={
                "subject": audit_subject(profile),
                "user": user.pk,
                "unit": getattr(unit, "pk", None),
                "language": language,
            },
        )
    return profile


STAFF_PROFILE_EDITABLE_FIELDS = frozenset({"unit", "language"})


def staff_profile_update(*, actor: AnyUser, profile: StaffProfile, **fields: Any) -> StaffProfile:
    """Move a staff user to another unit (they then see its cases) or change their language."""
    return _reference_update(
        actor=actor,
        record=profile,
        fields=fields,
        editable=STAFF_PROFILE_EDITABLE_FIELDS,
        permission="casework.change_staffprofile",
        action="staff_profile_changed",
    )


def staff_language_set(*, actor: AnyUser, language: str) -> StaffProfile:
    """A staff user chooses the language of their own staff interface (and reminders).

    Anyone signed in to the admin may, for themselves only; blank follows the browser. The
    profile is created when the user has none yet (a unit is then given by an administrator).
    """
    if not actor.is_authenticated or not actor.is_staff:
        raise PermissionDenied(_("You may not change this."))
    if language not in StaffLanguage.values:
        raise TransitionInvalid({"language": _("Choose one of the languages offered.")})
    with transaction.atomic():
        profile, _created = StaffProfile.objects.select_for_update().get_or_create(user=actor)
        changed = apply_changes(profile, {"language": language})
        if changed:
            profile.save(update_fields=["language"])
            audit_log(
                actor=actor,
                action="staff_language_changed",
                changes={"subject": audit_subject(profile), "fields": changed},
            )
    return profile


def _reference_update(
    *,
    actor: AnyUser,
    record: _Row,
    fields: dict[str, Any],
    editable: frozenset[str],
    permission: str,
    action: str,
) -> _Row:
    """Lock, check, change and audit (before and after) one row of reference data."""
    unknown = set(fields) - editable
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm(permission):
        raise PermissionDenied(_("You may not change this."))
    with transaction.atomic():
        record = type(record)._default_manager.select_for_update().get(pk=record.pk)
        changed = apply_changes(record, fields)
        if changed:
            record.save()
            audit_log(
                actor=actor,
                action=action,
                changes={"subject": audit_subject(record), "fields": changed},
            )
    return record
