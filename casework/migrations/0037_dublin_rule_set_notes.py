"""The rule sets' notes say which periods the project's notes verify and which they do not
(the re-examination periods, the day Dublin III ends in Norway, every AMMR period)."""

from django.db import migrations


def notes(apps, schema_editor):
    from casework.dublin.rulesets import RULE_SETS

    rule_set = apps.get_model("casework", "DublinRuleSet")
    for row in RULE_SETS:
        rule_set.objects.filter(valid_from=row["valid_from"]).update(note=row["note"])


class Migration(migrations.Migration):
    dependencies = [("casework", "0036_person_name_key_indexes")]

    operations = [migrations.RunPython(notes, migrations.RunPython.noop)]
