"""Load Norway's counties (2020-2023 and from 2024, with successors) and main municipalities.

The data and the loader are in ``reception/geodata.py`` (see its sources); every county's
administrative centre is loaded, and the large municipalities.
"""

from django.db import migrations


def load(apps, schema_editor):
    from reception.geodata import load as load_geography

    load_geography(
        apps.get_model("reception", "County"),
        apps.get_model("reception", "Municipality"),
        apps.get_model("reception", "MunicipalityCounty"),
    )


class Migration(migrations.Migration):
    dependencies = [("reception", "0001_initial")]

    # Backwards: nothing to do, reversing 0001 drops the tables.
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
