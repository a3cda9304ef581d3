"""Drop ``person_name_key_idx``: no query filters or sorts on ``Person.name_key``.

Duplicate detection reads its candidates by birth date and nationality (the
``(date_of_birth, nationality)`` index) and compares names in Python; the admin searches the
registration number and the start of the names. Every insert and name change paid for the
index, and no plan on PostgreSQL used it.
"""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("casework", "0008_index_text_keys_once"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="person", name="person_name_key_idx"),
    ]
