"""The only writer of the published tables: every table for every year, kind and staff
language, recomputed by Celery beat (and when beat starts), never while someone waits."""

from __future__ import annotations

import datetime as dt
import json
import logging

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone, translation

from casework.applications.choices import ApplicationKind
from casework.core.replica import stale_reads
from casework.statistics import tables
from casework.statistics.models import PublishedTable

log = logging.getLogger(__name__)

# The staff interface's languages: a table holds names of countries, outcomes and statuses in
# the language it was computed in.
STAFF_LANGUAGES = ("nb", "en")


def statistics_refresh(
    *, now: dt.datetime | None = None, languages: tuple[str, ...] = STAFF_LANGUAGES
) -> int:
    """Compute every published table for every year with applications (and all years), every
    kind (and all kinds) and each staff language, and replace the stored tables in one
    transaction: a reader sees the old figures or the new, never half. Idempotent.

    Casework's tables are built from one ``tables.Sources``: a handful of ``GROUP BY`` scans
    over the applications and decisions whatever the number of years and kinds; the other
    apps' tables are computed once per year and language. All of it is read before the
    transaction, so the write lock (SQLite) is held for the replacement only. Returns the
    number of tables stored.
    """
    now = now or timezone.now()
    with stale_reads():
        stored = _computed(now=now, languages=languages)
    with transaction.atomic():
        PublishedTable.objects.filter(language__in=languages).delete()
        PublishedTable.objects.bulk_create(stored, batch_size=200)
    log.info("statistics refreshed: %d tables", len(stored))
    return len(stored)


def api_body(table: tables.Table) -> str:
    """The table as the API sends it: ``as_dict`` in compact JSON, its values as they read back
    from the stored row (``DjangoJSONEncoder``: dates and decimals as text), written the way
    DRF's ``JSONRenderer`` writes (no ASCII escapes, no spaces, no NaN)."""
    data = json.loads(json.dumps(table.as_dict(), cls=DjangoJSONEncoder))
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False)


def _computed(*, now: dt.datetime, languages: tuple[str, ...]) -> list[PublishedTable]:
    """Every table, unsaved. Read from the replica when there is one (``stale_reads``): these
    scans of whole tables are the statistics' load worth taking off the primary, and what
    they read is only counted and then replaces every stored table at once, never merged
    with a row of the primary's, so a replica a few milliseconds behind gives figures as
    good as the primary's (which are up to a refresh interval old when shown anyway)."""
    tables.discover()
    sources = tables.Sources(now=now)
    years: list[int | None] = [None, *sources.years()]
    kinds: list[str | None] = [None, *ApplicationKind.values]
    stored: list[PublishedTable] = []
    for language in languages:
        with translation.override(language):
            for position, (slug, function) in enumerate(tables.TABLES.items()):
                by_kind = slug in tables.BY_KIND
                for year in years:
                    for kind in kinds if by_kind else [None]:
                        table = function(year=year, kind=kind, sources=sources)
                        stored.append(
                            PublishedTable(
                                language=language,
                                year=year or 0,
                                kind=kind or "",
                                slug=slug,
                                by_kind=by_kind,
                                position=position,
                                title=str(table.title),
                                note=str(table.note),
                                columns=[
                                    {"key": c.key, "label": str(c.label), "numeric": c.numeric}
                                    for c in table.columns
                                ],
                                rows=table.rows,
                                chart=table.chart,
                                total_row=table.total_row,
                                computed_at=now,
                                body=api_body(table),
                            )
                        )
    return stored
