"""The audit trail and the access log partitioned by month on PostgreSQL.

A populated table is converted in place, in this migration's transaction: a partitioned table
with a partition for every month from its first row's to three months after this one, and a
default partition; the rows moved; the old table dropped and the new one given its name, its
sequence's position, its indexes, foreign keys and triggers (read from the catalogue, so an
index added before this migration is kept). See ``casework.core.partitions``. The tables are
locked while it runs (``docs/scaling.md`` gives the time it took at a million cases).
Elsewhere (SQLite) the tables stay plain: nothing to do. Django's model state is unchanged.
"""

from django.db import migrations

from casework.core.partitions import PARTITIONED_LOGS, convert_to_partitioned, convert_to_plain


def partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key in PARTITIONED_LOGS:
            convert_to_partitioned(cursor, table, key)


def unpartition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    with schema_editor.connection.cursor() as cursor:
        for table, key in PARTITIONED_LOGS:
            convert_to_plain(cursor, table, key)


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0016_sms_messages"),
    ]

    operations = [
        migrations.RunPython(partition, unpartition, elidable=False),
    ]
