"""The delivery of a decision, recorded on its own; the decisions made before, as delivered.

A decision is no longer taken to reach the applicant the moment it is made: its delivery is
recorded afterwards (``ApplicationWorkflow.record_notification``: when, by which channel,
confirmed by whom), and the appeal deadline runs from it. Decisions made before this took
their notification time at the decision (or as given then), and their appeal deadlines were
set from it: they stay exactly as they are. ``delivered_before`` copies each decided case's
notification time onto the case (``Application.notified_at``; from its latest decision, or
the decision time) and marks those decisions "notified when the decision was made". It never
touches an appeal deadline, a deadline row or a reminder: existing cases keep their deadlines.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models
from django.db.models import F, OuterRef, Subquery
from django.db.models.functions import Coalesce


def delivered_before(apps, schema_editor):
    Application = apps.get_model("casework", "Application")
    Decision = apps.get_model("casework", "Decision")
    latest = Decision.objects.filter(application_id=OuterRef("pk")).order_by(
        "-decided_at", "-pk"
    )
    Application.objects.filter(decided_at__isnull=False, notified_at=None).update(
        notified_at=Coalesce(Subquery(latest.values("notified_at")[:1]), F("decided_at"))
    )
    Decision.objects.filter(notification_channel="", notified_at__isnull=False).update(
        notification_channel="at_decision"
    )


class Migration(migrations.Migration):

    dependencies = [
        ('casework', '0023_interpreters'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='application',
            name='notified_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decision notified at'),
        ),
        migrations.AddField(
            model_name='decision',
            name='notification_channel',
            field=models.CharField(blank=True, choices=[('digital', 'digital mailbox or e-mail'), ('police', 'printed and handed over by the police'), ('lawyer', 'handed to the lawyer'), ('in_person', 'in person'), ('at_decision', 'notified when the decision was made')], max_length=12, verbose_name='notification channel'),
        ),
        migrations.AddField(
            model_name='decision',
            name='notification_confirmed_by',
            field=models.CharField(blank=True, max_length=200, verbose_name='delivery confirmed by (name and role)'),
        ),
        migrations.AddField(
            model_name='decision',
            name='notification_receipt',
            field=models.CharField(blank=True, max_length=200, verbose_name='receipt of the channel'),
        ),
        migrations.AddField(
            model_name='decision',
            name='notification_recorded_by',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='delivery recorded by'),
        ),
        migrations.AddField(
            model_name='historicalapplication',
            name='notified_at',
            field=models.DateTimeField(blank=True, editable=False, null=True, verbose_name='decision notified at'),
        ),
        migrations.RunPython(delivered_before, migrations.RunPython.noop),
    ]
