"""Which municipality an integration officer works for: the people they see follow from it."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from casework.audit.services import audit_log, audit_subject
from casework.staff.users import AnyUser
from reception.models import Municipality

from ..models import MunicipalityOfficer


def municipality_officer_add(
    *, actor: AnyUser, user: User, municipality: Municipality
) -> MunicipalityOfficer:
    """Let an integration officer act for a municipality: they then see the people settled
    there and run their introduction programmes (Introduction Act: the municipality of
    settlement provides the programme)."""
    if not actor.has_perm("integration.add_municipalityofficer"):
        raise PermissionDenied(_("You may not assign integration officers."))
    with transaction.atomic():
        officer = MunicipalityOfficer.objects.create(user=user, municipality=municipality)
        audit_log(
            actor=actor,
            action="municipality_officer_added",
            changes={"subject": audit_subject(municipality), "user": user.pk},
        )
    return officer


def municipality_officer_remove(*, actor: AnyUser, officer: MunicipalityOfficer) -> None:
    """The officer no longer works for the municipality: from now on they see none of it."""
    if not actor.has_perm("integration.delete_municipalityofficer"):
        raise PermissionDenied(_("You may not remove integration officers."))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="municipality_officer_removed",
            changes={"subject": audit_subject(officer.municipality), "user": officer.user_id},
        )
        officer.delete()
