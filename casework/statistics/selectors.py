"""Reads of the published tables, as the refresh stored them: what the statistics page and
``/api/v1/statistics/`` show. Nothing here computes a figure: a page is two indexed reads of
a few hundred stored rows, whatever the number of cases. They are read from the replica when
there is one (``casework.core.replica``): beat replaces them every few minutes, so a few
milliseconds of replay lag changes nothing anyone sees."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max, Q
from django.utils import translation

from casework.core.replica import stale_reads
from casework.statistics.models import PublishedTable
from casework.statistics.services import STAFF_LANGUAGES
from casework.statistics.tables import Column, Table


@dataclass
class Figures:
    """The tables for one year and kind, and when they were computed."""

    tables: list[Table]
    computed_at: dt.datetime | None


@dataclass
class Published:
    """What has been computed in one language: the years to choose from and when (``None``
    on a system the refresh has not run on yet)."""

    years: list[int]
    computed_at: dt.datetime | None
    # The newest stored row's id: the refresh deletes and re-creates every row of a language,
    # so a row's id never names other figures and (language, version) names one refresh.
    version: int = 0

    @property
    def ready(self) -> bool:
        return self.computed_at is not None


def statistics_language() -> str:
    """The stored language nearest the reader's: a staff language, else English."""
    language = (translation.get_language() or "en").split("-")[0]
    return language if language in STAFF_LANGUAGES else "en"


def published(*, language: str | None = None) -> Published:
    """The years with figures (newest first) and the time they were computed, in one query."""
    with stale_reads(PublishedTable):
        rows = list(
            PublishedTable.objects.filter(language=language or statistics_language())
            .values("year")
            .annotate(at=Max("computed_at"), last=Max("id"))
            .order_by("-year")
        )
    years, at, version = [], None, 0
    for r in rows:
        if r["year"]:
            years.append(r["year"])
        at = r["at"] if at is None or r["at"] > at else at
        version = max(version, r["last"])
    return Published(years=years, computed_at=at, version=version)


def _table(row: PublishedTable) -> Table:
    return Table(
        slug=row.slug,
        title=row.title,
        columns=[Column(**c) for c in row.columns],
        rows=row.rows,
        note=row.note,
        chart=row.chart,
        total_row=row.total_row,
    )


def _chosen(year: int | None, kind: str | None) -> Q:
    """Casework's tables of that kind; the others' (one table for every kind) as they are."""
    if not kind:
        return Q(year=year or 0, kind="")
    return Q(year=year or 0) & (Q(kind=kind, by_kind=True) | Q(kind="", by_kind=False))


def published_figures(
    *, year: int | None = None, kind: str | None = None, language: str | None = None
) -> Figures:
    """Every table for one year and kind, in the page's order, in one query."""
    with stale_reads(PublishedTable):
        rows = list(
            PublishedTable.objects.filter(
                _chosen(year, kind), language=language or statistics_language()
            ).order_by("position")
        )
    return Figures(
        tables=[_table(r) for r in rows],
        computed_at=max((r.computed_at for r in rows), default=None),
    )


def published_table(
    slug: str, *, year: int | None = None, kind: str | None = None, language: str | None = None
) -> tuple[Table, dt.datetime] | None:
    """One table for one year and kind (``None`` if it has not been computed), in one query."""
    with stale_reads(PublishedTable):
        row = PublishedTable.objects.filter(
            _chosen(year, kind), slug=slug, language=language or statistics_language()
        ).first()
    return None if row is None else (_table(row), row.computed_at)


def published_table_body(
    slug: str, *, year: int | None = None, kind: str | None = None, language: str | None = None
) -> tuple[str, dt.datetime] | None:
    """One table for one year and kind as the API sends it (``PublishedTable.body``: "" when
    stored before the refresh wrote it) and when it was computed, in one query that reads
    nothing else."""
    with stale_reads(PublishedTable):
        return (
            PublishedTable.objects.filter(
                _chosen(year, kind), slug=slug, language=language or statistics_language()
            )
            .values_list("body", "computed_at")
            .first()
        )
