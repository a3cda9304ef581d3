"""Integration's deadline sources, registered with casework's registry from ``apps.ready``.

casework never imports this module; it only sees the rows the services create with
``casework.deadlines.deadline_set``, and the sweep turns them into reminders.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.deadlines import DeadlineSource, register

WORK_PERMIT_RENEWAL = DeadlineSource(
    key="integration.work_permit_renewal",
    label=_("temporary work permit expires: apply for renewal"),
    # UDI: apply for renewal about one month before the permit expires.
    lead=dt.timedelta(days=30),
    notify_staff=False,
    notify_person=True,
    person_message=_("Your work permit expires on %(due)s. Apply for renewal now."),
)
WORK_PERMIT_LAPSE = DeadlineSource(
    key="integration.work_permit_lapse",
    label=_("temporary work permit lapses at the departure deadline"),
    lead=dt.timedelta(days=7),
    notify_staff=False,
    notify_person=True,
    person_message=_("Your work permit lapses on %(due)s, the deadline for leaving Norway."),
)
FAMILY_REGISTRATION_WINDOW = DeadlineSource(
    key="integration.family_registration",
    label=_("family reunification: register within 6 months to be exempt from income"),
    lead=dt.timedelta(days=30),  # the reminder row is moved to exactly 5 months
    notify_staff=False,
    notify_person=True,
    person_message=_(
        "Register your family's application by %(due)s to be exempt from the income requirement."
    ),
)
FAMILY_DOCUMENTS_WINDOW = DeadlineSource(
    key="integration.family_documents",
    label=_("family reunification: hand in documents within 12 months"),
    lead=dt.timedelta(days=30),  # the reminder row is moved to exactly 11 months
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
    lead=dt.timedelta(days=5),
    notify_person=True,
    person_message=_("You can appeal the decision until %(due)s."),
)
PROGRAMME_END = DeadlineSource(
    key="integration.programme_end",
    label=_("introduction programme: planned end"),
    lead=dt.timedelta(days=60),
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


def start_of(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(8, 0), tzinfo=timezone.get_current_timezone())
