"""Casework's records of a person, registered with ``casework.privacy.registry``.

What goes and what stays (``retention`` explains why): names, contact details, identifiers,
document numbers and scans, health needs, grounds, reasons, a lawyer's name, an interview's
place and the free text and JSON of the audit trail go; nationality, sex, year of birth,
kinds, tracks, states, outcomes and dates stay, so every statistic is the same after.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db.models import Case, CharField, F, JSONField, Q, QuerySet, Value, When
from django.db.models.fields.json import KT
from django.db.models.functions import Cast, Concat, JSONObject, LPad, TruncYear
from simple_history.utils import get_history_manager_for_model

from casework.applications.models import Appeal, Application, Decision, Interview
from casework.audit.models import AuditEvent
from casework.deadlines.models import Deadline, Reminder, SmsMessage
from casework.lawyers.models import Appointment, Representative
from casework.letters.models import Letter, LetterDelivery
from casework.people.choices import DatePrecision
from casework.people.models import DuplicateFlag, HouseholdLink, IdentityDocument, Person
from casework.privacy.models import AccessLog
from casework.privacy.registry import register_personal_data, registered

ANONYMOUS = "anonymised"


def _anonymise_people(people: QuerySet[Any], now: Any) -> None:
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
        interpreter_language="",
        interpreter_dialect="",
        interpreter_gender="",
        external_id=None,
        # A fresh number that links to nothing outside (the DUF number may be known elsewhere).
        registration_number=Concat(
            Value("A"), LPad(Cast(F("pk"), CharField()), 11, Value("0")), output_field=CharField()
        ),
        anonymised_at=now,
    )


def _delete_documents(documents: QuerySet[Any], now: Any) -> None:
    # Files first: once the rows are gone nothing points at them.
    for document in documents.exclude(scan=""):
        document.scan.delete(save=False)
    documents.delete()


def _anonymise_letters(letters: QuerySet[Any], now: Any) -> None:
    """A letter's PDF and facts name the person and their grounds: both go. The row stays
    (kind, dates, channel), as the decision's does, so the case's history still counts it; the
    update bypasses ``Letter.save``, which guards letters against edits, not against erasure."""
    for letter in letters.exclude(pdf=""):
        letter.pdf.delete(save=False)
    letters.update(pdf="", pdf_sha256="", facts={})


def _blank_events(events: QuerySet[Any], now: Any) -> None:
    """Grounds and reasons (``reason``) and every value in ``changes`` (a lawyer's name, a
    document number, a relation) go; the tag of the record an event is about
    (``changes["subject"]``) stays, so the record's timeline still finds its events."""
    events.update(
        reason="",
        changes=Case(
            When(changes__has_key="subject", then=JSONObject(subject=KT("changes__subject"))),
            default=Value({}, output_field=JSONField()),
            output_field=JSONField(),
        ),
    )


def _accessed(person_ids: Sequence[int]) -> Q:
    """Reads of the person's page and of their cases (the access log names rows by id)."""
    applications = Application.objects.filter(person_id__in=person_ids).values("pk")
    return Q(model="casework.person", object_id__in=list(person_ids)) | Q(
        model="casework.application", object_id__in=applications
    )


def _tagged(person_ids: Sequence[int]) -> Q:
    """Events tagged with a record of the person that another person's trail may hold."""
    subjects = [
        f"{entry.label}:{pk}"
        for entry in registered()
        if entry.audit_subjects
        for pk in entry.rows(person_ids).values_list("pk", flat=True)
    ]
    return Q(changes__subject__in=subjects) if subjects else Q(pk__in=[])


def register() -> None:
    """Casework's registrations; rows that point at others first (reminders before their
    deadlines), the person's own row last."""
    register_personal_data(
        LetterDelivery,
        owners=("letter__application__person",),
        blank=("confirmed_by",),
        section="letter_deliveries",
    )
    register_personal_data(
        Letter,
        owners=("application__person",),
        anonymise=_anonymise_letters,
        export_exclude=("pdf",),
        audit_subjects=True,
        section="letters",
    )
    register_personal_data(
        IdentityDocument,
        anonymise=_delete_documents,
        export_exclude=("scan",),
        section="identity_documents",
    )
    register_personal_data(
        DuplicateFlag, owners=("person", "candidate"), delete=True, section="duplicate_flags"
    )
    register_personal_data(HouseholdLink, owners=("person", "relative"), section="household_links")
    register_personal_data(
        Reminder,
        owners=("deadline__person", "deadline__application__person"),
        delete=True,
        section="reminders",
    )
    register_personal_data(
        Deadline, owners=("person", "application__person"), delete=True, section="deadlines"
    )
    # A text message's delivery record (no number, no text): deleted with its reminder.
    register_personal_data(
        SmsMessage,
        owners=("reminder__deadline__person", "reminder__deadline__application__person"),
        delete=True,
        section="text_messages",
    )
    # Who confirmed a decision's delivery (a lawyer, a police officer) and the channel's
    # receipt point at the person as the lawyer's name on an appeal does: blanked with them.
    register_personal_data(
        Decision,
        owners=("application__person",),
        blank=("grounds", "notification_receipt", "notification_confirmed_by"),
        section="decisions",
    )
    register_personal_data(
        Appeal,
        owners=("application__person",),
        blank=("lodged_by", "late_reason"),
        section="appeals",
    )
    register_personal_data(
        Interview, owners=("application__person",), blank=("location",), section="interviews"
    )
    # Who acts for the person: the lawyer stays (a register entry, not the person's data); why
    # and how it ended (free text that may tell of the case) goes.
    register_personal_data(
        Appointment,
        owners=("application__person",),
        blank=("basis", "end_reason"),
        audit_subjects=True,
        section="lawyer_appointments",
    )
    register_personal_data(
        Representative,
        owners=("person",),
        blank=("name", "email", "phone", "end_reason"),
        audit_subjects=True,
        section="representatives",
    )
    register_personal_data(
        AuditEvent,
        owners=("person", "application__person"),
        select=_tagged,
        anonymise=_blank_events,
        section="events",
    )
    register_personal_data(
        AccessLog, owners=(), select=_accessed, section="accessed_by"
    )  # kept: the authority's proof of who read what (ids and purposes only)
    # Field history holds every old value: it goes.
    register_personal_data(
        get_history_manager_for_model(Application).model, delete=True, section="application_history"
    )
    register_personal_data(
        Application,
        blank=("interview_waived_reason", "hold_reason", "external_id"),
        section="applications",
    )
    register_personal_data(
        get_history_manager_for_model(Person).model,
        owners=("id",),
        delete=True,
        section="field_history",
    )
    register_personal_data(
        Person,
        owners=("pk",),
        anonymise=_anonymise_people,
        export_exclude=("name_key",),
        section="person",
    )
