"""Each unique or indexed text key of people and applications (and of their history) indexed once.

As ``unique=True``/``db_index=True`` on a ``CharField`` these had, on PostgreSQL, a second
``varchar_pattern_ops`` "_like" index each (11 in all) serving only case-sensitive
``LIKE 'x%'``, which no query runs (admin searches are exact or case-insensitive), while every
insert paid for it. The same uniqueness and plain btrees now come from ``Meta`` (the unique
constraints keep their names). Rebuilds these indexes once.
"""

import casework.people.identity
import django_fsm
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0007_import_jobs_and_statistics"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="application",
            name="external_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="application",
            name="reference",
            field=models.CharField(
                default=casework.people.identity.new_reference, editable=False, max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="application",
            name="state",
            field=django_fsm.FSMField(
                choices=[
                    ("submitted", "submitted"),
                    ("examined", "under examination"),
                    ("accepted", "accepted"),
                    ("rejected", "rejected"),
                    ("appealed", "appealed"),
                    ("withdrawn", "withdrawn"),
                ],
                default="submitted",
                max_length=50,
                protected=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalapplication",
            name="external_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="historicalapplication",
            name="reference",
            field=models.CharField(
                default=casework.people.identity.new_reference, editable=False, max_length=10
            ),
        ),
        migrations.AlterField(
            model_name="historicalapplication",
            name="state",
            field=django_fsm.FSMField(
                choices=[
                    ("submitted", "submitted"),
                    ("examined", "under examination"),
                    ("accepted", "accepted"),
                    ("rejected", "rejected"),
                    ("appealed", "appealed"),
                    ("withdrawn", "withdrawn"),
                ],
                default="submitted",
                max_length=50,
                protected=True,
            ),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="external_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="historicalperson",
            name="registration_number",
            field=models.CharField(editable=False, max_length=12),
        ),
        migrations.AlterField(
            model_name="person",
            name="external_id",
            field=models.CharField(blank=True, max_length=64, null=True),
        ),
        migrations.AlterField(
            model_name="person",
            name="name_key",
            field=models.CharField(default="", editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="person",
            name="registration_number",
            field=models.CharField(editable=False, max_length=12),
        ),
        migrations.AddIndex(
            model_name="application",
            index=models.Index(fields=["state"], name="application_state_idx"),
        ),
        migrations.AddIndex(
            model_name="historicalapplication",
            index=models.Index(fields=["reference"], name="hist_app_reference_idx"),
        ),
        migrations.AddIndex(
            model_name="historicalapplication",
            index=models.Index(fields=["external_id"], name="hist_app_external_id_idx"),
        ),
        migrations.AddIndex(
            model_name="historicalapplication",
            index=models.Index(fields=["state"], name="hist_app_state_idx"),
        ),
        migrations.AddIndex(
            model_name="historicalperson",
            index=models.Index(fields=["registration_number"], name="hist_person_regno_idx"),
        ),
        migrations.AddIndex(
            model_name="historicalperson",
            index=models.Index(fields=["external_id"], name="hist_person_external_id_idx"),
        ),
        migrations.AddIndex(
            model_name="person",
            index=models.Index(fields=["name_key"], name="person_name_key_idx"),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                fields=("reference",), name="casework_application_reference_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="application",
            constraint=models.UniqueConstraint(
                fields=("external_id",), name="casework_application_external_id_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                fields=("registration_number",), name="casework_person_registration_number_key"
            ),
        ),
        migrations.AddConstraint(
            model_name="person",
            constraint=models.UniqueConstraint(
                fields=("external_id",), name="casework_person_external_id_key"
            ),
        ),
    ]
