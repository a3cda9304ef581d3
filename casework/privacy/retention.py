"""Retention, anonymisation, subject access and erasure (GDPR art. 5(1)(e), 15 and 17).

- ``people_due_for_anonymisation``: people every one of whose applications closed (decision
  or withdrawal, ``Application.decided_at``) more than ``RETENTION_YEARS[state]`` years ago.
- ``people_anonymise``: set-based updates over any number of people. Names, contact details,
  document numbers and scans, free-text grounds and reasons go; nationality, sex, year of
  birth, outcomes, kinds, tracks, states and dates stay, so every statistic (applications and
  decisions by nationality, outcome, year, age group) is the same before and after. The date
  of birth becomes 1 January of its year with ``dob_precision=year`` (the register's own
  convention for a year-only birth date). Field-history rows (django-simple-history) of
  those people and their applications are purged: they hold the old names.
- ``anonymise_due``: what the periodic task and ``manage.py anonymise_due`` run.
- ``person_export``: everything held about one person, as JSON-ready data (subject access).
- ``person_erase``: anonymise one person now, with a reason, where the law allows it: never
  while a case is open (the authority must still decide it; Immigration Act § 83 and
  Personal Data Act art. 17(3)(b): processing needed for a legal obligation).

Audit events and the access log are kept as they are: they hold ids and staff actions, and
they are the authority's proof of what was done.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import CharField, F, Q, QuerySet, Value
from django.db.models.functions import Cast, Concat, LPad, TruncYear
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import get_history_manager_for_model

from casework.applications.choices import OPEN_STATES, State
from casework.applications.models import Appeal, Application, Decision, Interview
from casework.audit.models import AuditEvent
from casework.deadlines.models import Deadline, Reminder
from casework.people.choices import DatePrecision
from casework.people.models import DuplicateFlag, HouseholdLink, IdentityDocument, Person
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.staff.users import AnyUser

ANONYMOUS = "anonymised"


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


def people_anonymise(*, people: QuerySet, now: dt.datetime | None = None) -> int:
    """Anonymise ``people`` in a few set-based updates; returns how many were anonymised."""
    now = now or timezone.now()
    with transaction.atomic():
        ids = list(people.filter(anonymised_at=None).values_list("pk", flat=True))
        if not ids:
            return 0
        for start in range(0, len(ids), 5000):
            _anonymise_ids(ids[start : start + 5000], now)
    return len(ids)


def _anonymise_ids(ids: list[int], now: dt.datetime) -> None:
    people = Person.objects.filter(pk__in=ids)
    applications = Application.objects.filter(person_id__in=ids)
    # Files first: once the rows are gone nothing points at them.
    for document in IdentityDocument.objects.filter(person_id__in=ids).exclude(scan=""):
        document.scan.delete(save=False)
    IdentityDocument.objects.filter(person_id__in=ids).delete()
    DuplicateFlag.objects.filter(Q(person_id__in=ids) | Q(candidate_id__in=ids)).delete()
    Reminder.objects.filter(deadline__person_id__in=ids).delete()
    Deadline.objects.filter(Q(person_id__in=ids) | Q(application__person_id__in=ids)).delete()
    Decision.objects.filter(application__person_id__in=ids).update(grounds="")
    Appeal.objects.filter(application__person_id__in=ids).update(lodged_by="", late_reason="")
    Interview.objects.filter(application__person_id__in=ids).update(location="")
    applications.update(interview_waived_reason="", external_id=None)
    people.update(
        given_name=ANONYMOUS,
        family_name=ANONYMOUS,
        name_in_document="",
        name_key="",
        # The year stays for statistics (age at decision, age groups); day and month go.
        date_of_birth=TruncYear("date_of_birth"),
        dob_precision=DatePrecision.YEAR,
        email="",
        phone="",
        health_needs="",
        languages="",
        external_id=None,
        # A fresh number that links to nothing outside (the DUF number may be known elsewhere).
        registration_number=Concat(
            Value("A"), LPad(Cast(F("pk"), CharField()), 11, Value("0")), output_field=CharField()
        ),
        anonymised_at=now,
    )
    get_history_manager_for_model(Person).model.objects.filter(id__in=ids).delete()
    get_history_manager_for_model(Application).model.objects.filter(person_id__in=ids).delete()


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
    applications = Application.objects.filter(person=person)
    data = {
        "exported_at": timezone.now().isoformat(),
        "person": _rows(Person.objects.filter(pk=person.pk), exclude=("name_key",))[0],
        "identity_documents": _rows(
            IdentityDocument.objects.filter(person=person), exclude=("scan",)
        ),
        "identity_document_scans": [
            d.pk for d in IdentityDocument.objects.filter(person=person).exclude(scan="")
        ],
        "household_links": _rows(
            HouseholdLink.objects.filter(Q(person=person) | Q(relative=person))
        ),
        "applications": _rows(applications),
        "interviews": _rows(Interview.objects.filter(application__in=applications)),
        "decisions": _rows(Decision.objects.filter(application__in=applications)),
        "appeals": _rows(Appeal.objects.filter(application__in=applications)),
        "deadlines": _rows(
            Deadline.objects.filter(Q(person=person) | Q(application__in=applications))
        ),
        "events": _rows(
            AuditEvent.objects.filter(Q(person=person) | Q(application__in=applications))
        ),
        "field_history": _rows(get_history_manager_for_model(Person).filter(id=person.pk)),
        "accessed_by": _rows(
            AccessLog.objects.filter(
                Q(model="casework.person", object_id=person.pk)
                | Q(model="casework.application", object_id__in=applications.values("pk"))
            ).order_by("at")
        ),
    }
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
    protection officer's account) may do it; the reason goes into the audit trail.
    """
    from casework.audit.services import audit_log

    if not getattr(actor, "is_superuser", False):
        raise PermissionDenied(_("Only the data protection officer may erase personal data."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the data is erased (the legal basis).")})
    with transaction.atomic():
        person = Person.objects.select_for_update().get(pk=person.pk)
        if person.anonymised_at is not None:
            raise ValidationError(_("This person's data was already erased."))
        if Application.objects.filter(person=person, state__in=OPEN_STATES).exists():
            raise ValidationError(
                _("A case of this person is still open: it must be decided or withdrawn first.")
            )
        people_anonymise(people=Person.objects.filter(pk=person.pk))
        audit_log(actor=actor, action="person_erased", person=person, reason=reason)
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
