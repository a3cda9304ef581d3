"""Integration's deadline sources, registered with casework's registry from ``apps.ready``.

casework never imports this module; it only sees the rows the services create with
``casework.deadlines.services.deadline_set``, and the sweep turns them into reminders.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.deadlines.registry import PERSON, STAFF, DeadlineSource, overdue, register, soon

WORK_PERMIT_RENEWAL = DeadlineSource(
    key="integration.work_permit_renewal",
    label=_("temporary work permit expires: apply for renewal"),
    model="integration.WorkPermit",
    due_rule=_("the last day of the validity period (Immigration Act § 94: up to 6 months)"),
    # UDI: apply for renewal about one month before the permit expires.
    reminders=(soon(days=30, to=(PERSON,)),),
    notify_staff=False,
    notify_person=True,
    person_message=_("Your work permit expires on %(due)s. Apply for renewal now."),
)
WORK_PERMIT_LAPSE = DeadlineSource(
    key="integration.work_permit_lapse",
    label=_("temporary work permit lapses at the departure deadline"),
    model="integration.WorkPermit",
    due_rule=_(
        "the departure deadline after a final rejection: the end of the appeal period, which "
        "runs from the day the rejection reached the applicant, or 3 weeks after the final "
        "decision reached them"
    ),
    reminders=(soon(days=7, to=(PERSON,)),),
    notify_staff=False,
    notify_person=True,
    person_message=_("Your work permit lapses on %(due)s, the deadline for leaving Norway."),
)
FAMILY_REGISTRATION_WINDOW = DeadlineSource(
    key="integration.family_registration",
    label=_("family reunification: register within 6 months to be exempt from income"),
    model="casework.Application",
    due_rule=_("6 months from the sponsor's protection decision (registration online)"),
    # About a month before the window closes, i.e. at about 5 months.
    reminders=(soon(days=30, to=(PERSON,)),),
    notify_staff=False,
    notify_person=True,
    person_message=_(
        "Register your family's application by %(due)s to be exempt from the income requirement."
    ),
)
FAMILY_DOCUMENTS_WINDOW = DeadlineSource(
    key="integration.family_documents",
    label=_("family reunification: hand in documents within 12 months"),
    model="casework.Application",
    due_rule=_("12 months from the sponsor's protection decision (documents in person)"),
    # About a month before the window closes, i.e. at about 11 months.
    reminders=(soon(days=30, to=(PERSON,)),),
    notify_staff=False,
    notify_person=True,
    person_message=_(
        "Your family must hand in their documents by %(due)s to be exempt from the income "
        "requirement."
    ),
)
FAMILY_APPEAL = DeadlineSource(
    key="integration.family_appeal",
    label=_("family reunification: appeal deadline"),
    model="integration.FamilyReunification",
    due_rule=_("3 weeks from notification of the rejection (Public Administration Act § 29)"),
    reminders=(soon(days=5, to=(PERSON,)),),
    notify_person=True,
    person_message=_("You can appeal the decision until %(due)s."),
)
PROGRAMME_END = DeadlineSource(
    key="integration.programme_end",
    label=_("introduction programme: planned end"),
    model="integration.IntroductionProgramme",
    due_rule=_("the planned end (up to 3 years, 4 with an extension; Integration Act § 13)"),
    reminders=(soon(days=60, to=(STAFF,)), overdue(days=1)),
)

SOURCES = (
    WORK_PERMIT_RENEWAL,
    WORK_PERMIT_LAPSE,
    FAMILY_REGISTRATION_WINDOW,
    FAMILY_DOCUMENTS_WINDOW,
    FAMILY_APPEAL,
    PROGRAMME_END,
)


def register_sources() -> None:
    for source in SOURCES:
        register(source)


def end_of(day: dt.date) -> dt.datetime:
    """A deadline "by 15 March" runs to the end of that day, local time."""
    return dt.datetime.combine(day, dt.time(23, 59, 59), tzinfo=timezone.get_current_timezone())
