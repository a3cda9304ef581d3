"""End the interview bookings that waiving the interview used to leave open.

Waiving the interview now cancels the interviews still booked and closes their deadlines
(``casework.applications.services.interview_waive``). Cases waived before that, and cases
decided since, kept an open interview deadline: "next deadline" pointed at it and the
applicant stayed due a reminder of an interview that would not take place. This closes
those deadlines (their pending reminders cancelled), marks their interviews cancelled and
recomputes the cases' next deadline. It touches only the few cases concerned: interview
deadlines still open on a case that is waived or no longer before its decision.
"""

from django.db import migrations
from django.db.models import Min, OuterRef, Subquery
from django.utils import timezone

INTERVIEW = "casework.interview"
BEFORE_DECISION = ("submitted", "examined")
CHUNK = 500


def close_waived_interviews(apps, schema_editor):
    from casework.deadlines.registry import hidden_sources

    Application = apps.get_model("casework", "Application")
    Deadline = apps.get_model("casework", "Deadline")
    Reminder = apps.get_model("casework", "Reminder")
    Interview = apps.get_model("casework", "Interview")

    concerned = Application.objects.exclude(
        state__in=BEFORE_DECISION, interview_waived_reason=""
    ).values("pk")
    stale = list(
        Deadline.objects.filter(
            source=INTERVIEW, closed_at=None, application_id__in=concerned
        ).values_list("pk", "object_id", "application_id")
    )
    now = timezone.now()
    for start in range(0, len(stale), CHUNK):
        rows = stale[start : start + CHUNK]
        ids = [pk for pk, _interview, _app in rows]
        Reminder.objects.filter(deadline_id__in=ids, status="pending").update(status="cancelled")
        Deadline.objects.filter(pk__in=ids).update(closed_at=now)
        Interview.objects.filter(
            pk__in=[interview for _pk, interview, _app in rows], held_at=None
        ).update(cancelled=True)
        soonest = (
            Deadline.objects.filter(application_id=OuterRef("pk"), closed_at=None)
            .exclude(source__in=hidden_sources())
            .values("application_id")
            .annotate(due=Min("due_at"))
            .values("due")
        )
        Application.objects.filter(pk__in={app for _pk, _interview, app in rows}).update(
            next_deadline=Subquery(soonest)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0009_drop_person_name_key_idx"),
    ]

    operations = [
        migrations.RunPython(close_waived_interviews, migrations.RunPython.noop),
    ]
