"""Index each name as the admin searches *and sorts* it, on PostgreSQL.

A name search finds the people whose family or given name starts with what was typed and
lists them by that name (``casework.people.selectors``): ``UPPER(name) COLLATE "C" LIKE
'WORD%'`` … ``ORDER BY UPPER(name) COLLATE "C", id``. These B-trees hold exactly that
expression and the id, so one index walk finds a page of matches already in order and stops,
however many people share the name (a common family name: a tenth of a million people). Under
the "C" collation the default operator class serves the prefix ``LIKE`` too, so the
``text_pattern_ops`` indexes of ``0019_person_name_prefix_indexes`` (which cannot serve an
``ORDER BY``) are replaced.

SQLite has no "C" collation and no operator classes: there the migration does nothing.
"""

from django.db import migrations

INDEXES = {
    "casework_person_family_key_idx": "family_name",
    "casework_person_given_key_idx": "given_name",
}
OLD = {
    "casework_person_family_upper_idx": "family_name",
    "casework_person_given_upper_idx": "given_name",
}


def create_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in OLD:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"', params=None)
    for name, column in INDEXES.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "casework_person" '
            f'((UPPER("{column}"::text) COLLATE "C"), "id")',
            params=None,
        )
    schema_editor.execute('ANALYZE "casework_person"', params=None)


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"', params=None)
    for name, column in OLD.items():
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "casework_person" '
            f'((UPPER("{column}"::text)) text_pattern_ops)',
            params=None,
        )


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0035_permit_ended"),
    ]

    operations = [
        migrations.RunPython(create_indexes, drop_indexes, elidable=False),
    ]
