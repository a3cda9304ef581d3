"""Give a unit to the cases that were lodged without one, where the system knows which.

A case without a unit used to be every unit's; now only those who route cases see it. Two
rules say where such a case belongs, in this order: the unit of the caseworker it is assigned
to (that unit is already working it), else the unit of the staff user who lodged it (its
``lodged`` audit event: a case gets its lodging user's unit today). A case neither names
(lodged by the system or through the API by a user without a unit, never assigned) keeps no
unit and waits for routing. Each case given a unit here gets a ``routed`` audit event saying
which rule gave it, so the history shows why the case moved.
"""

from django.db import migrations
from django.db.models import OuterRef, Subquery
from django.utils import timezone


def give_cases_their_unit(apps, schema_editor):
    Application = apps.get_model("casework", "Application")
    AuditEvent = apps.get_model("casework", "AuditEvent")
    StaffProfile = apps.get_model("casework", "StaffProfile")

    rules = (
        (
            "the unit of the caseworker the case is assigned to",
            StaffProfile.objects.filter(user_id=OuterRef("assigned_to_id"), unit__isnull=False),
            "unit_id",
        ),
        (
            "the unit of the staff user who lodged the case",
            AuditEvent.objects.filter(
                application_id=OuterRef("pk"),
                action="lodged",
                actor__staff_profile__unit__isnull=False,
            ).order_by("id"),
            "actor__staff_profile__unit",
        ),
    )
    now = timezone.now()
    for why, source, column in rules:
        unit = Subquery(source.values(column)[:1])
        found = list(
            Application.objects.filter(unit=None)
            .annotate(found_unit=unit)
            .exclude(found_unit=None)
            .values_list("pk", "found_unit")
        )
        by_unit = {}
        for pk, unit_id in found:
            by_unit.setdefault(unit_id, []).append(pk)
        for unit_id, pks in by_unit.items():  # one statement per unit (a handful)
            Application.objects.filter(pk__in=pks, unit=None).update(unit_id=unit_id)
        AuditEvent.objects.bulk_create(
            AuditEvent(
                application_id=pk,
                action="routed",
                reason=f"Given a unit by a data migration: {why}.",
                changes={"unit": [None, unit_id]},
                at=now,
            )
            for pk, unit_id in found
        )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0012_waiting_figures"),
    ]

    operations = [
        migrations.RunPython(give_cases_their_unit, migrations.RunPython.noop, elidable=True),
    ]
