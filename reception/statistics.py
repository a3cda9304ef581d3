"""Reception tables for the statistics page and API (registered in ``casework.statistics.tables``).

Residents by centre, county and status on a day (the last day of ``year``, or today);
settlement by municipality and county against the year's quota; collective-protection
holders settled in a year by county, each counted in the county its municipality belonged
to on the day of settlement (so 2023 shows Viken, 2024 Østfold, Akershus and Buskerud).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, DateField, F, IntegerField, OuterRef, Subquery, Sum, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casework.applications.choices import ApplicationKind
from casework.statistics.tables import Column, Sources, Table, register

from .choices import ResidentStatus
from .models import MunicipalityQuota, Settlement
from .selectors import OccupancyReport, county_of_municipality_on, occupancy_report

# Inhabitants on 1 January 2023 (SSB table 07459, rounded), for "per 1,000 inhabitants".
POPULATION_2023 = {
    "Oslo": 709_000, "Rogaland": 486_000, "Møre og Romsdal": 268_000, "Nordland": 240_000,
    "Viken": 1_269_000, "Innlandet": 372_000, "Vestfold og Telemark": 426_000,
    "Agder": 318_000, "Vestland": 641_000, "Trøndelag": 479_000, "Troms og Finnmark": 240_000,
}  # fmt: skip


def _occupancy(year: int | None, sources: Sources | None) -> OccupancyReport:
    """Occupancy on the table's day, computed once per refresh for the three tables (and
    every language) that show it."""
    on = _day(year)
    if sources is None:
        return occupancy_report(on=on)
    return sources.memo(("reception-occupancy", on), lambda: occupancy_report(on=on))


def _day(year: int | None) -> dt.date:
    today = timezone.localdate()
    if year and dt.date(year, 12, 31) < today:
        return dt.date(year, 12, 31)
    return today


@register("reception-residents-by-centre")
def residents_by_centre(
    *, year: int | None = None, sources: Sources | None = None, **_ignored: Any
) -> Table:
    report = _occupancy(year, sources)
    return Table(
        slug="reception-residents-by-centre",
        title=_("Residents in reception by centre on %(day)s") % {"day": _date(report.on)},
        columns=[
            Column("centre", _("centre")),
            Column("county", _("county")),
            Column("capacity", _("capacity"), numeric=True),
            Column("occupied", _("residents"), numeric=True),
            Column("free_beds", _("free beds"), numeric=True),
        ]
        + [Column(s, label, numeric=True) for s, label in ResidentStatus.choices],
        rows=[
            {
                "centre": c["name"],
                "county": c["county"],
                "capacity": c["capacity"],
                "occupied": c["occupied"],
                "free_beds": c["free_beds"],
                **{s: c["by_status"].get(s, 0) for s in ResidentStatus.values},
            }
            for c in report.by_centre
        ],
        chart={"label": "centre", "value": "occupied"},
    )


@register("reception-residents-by-county")
def residents_by_county(
    *, year: int | None = None, sources: Sources | None = None, **_ignored: Any
) -> Table:
    report = _occupancy(year, sources)
    return Table(
        slug="reception-residents-by-county",
        title=_("Residents in reception by county on %(day)s") % {"day": _date(report.on)},
        columns=[
            Column("county", _("county")),
            Column("capacity", _("capacity"), numeric=True),
            Column("occupied", _("residents"), numeric=True),
            Column("free_beds", _("free beds"), numeric=True),
        ],
        rows=report.by_county,
        chart={"label": "county", "value": "occupied"},
    )


@register("reception-residents-by-status")
def residents_by_status(
    *, year: int | None = None, sources: Sources | None = None, **_ignored: Any
) -> Table:
    report = _occupancy(year, sources)
    labels = dict(ResidentStatus.choices)
    return Table(
        slug="reception-residents-by-status",
        title=_("Residents in reception by status on %(day)s") % {"day": _date(report.on)},
        columns=[Column("status", _("status")), Column("residents", _("residents"), numeric=True)],
        rows=[{"status": str(labels[s]), "residents": report.by_status.get(s, 0)} for s in labels],
        chart={"label": "status", "value": "residents"},
    )


@register("settlement-by-municipality")
def settlement_by_municipality(*, year: int | None = None, **_ignored: Any) -> Table:
    """Settled in ``year`` (default: this year) per municipality, against its quota."""
    year = year or timezone.localdate().year
    settled = (
        Settlement.objects.filter(municipality=OuterRef("municipality"), settled_on__year=year)
        .order_by()
        .values("municipality")
        .annotate(n=Count("pk"))
        .values("n")
    )
    on = Value(dt.date(year, 7, 1), output_field=DateField())
    quotas = (
        MunicipalityQuota.objects.filter(year=year)
        .annotate(
            settled=Coalesce(Subquery(settled, output_field=IntegerField()), 0),
            county=county_of_municipality_on("municipality_id", on),
            name=F("municipality__name"),
        )
        .values("name", "county", "places", "settled")
        .order_by("county", "name")
    )
    unplanned = (
        Settlement.objects.filter(settled_on__year=year)
        .exclude(municipality__quotas__year=year)
        .annotate(county=county_of_municipality_on("municipality_id", OuterRef("settled_on")))
        .values("municipality__name", "county")
        .annotate(settled=Count("pk"))
        .order_by("county", "municipality__name")
    )
    rows = [
        {"municipality": r["name"], "county": r["county"], "quota": r["places"],
         "settled": r["settled"], "share": _share(r["settled"], r["places"])}
        for r in quotas
    ] + [
        {"municipality": r["municipality__name"], "county": r["county"], "quota": None,
         "settled": r["settled"], "share": None}
        for r in unplanned
    ]  # fmt: skip
    return Table(
        slug="settlement-by-municipality",
        title=_("Settlement %(year)s by municipality, against the quota") % {"year": year},
        columns=[
            Column("municipality", _("municipality")),
            Column("county", _("county")),
            Column("quota", _("quota"), numeric=True),
            Column("settled", _("settled"), numeric=True),
            Column("share", _("settled / quota (%)"), numeric=True),
        ],
        rows=rows,
        chart={"label": "municipality", "value": "settled"},
    )


def _share(settled: int, quota: int | None) -> float | None:
    return round(100 * settled / quota, 1) if quota else None


@register("settlement-by-county")
def settlement_by_county(*, year: int | None = None, **_ignored: Any) -> Table:
    year = year or timezone.localdate().year
    settled = (
        Settlement.objects.filter(settled_on__year=year)
        .annotate(county=county_of_municipality_on("municipality_id", OuterRef("settled_on")))
        .values("county")
        .annotate(settled=Count("pk"))
    )
    on = Value(dt.date(year, 7, 1), output_field=DateField())
    quota = (
        MunicipalityQuota.objects.filter(year=year)
        .annotate(county=county_of_municipality_on("municipality_id", on))
        .values("county")
        .annotate(quota=Sum("places"))
    )
    by_county: dict[str, dict] = {}
    for r in settled:
        by_county.setdefault(r["county"], {"quota": None})["settled"] = r["settled"]
    for r in quota:
        by_county.setdefault(r["county"], {"settled": 0})["quota"] = r["quota"]
    rows = [
        {"county": c, "quota": v.get("quota"), "settled": v.get("settled", 0),
         "share": _share(v.get("settled", 0), v.get("quota"))}
        for c, v in sorted(by_county.items(), key=lambda kv: -(kv[1].get("settled") or 0))
    ]  # fmt: skip
    return Table(
        slug="settlement-by-county",
        title=_("Settlement %(year)s by county, against the quota") % {"year": year},
        columns=[
            Column("county", _("county")),
            Column("quota", _("quota"), numeric=True),
            Column("settled", _("settled"), numeric=True),
            Column("share", _("settled / quota (%)"), numeric=True),
        ],
        rows=rows,
        chart={"label": "county", "value": "settled"},
    )


@register("collective-protection-by-county")
def collective_protection_by_county(*, year: int | None = None, **_ignored: Any) -> Table:
    """Collective-protection holders received (settled) in ``year`` by county as it was then."""
    year = year or timezone.localdate().year
    rows = list(
        Settlement.objects.filter(
            settled_on__year=year, application__kind=ApplicationKind.COLLECTIVE
        )
        .annotate(county=county_of_municipality_on("municipality_id", OuterRef("settled_on")))
        .values("county")
        .annotate(received=Count("pk"))
        .order_by("-received", "county")
    )
    for r in rows:
        people = POPULATION_2023.get(r["county"]) if year == 2023 else None
        r["per_1000"] = round(1000 * r["received"] / people, 1) if people else None
    return Table(
        slug="collective-protection-by-county",
        title=_("Collective protection: people received by county in %(year)s") % {"year": year},
        columns=[
            Column("county", _("county (as it was that year)")),
            Column("received", _("received"), numeric=True),
            Column("per_1000", _("per 1,000 inhabitants (2023)"), numeric=True),
        ],
        rows=rows,
        note=_(
            "Counted in the county the municipality belonged to on the day of settlement: "
            "Viken until 2023; Østfold, Akershus and Buskerud from 2024."
        ),
        chart={"label": "county", "value": "received"},
    )


def _date(on: dt.date) -> str:
    """A table title's date, in the reader's language's format."""
    return date_format(on, "DATE_FORMAT")
