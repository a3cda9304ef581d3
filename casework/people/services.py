"""The only writers of people: registration, corrections, likely duplicates and merges.

Every service takes the acting user explicitly and runs in one transaction: lock, check
permission (raise), change, save, write one append-only audit event.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.history import history_user_id, save_new_with_history
from casework.audit.services import apply_changes, audit_log, audit_subject, record_values
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.people.choices import DuplicateStatus
from casework.people.documents import validate_scan
from casework.people.identity import (
    DUPLICATE_THRESHOLD,
    name_key,
    name_similarity,
    new_registration_number,
)
from casework.people.models import DuplicateFlag, HouseholdLink, IdentityDocument, Person
from casework.people.phones import phone_e164
from casework.people.rows import person_new, person_registered_rows
from casework.staff.users import AnyUser, recorded_user

log = logging.getLogger(__name__)


def person_register(
    *,
    actor: AnyUser | None,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    sex: str,
    nationality: str = "",
    year: int | None = None,
    **fields: Any,
) -> Person:
    """Register a person at intake, give them a registration number and flag likely duplicates.

    The registration number starts with the year of the first application (like the DUF
    number); a clash of the random part is retried.
    """
    year = year or timezone.localdate().year
    actor_id = getattr(actor, "pk", None)
    if "phone" in fields:
        fields["phone"] = _phone(fields["phone"])
    with transaction.atomic():
        for _attempt in range(8):
            person = person_new(
                given_name=given_name,
                family_name=family_name,
                date_of_birth=date_of_birth,
                sex=sex,
                nationality=nationality,
                registration_number=new_registration_number(year),
                **fields,
            )
            try:
                with transaction.atomic():
                    save_new_with_history(
                        person,
                        lambda saved: person_registered_rows(
                            saved,
                            actor_id=actor_id,
                            at=timezone.now(),
                            history_user_id=history_user_id(saved),
                        ),
                    )
                break
            except IntegrityError:
                if Person.objects.filter(registration_number=person.registration_number).exists():
                    continue
                raise
        flags = person_flag_duplicates(person=person)
        if flags:
            audit_log(
                actor=actor,
                action="duplicates_flagged",
                person=person,
                changes={"candidates": [f.candidate_id for f in flags]},
            )
    return person


def _phone(raw: Any) -> str:
    """The number in E.164 (``casework.people.phones``), or a field error naming ``phone``."""
    try:
        return phone_e164(str(raw or ""))
    except ValidationError as exc:
        raise TransitionInvalid({"phone": exc.messages[0]}) from exc


PERSON_EDITABLE_FIELDS = frozenset(
    {
        "given_name",
        "family_name",
        "name_in_document",
        "date_of_birth",
        "dob_precision",
        "sex",
        "nationality",
        "other_nationalities",
        "languages",
        "preferred_language",
        "interpreter_language",
        "interpreter_dialect",
        "interpreter_gender",
        "email",
        "phone",
        "unaccompanied_minor",
        "health_needs",
    }
)


def person_update(*, actor: AnyUser, person: Person, **fields: Any) -> Person:
    """Correct a person's registered details; the audit event names the fields, not the values.

    Values are personal data (some of it special-category): the field names are enough to
    find the change in the field history (django-simple-history) that keeps the values.
    """
    unknown = set(fields) - PERSON_EDITABLE_FIELDS
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("casework.change_person"):
        raise PermissionDenied(_("You may not change this person's details."))
    if "phone" in fields:
        fields["phone"] = _phone(fields["phone"])
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        changed = [k for k, v in fields.items() if getattr(person, k) != v]
        for key in changed:
            setattr(person, key, fields[key])
        if {"given_name", "family_name"} & set(changed):
            person.name_key = name_key(person.given_name, person.family_name)
        if "nationality" in changed:
            person.stateless = not person.nationality
        if changed:
            person.save()
            audit_log(
                actor=actor, action="person_changed", person=person, changes={"fields": changed}
            )
    return person


# An identity document is evidence of identity (its ``verified`` flag is a condition of a work
# permit, Immigration Act § 94), so its audit events keep every value before and after; they
# are blanked with the rest of the person's data when the person is anonymised.
IDENTITY_DOCUMENT_FIELDS = ("kind", "number", "issuing_country", "verified", "verified_at", "scan")
IDENTITY_DOCUMENT_EDITABLE_FIELDS = frozenset(
    {"kind", "number", "issuing_country", "verified", "verified_at", "scan"}
)


def identity_document_add(
    *,
    actor: AnyUser,
    person: Person,
    kind: str,
    number: str,
    issuing_country: str = "",
    verified: bool = False,
    verified_at: dt.datetime | None = None,
    scan: Any = None,
) -> IdentityDocument:
    """Record a document the person showed to establish identity (passport, ID card, …).

    A scan is checked by content and size (``documents.validate_scan``) before it is stored.
    """
    if not actor.has_perm("casework.add_identitydocument"):
        raise PermissionDenied(_("You may not add identity documents."))
    if scan:
        validate_scan(scan)
    with transaction.atomic():
        document = IdentityDocument.objects.create(
            person=person,
            kind=kind,
            number=number,
            issuing_country=issuing_country or "",
            verified=verified,
            verified_at=verified_at,
            scan=scan or "",
        )
        audit_log(
            actor=actor,
            action="identity_document_added",
            person=person,
            changes={
                "subject": audit_subject(document),
                "fields": record_values(document, IDENTITY_DOCUMENT_FIELDS),
            },
        )
    return document


def identity_document_update(
    *, actor: AnyUser, document: IdentityDocument, **fields: Any
) -> IdentityDocument:
    """Correct a document's details, record that it was verified, or attach a new scan."""
    unknown = set(fields) - IDENTITY_DOCUMENT_EDITABLE_FIELDS
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    if not actor.has_perm("casework.change_identitydocument"):
        raise PermissionDenied(_("You may not change identity documents."))
    if fields.get("scan"):
        validate_scan(fields["scan"])
    with transaction.atomic():
        document = IdentityDocument.objects.select_for_update().get(pk=document.pk)
        changed = apply_changes(document, fields)
        if changed:
            document.save()
            audit_log(
                actor=actor,
                action="identity_document_changed",
                person=document.person,
                changes={"subject": audit_subject(document), "fields": changed},
            )
    return document


