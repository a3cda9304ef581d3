"""Norway's counties of 2020-2023 and from 2024, with successors, and the main municipalities.

Sources: regjeringen.no "Fylkesinndelingen fra 2024" (the split of Viken, Vestfold og Telemark
and Troms og Finnmark on 1 January 2024); county numbers and kommunenummer from SSB
classifications 104 (counties) and 131 (municipalities). The 2024 numbers of municipalities in
the split counties (e.g. Råde 3017 -> 3112) are from SSB's 2024 change list and should be
checked against SSB Klass before they are used for official statistics.

Loaded by the data migration ``0002_geography`` and, when the tables are empty after a flush
(transactional tests), again by a ``post_migrate`` handler, so geography is always there.
"""

import datetime as dt

REFORM_2020 = dt.date(2020, 1, 1)
REFORM_2024 = dt.date(2024, 1, 1)
LAST_DAY_2023 = dt.date(2023, 12, 31)

# (code, name): counties unchanged by the 2024 reform, valid from 2020 and still current.
CONTINUING = [
    ("03", "Oslo"),
    ("11", "Rogaland"),
    ("15", "Møre og Romsdal"),
    ("18", "Nordland"),
    ("34", "Innlandet"),
    ("42", "Agder"),
    ("46", "Vestland"),
    ("50", "Trøndelag"),
]
# Counties of 2020-2023 that were split on 1 January 2024, with their successors.
SPLIT = {
    ("30", "Viken"): [("31", "Østfold"), ("32", "Akershus"), ("33", "Buskerud")],
    ("38", "Vestfold og Telemark"): [("39", "Vestfold"), ("40", "Telemark")],
    ("54", "Troms og Finnmark"): [("55", "Troms"), ("56", "Finnmark")],
}

# (name, number 2020-2023, number from 2024). The county is the number's first two digits.
MUNICIPALITIES = [
    ("Oslo", "0301", "0301"),
    ("Stavanger", "1103", "1103"),
    ("Haugesund", "1106", "1106"),
    ("Sandnes", "1108", "1108"),
    ("Kristiansund", "1505", "1505"),
    ("Molde", "1506", "1506"),
    ("Ålesund", "1507", "1508"),  # new number in 2024 when Haram was re-established
    ("Bodø", "1804", "1804"),
    ("Narvik", "1806", "1806"),
    ("Hamar", "3403", "3403"),
    ("Lillehammer", "3405", "3405"),
    ("Gjøvik", "3407", "3407"),
    ("Arendal", "4203", "4203"),
    ("Kristiansand", "4204", "4204"),
    ("Bergen", "4601", "4601"),
    ("Trondheim", "5001", "5001"),
    ("Steinkjer", "5006", "5006"),
    # Viken -> Østfold
    ("Halden", "3001", "3101"),
    ("Moss", "3002", "3103"),
    ("Sarpsborg", "3003", "3105"),
    ("Fredrikstad", "3004", "3107"),
    ("Råde", "3017", "3112"),  # the National Arrival Centre
    # Viken -> Akershus
    ("Nordre Follo", "3020", "3207"),
    ("Bærum", "3024", "3201"),
    ("Asker", "3025", "3203"),
    ("Lillestrøm", "3030", "3205"),
    ("Ullensaker", "3033", "3209"),
    # Viken -> Buskerud
    ("Drammen", "3005", "3301"),
    ("Kongsberg", "3006", "3303"),
    ("Ringerike", "3007", "3305"),
    # Vestfold og Telemark -> Vestfold
    ("Horten", "3801", "3901"),
    ("Tønsberg", "3803", "3905"),
    ("Sandefjord", "3804", "3907"),
    ("Larvik", "3805", "3909"),
    # Vestfold og Telemark -> Telemark
    ("Porsgrunn", "3806", "4001"),
    ("Skien", "3807", "4003"),
    ("Notodden", "3808", "4005"),
    # Troms og Finnmark -> Troms
    ("Tromsø", "5401", "5501"),
    ("Harstad", "5402", "5503"),
    # Troms og Finnmark -> Finnmark
    ("Alta", "5403", "5601"),
    ("Vadsø", "5405", "5607"),
    ("Hammerfest", "5406", "5603"),
    ("Sør-Varanger", "5444", "5605"),
]


def load(County, Municipality, MunicipalityCounty) -> None:  # model classes
    """Create the counties and municipalities with the given (possibly historical) models."""

    current = {}  # code -> County valid in 2024
    old = {}  # code -> County of 2020-2023
    for code, name in CONTINUING:
        county = County.objects.create(code=code, name=name, valid_from=REFORM_2020)
        current[code] = old[code] = county
    for (code, name), successors in SPLIT.items():
        merged = County.objects.create(
            code=code, name=name, valid_from=REFORM_2020, valid_to=LAST_DAY_2023
        )
        old[code] = merged
        for s_code, s_name in successors:
            successor = County.objects.create(code=s_code, name=s_name, valid_from=REFORM_2024)
            current[s_code] = successor
            merged.successors.add(successor)

    for name, before, after in MUNICIPALITIES:
        municipality = Municipality.objects.create(name=name, number=after)
        if before == after and old[before[:2]] == current[after[:2]]:
            MunicipalityCounty.objects.create(
                municipality=municipality,
                county=current[after[:2]],
                number=after,
                valid_from=REFORM_2020,
            )
            continue
        MunicipalityCounty.objects.create(
            municipality=municipality,
            county=old[before[:2]],
            number=before,
            valid_from=REFORM_2020,
            valid_to=LAST_DAY_2023,
        )
        MunicipalityCounty.objects.create(
            municipality=municipality,
            county=current[after[:2]],
            number=after,
            valid_from=REFORM_2024,
        )


def load_if_empty(using: str = "default", **_: object) -> None:
    """``post_migrate`` handler: reload after a flush emptied the tables (transactional tests)."""
    from django.db import connections

    from .models import County, Municipality, MunicipalityCounty

    if County._meta.db_table not in connections[using].introspection.table_names():
        return  # migrated backwards past the tables
    if not County.objects.using(using).exists():
        load(County, Municipality, MunicipalityCounty)
