"""Create one Django group per staff role, so every deployment has them.

Their model permissions are kept in step after every migrate by
``casework.staff.roles.sync_role_permissions`` (a post_migrate handler), since apps that land later
add models and permissions of their own.
"""

from django.db import migrations

ROLES = [
    "Caseworker",
    "Decision-maker",
    "Appeals body",
    "Police registration",
    "Reception officer",
    "Integration officer",
    "Auditor",
]


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, migrations.RunPython.noop)]