def identity_document_remove(*, actor: AnyUser, document: IdentityDocument) -> None:
    """Remove a document recorded in error; its scan file goes once the removal is committed
    (the file is the most sensitive thing held, and nothing points at it any more)."""
    if not actor.has_perm("casework.delete_identitydocument"):
        raise PermissionDenied(_("You may not remove identity documents."))
    with transaction.atomic():
        document = IdentityDocument.objects.select_for_update().get(pk=document.pk)
        audit_log(
            actor=actor,
            action="identity_document_removed",
            person=document.person,
            changes={
                "subject": audit_subject(document),
                "fields": record_values(document, IDENTITY_DOCUMENT_FIELDS, removed=True),
            },
        )
        scan = document.scan
        document.delete()
        if scan:
            transaction.on_commit(lambda: scan.storage.delete(scan.name), robust=True)


# Who is whose relative decides family reunification and placements together: each link's
# audit events keep the values (relative by id) as added and as removed.
HOUSEHOLD_LINK_FIELDS = ("person", "relative", "relation")


def household_link_add(
    *, actor: AnyUser, person: Person, relative: Person, relation: str
) -> HouseholdLink:
    """Record that ``person`` is the ``relation`` of ``relative`` (e.g. the child of)."""
    if not actor.has_perm("casework.add_householdlink"):
        raise PermissionDenied(_("You may not add household links."))
    with transaction.atomic():
        link = HouseholdLink.objects.create(person=person, relative=relative, relation=relation)
        audit_log(
            actor=actor,
            action="household_link_added",
            person=person,
            changes={
                "subject": audit_subject(link),
                "fields": record_values(link, HOUSEHOLD_LINK_FIELDS),
            },
        )
    return link


def household_link_remove(*, actor: AnyUser, link: HouseholdLink) -> None:
    """Remove a household link recorded in error (a correction is a removal and a new link)."""
    if not actor.has_perm("casework.delete_householdlink"):
        raise PermissionDenied(_("You may not remove household links."))
    with transaction.atomic():
        audit_log(
            actor=actor,
            action="household_link_removed",
            person=link.person,
            changes={
                "subject": audit_subject(link),
                "fields": record_values(link, HOUSEHOLD_LINK_FIELDS, removed=True),
            },
        )
        link.delete()


def person_flag_duplicates(*, person: Person) -> list[DuplicateFlag]:
    """Flag people with the same birth date and nationality whose name sounds alike.

    Candidates come from an indexed lookup (birth date, nationality), so the comparison in
    Python runs over a handful of rows, never over the register.
    """
    candidates = (
        Person.objects.filter(
            date_of_birth=person.date_of_birth,
            nationality=person.nationality,
            merged_into=None,
        )
        .exclude(pk=person.pk)
        .only("id", "given_name", "family_name")[:200]
    )
    flags = []
    for other in candidates:
        score = name_similarity(
            (person.given_name, person.family_name), (other.given_name, other.family_name)
        )
        if score >= DUPLICATE_THRESHOLD:
            flag, _created = DuplicateFlag.objects.get_or_create(
                person=person, candidate=other, defaults={"score": round(score, 3)}
            )
            flags.append(flag)
    return flags


def duplicate_dismiss(*, actor: AnyUser, flag: DuplicateFlag) -> DuplicateFlag:
    """A caseworker decides that two people are different humans."""
    return _duplicate_resolve(actor=actor, flag=flag, status=DuplicateStatus.DISMISSED)


def duplicate_merge(*, actor: AnyUser, flag: DuplicateFlag) -> Person:
    """Merge the newer record into the older: its applications move, the older number stays."""
    _duplicate_resolve(actor=actor, flag=flag, status=DuplicateStatus.MERGED)
    keep, drop = sorted([flag.person, flag.candidate], key=lambda p: (p.created_at, p.pk))
    with transaction.atomic():
        moved = list(drop.applications.values_list("id", flat=True))
        drop.applications.update(person=keep)
        Person.objects.filter(pk=drop.pk).update(merged_into=keep)
        audit_log(
            actor=actor,
            action="person_merged",
            person=keep,
            changes={"merged": drop.registration_number, "applications": moved},
        )
    return keep


def _duplicate_resolve(*, actor: AnyUser, flag: DuplicateFlag, status: str) -> DuplicateFlag:
    if not actor.has_perm("casework.assign_application", None):
        raise PermissionDenied(_("Only caseworkers resolve duplicate flags."))
    with transaction.atomic():
        flag = DuplicateFlag.objects.select_for_update().get(pk=flag.pk)
        if flag.status != DuplicateStatus.OPEN:
            raise TransitionConflict(_("This flag was already resolved."))
        flag.status = status
        flag.resolved_by = recorded_user(actor)
        flag.resolved_at = timezone.now()
        flag.save(update_fields=["status", "resolved_by", "resolved_at"])
        audit_log(
            actor=actor,
            action=f"duplicate_{status}",
            person=flag.person,
            changes={"candidate": flag.candidate_id},
        )
    return flag
