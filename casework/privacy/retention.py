"""Retention, anonymisation, subject access and erasure (GDPR art. 5(1)(e), 15 and 17).

- ``people_due_for_anonymisation``: people every one of whose applications closed (decision
  or withdrawal, ``Application.decided_at``) more than ``RETENTION_YEARS[state]`` years ago.
- ``people_anonymise``: set-based updates over any number of people, in every app: each
  model registered in ``casework.privacy.registry`` (casework's in ``personal``, reception's
  and integration's from their ``ready``) says which of its fields go. Names, contact
  details, identifiers, document numbers and scans, free-text grounds and reasons (a lawyer's
  name, a transfer's reason, a work permit's grounds, a family member's exception, programme
  notes) and the audit trail's reasons and recorded values go; nationality, sex, year of
  birth, outcomes, kinds, tracks, states, levels and dates stay, so every statistic
  (applications and decisions by nationality, outcome, year, age group) is the same before
  and after. The date of birth becomes 1 January of its year with ``dob_precision=year``
  (the register's own convention for a year-only birth date). Field-history rows
  (django-simple-history) are purged: they hold the old names. Each person anonymised gets
  one audit event that says so, and why, with nothing personal in it.
- ``anonymise_due``: what the periodic task and ``manage.py anonymise_due`` run.
- ``person_export``: everything held about one person, one section per registered model
  (subject access).
- ``person_erase``: anonymise one person now, with a reason, where the law allows it: never
  while a case is open (the authority must still decide it; Immigration Act § 83 and
  Personal Data Act art. 17(3)(b): processing needed for a legal obligation). The admin's
  *erase personal data* action and ``manage.py anonymise_person`` call it.

The audit trail and the access log keep their rows, the authority's proof of what was done
and who read what: ids, actions, states and dates, without the words.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import OPEN_STATES, State
from casework.applications.models import Application
from casework.audit.models import AuditEvent
from casework.audit.services import audit_event
from casework.people.models import IdentityDocument, Person
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.privacy.registry import registered
from casework.staff.users import AnyUser


def _years_ago(now: dt.datetime, years: int) -> dt.datetime:
    try:
        return now.replace(year=now.year - years)
    except ValueError:  # 29 February
        return now.replace(year=now.year - years, day=28)


def due_applications_q(now: dt.datetime | None = None) -> Q:
    """Applications whose retention period has run out (closed long enough ago)."""
    now = now or timezone.now()
    due = Q(pk__in=[])
    for state, years in settings.RETENTION_YEARS.items():
        if years is None:
            continue
        due |= Q(state=state, decided_at__lte=_years_ago(now, years))
    return due


def people_due_for_anonymisation(now: dt.datetime | None = None) -> QuerySet:
    """People with applications, all of them due; none open, none kept. One query."""
    not_due = Application.objects.exclude(due_applications_q(now)).values("person_id")
    return (
        Person.objects.filter(anonymised_at=None, applications__isnull=False)
        .exclude(pk__in=not_due)
        .distinct()
    )


def people_anonymise(
    *,
    people: QuerySet,
    now: dt.datetime | None = None,
    actor: AnyUser | None = None,
    action: str = "person_anonymised",
    reason: str = "retention period ended",
) -> int:
    """Anonymise ``people`` in a few set-based updates per registered model; returns how many
    were anonymised. Each gets one audit event that says so (``action``, by ``actor``, with
    ``reason``) and holds nothing personal."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(people.filter(anonymised_at=None).values_list("pk", flat=True))
        if not ids:
            return 0
        for start in range(0, len(ids), 5000):
            batch = ids[start : start + 5000]
            _anonymise_ids(batch, now)
            AuditEvent.objects.bulk_create(
                [
                    audit_event(
                        actor=actor,
                        action=action,
                        person=Person(pk=pk),
                        reason=reason,
                    )
                    for pk in batch
                ]
            )
    return len(ids)


def _anonymise_ids(ids: list[int], now: dt.datetime) -> None:
    """Every registered record of the people ``ids``, in the registry's order, the people's
    own rows last (other apps' selections may read their identifiers)."""
    entries = sorted(registered(), key=lambda entry: entry.model is Person)
    for entry in entries:
        rows = entry.rows(ids)
        if entry.anonymise is not None:
            entry.anonymise(rows, now)
        elif entry.delete:
            rows.delete()
        elif entry.blank:
            rows.update(**entry.blank_values())


def anonymise_due(*, now: dt.datetime | None = None) -> int:
    """Anonymise everyone whose retention period has run out (the periodic task)."""
    return people_anonymise(people=people_due_for_anonymisation(now), now=now)


# --- subject access -------------------------------------------------------------------------


def _rows(queryset: QuerySet, exclude: tuple[str, ...] = ()) -> list[dict]:
    rows = []
    for row in queryset.values():
        rows.append({k: _plain(v) for k, v in row.items() if k not in exclude})
    return rows


def _plain(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if hasattr(value, "code"):  # django-countries Country
        return value.code
    return value if isinstance(value, str | int | float | bool | dict | type(None)) else str(value)


def person_export(*, actor: AnyUser, person: Person) -> dict:
    """Everything the system holds about ``person`` (GDPR art. 15), access-logged.

    The caller has already found ``person`` through the actor's scope.
    """
    data: dict[str, Any] = {"exported_at": timezone.now().isoformat()}
    for entry in registered():
        rows = entry.rows([person.pk]).order_by("pk")
        data[entry.section] = _rows(rows, exclude=entry.export_exclude)
    data["person"] = data["person"][0]
    data["identity_document_scans"] = [
        d.pk for d in IdentityDocument.objects.filter(person=person).exclude(scan="")
    ]
    access_log(
        user=actor,
        action=AccessLog.Action.EXPORT,
        objects=[person],
        query="subject access export",
    )
    return data


# --- erasure --------------------------------------------------------------------------------


def person_erase(*, actor: AnyUser, person: Person, reason: str) -> Person:
    """Erase a person's identifying data now (anonymise), where the law allows it.

    Refused while any of their applications is open: the case must still be decided, and
    the authority needs the data for that (GDPR art. 17(3)(b)). Only a superuser (the data
    protection officer's account) may do it; the reason goes into the audit trail, which
    outlives the data, so a reason that names the person (their names or registration
    number) is refused.
    """
    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the data protection officer may erase personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the data is erased (the legal basis).")})
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.anonymised_at is not None:
            raise ValidationError(_("This person's data was already erased."))
        named = [person.given_name, person.family_name, person.registration_number]
        if any(len(n) > 2 and n.casefold() in reason.casefold() for n in named):
            raise ValidationError(
                {
                    "reason": _(
                        "The reason stays in the audit trail after the erasure: give the legal "
                        "basis and a reference, not the person's names or number."
                    )
                }
            )
        if Application.objects.filter(person=person, state__in=OPEN_STATES).exists():
            raise ValidationError(
                _("A case of this person is still open: it must be decided or withdrawn first.")
            )
        people_anonymise(
            people=Person.objects.filter(pk=person.pk),
            actor=actor,
            action="person_erased",
            reason=reason,
        )
    person.refresh_from_db()
    return person


__all__ = [
    "anonymise_due",
    "people_anonymise",
    "people_due_for_anonymisation",
    "person_erase",
    "person_export",
    "State",
]
