"""The representative (verge) of an unaccompanied minor is told of the minor's interviews.

Through the deadlines' own machinery, not beside it: a reminder channel for the applicant's
notices (audience ``person``) that only the interview notice (sent when the interview is
booked, and again when it is moved) and the interview's "soon" reminder reach, and only for a
person with a current representative who has an e-mail address. The sweep makes one reminder
row per notice for this channel, as it does for the applicant's own e-mail: delivered once,
retried, visible in the reminders list. The text is Norwegian: the representative is not the
applicant.
"""

from __future__ import annotations

from typing import Any

from django.core.mail import EmailMessage
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.deadlines.channels import Channel
from casework.deadlines.messages import PermanentDeliveryError, message_id
from casework.deadlines.registry import INTERVIEW, INTERVIEW_NOTICE, PERSON
from casework.lawyers.models import Representative

# The notices a representative receives: the interview's appointment and its reminder.
SOURCES = (INTERVIEW_NOTICE.key, INTERVIEW.key)


def current_representative(person_id: int | None) -> Representative | None:
    if person_id is None:
        return None
    return (
        Representative.objects.filter(person_id=person_id, ends_on=None).exclude(email="").first()
    )


class RepresentativeChannel(Channel):
    """E-mail to the minor's representative of each interview notice (see the module)."""

    name = "representative"
    label = gettext_lazy("representative's e-mail")
    audiences = frozenset({PERSON})

    def eligible(self, deadlines: QuerySet, audience: str) -> QuerySet:
        represented = Representative.objects.filter(
            person_id=OuterRef("person_id"), ends_on=None
        ).exclude(email="")
        return deadlines.filter(Q(source__in=SOURCES), Exists(represented))

    def eligible_sql(self, audience: str) -> tuple[str, list[Any]]:
        """The same rule as ``eligible``, for the sweep's one statement."""
        table = Representative._meta.db_table  # the model's own name: no input in it
        rule = (
            f"d.source IN (%s, %s) AND EXISTS (SELECT 1 FROM {table} r "  # noqa: S608  # nosec B608
            "WHERE r.person_id = d.person_id AND r.ends_on IS NULL AND r.email <> '')"
        )
        return rule, list(SOURCES)

    def send(self, reminder: Any) -> None:
        deadline = reminder.deadline
        representative = current_representative(deadline.person_id)
        if representative is None:
            raise PermanentDeliveryError("the person has no representative with an e-mail")
        interview = _interview(deadline)
        with translation.override("nb"):
            at = date_format(timezone.localtime(interview.scheduled_at), "DATETIME_FORMAT")
            values = {
                "reference": deadline.application.display_reference,
                "at": at,
                "place": interview.location,
            }
            subject = _("Asylum interview of a minor you represent: %(at)s") % values
            body = (
                _(
                    "The asylum interview in case %(reference)s is on %(at)s at %(place)s. As the "
                    "minor's representative you attend the interview."
                )
                % values
            )
        EmailMessage(
            subject=subject,
            body=body,
            to=[representative.email],
            headers={"Auto-Submitted": "auto-generated", "Message-ID": message_id(reminder)},
        ).send(fail_silently=False)


def _interview(deadline: Any) -> Any:
    from casework.applications.models import Interview

    interview = Interview.objects.filter(pk=deadline.object_id).first()
    if interview is None or interview.cancelled:
        raise PermanentDeliveryError("the interview is no longer booked")
    return interview
