"""The statistics the authority publishes, as aggregate queries (selectors, reads only).

Each function returns a ``Table``: columns and rows computed by ``GROUP BY`` in the database,
never by a Python loop over cases, so the same code answers on the demo data and on a
million applications. The definitions follow the Directorate of Immigration's (UDI) tables:

- applications are counted per application, by the year and month they were lodged;
  "asylum applications" are individual protection applications (Immigration Act § 28), so
  collective protection (§ 34) and resettlement are separate kinds;
- age bands are UDI's: 0–5, 6–10, 11–17, 18 and over, at the date of lodging;
- decisions are counted by the year they were made, per instance (UDI first, UNE appeal);
- grant rate on the merits (*innvilgelsesandel realitetsbehandlet*) = the three positive
  outcomes ÷ (those + merits rejections + limited permits for unaccompanied minors);
  Dublin, safe third country and withdrawn/dismissed are left out;
- grant rate overall (*innvilgelsesandel alle*) = positive decisions ÷ all decisions;
- processing time runs from lodging to the first first-instance decision, and to the final
  decision (accepted, withdrawn, or rejected once no appeal is possible or pending).

Other apps (reception, integration) add their tables to ``TABLES`` with ``register``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    CharField,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from casework.applications.choices import (
    MERITS_NEGATIVE,
    MERITS_POSITIVE,
    POSITIVE,
    AppealOutcome,
    ApplicationKind,
    Instance,
    Outcome,
    State,
    Track,
)
from casework.applications.models import Appeal, Application, Decision
from casework.core.replica import stale_reads
from casework.people.choices import Sex

log = logging.getLogger(__name__)

# --- Tables ---------------------------------------------------------------------------------


@dataclass
class Column:
    key: str
    label: Any
    numeric: bool = False


@dataclass
class Table:
    """A published table: what it counts, its columns, its rows (dicts keyed by column)."""

    slug: str
    title: Any
    columns: list[Column]
    rows: list[dict[str, Any]]
    note: Any = ""
    chart: dict[str, str] = field(default_factory=dict)  # {"label": key, "value": key}
    total_row: bool = False  # the last row sums the others (left out of the chart)

    @property
    def chart_rows(self) -> list[dict[str, Any]]:
        return self.rows[:-1] if self.total_row else self.rows

    def total(self, key: str) -> float:
        return sum(r.get(key) or 0 for r in self.rows)

    def as_dict(self) -> dict[str, Any]:
        return {
            "slug": self.slug,
            "title": str(self.title),
            "note": str(self.note),
            "columns": [{"key": c.key, "label": str(c.label)} for c in self.columns],
            "rows": self.rows,
        }

    def as_csv(self) -> str:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([str(c.label) for c in self.columns])
        for row in self.rows:
            writer.writerow([_csv_cell(row.get(c.key)) for c in self.columns])
        return out.getvalue()


def _csv_cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@"):
        return "'" + value  # never a formula when the file is opened in a spreadsheet
    return value


TableFunction = Callable[..., Table]
TABLES: dict[str, TableFunction] = {}


def register(slug: str) -> Callable[[TableFunction], TableFunction]:
    """Declare a table under ``slug`` (URLs of the admin page, the API and the CSV files)."""

    def wrap(func: TableFunction) -> TableFunction:
        TABLES[slug] = func
        return func

    return wrap


def discover() -> None:
    """Load the other apps' tables (``reception.statistics``, ``integration.statistics``).

    casework never imports those apps; like the admin, it imports their ``statistics``
    module if they have one, and those modules ``register`` their tables here.
    """
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("statistics")


def table(slug: str, **params: Any) -> Table:
    """One table (the API, a CSV download), read from the replica when there is one: counts
    a few seconds behind are as good as live (``casework.core.replica``)."""
    discover()
    with stale_reads():
        return TABLES[slug](**params)


# --- Portable SQL pieces --------------------------------------------------------------------


class DaysBetween(Func):
    """Whole days from ``start`` (a date) to ``end`` (a date or timestamp), in the database."""

    output_field = IntegerField()
    arity = 2

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (start, s_params), (end, e_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if connection.vendor == "postgresql":
            return f"(CAST({end} AS date) - CAST({start} AS date))", [*e_params, *s_params]
        return (
            f"CAST(julianday(date({end})) - julianday(date({start})) AS INTEGER)",
            [*e_params, *s_params],
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ``PERCENTILE_CONT(f) WITHIN GROUP (ORDER BY x)``: an interpolated percentile."""

    function = "PERCENTILE_CONT"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        super().__init__(expression, fraction=repr(float(fraction)), **extra)


def percentile_of_counts(counts: list[tuple[float, int]], fraction: float) -> float | None:
    """The same interpolation as ``PERCENTILE_CONT``, from a histogram: ``counts`` holds each
    value with how many times it occurs, in ascending order of value.

    The database groups and sorts (a few thousand (value, count) rows at most: processing
    times in days), never a row per case: portable to SQLite, where there is no
    ``PERCENTILE_CONT``, in one query for every group at once.
    """
    n = sum(count for _value, count in counts)
    if n == 0:
        return None
    pos = fraction * (n - 1)
    lo = math.floor(pos)

    def at(index: int) -> float:
        seen = 0
        for value, count in counts:
            seen += count
            if index < seen:
                return float(value)
        return float(counts[-1][0])

    low = at(lo)
    if pos == lo or lo + 1 >= n:
        return low
    return low + (pos - lo) * (at(lo + 1) - low)


class YearMonth(Func):
    """A date's year and month as the text YYYY-MM, with the database's own date formatting
    (Django's ``ExtractYear`` and ``ExtractMonth`` are Python functions per row on SQLite)."""

    output_field = CharField()
    arity = 1

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (day, params) = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "postgresql":
            return f"to_char({day}, 'YYYY-MM')", params
        return f"strftime('%%Y-%%m', {day})", params


class YearsBetween(Func):
    """Whole years from ``born`` to ``on`` (both dates), in the database: the difference of
    the two dates written as the numbers YYYYMMDD, divided by 10,000 (a birthday not yet
    reached that year takes one off). Native date formatting on both databases: on SQLite,
    Django's ``Extract*`` are Python functions called per row, and an age made of four of
    them cost the statistics page seconds at the demo scale."""

    output_field = IntegerField()
    arity = 2

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (born, b_params), (on, o_params) = (
            compiler.compile(e) for e in self.get_source_expressions()
        )
        if connection.vendor == "postgresql":
            number = "CAST(to_char({}, 'YYYYMMDD') AS integer)"
        else:
            number = "CAST(strftime('%%Y%%m%%d', {}) AS INTEGER)"
        return (
            f"(({number.format(on)} - {number.format(born)}) / 10000)",
            [*o_params, *b_params],
        )


def _age_years() -> Any:
    """Age in whole years at lodging, computed in the database."""
    return YearsBetween(F("person__date_of_birth"), F("lodged_on"))


AGE_BANDS = [("0-5", 0, 5), ("6-10", 6, 10), ("11-17", 11, 17), ("18+", 18, 200)]


def _age_band(age: int | None) -> str:
    """UDI's age band of an age in years ("unknown" without a date of birth)."""
    if age is not None:
        for label, lo, hi in AGE_BANDS:
            if lo <= age <= hi:
                return label
    return "unknown"


def _country(code: str) -> str:
    return str(countries.name(code)) if code else str(_("stateless"))


def _applications(*, year: int | None = None, kind: str | None = None) -> QuerySet:
    qs = Application.objects.all()
    if year:
        qs = qs.filter(lodged_on__year=year)
    if kind:
        qs = qs.filter(kind=kind)
    return qs


# --- Applications ---------------------------------------------------------------------------

KIND_LABELS = dict(ApplicationKind.choices)
TRACK_LABELS = dict(Track.choices)
SEX_LABELS = dict(Sex.choices)


@register("applications-by-month")
def applications_by_month(
    *, year: int | None = None, kind: str | None = None, **_ignored: Any
) -> Table:
    rows = (
        _applications(year=year, kind=kind)
        .annotate(ym=YearMonth("lodged_on"))
        .values("ym")
        .annotate(n=Count("id"))
        .order_by("ym")
    )
    rows = [{"y": int(r["ym"][:4]), "m": int(r["ym"][5:7]), "n": r["n"]} for r in rows]
    return Table(
        slug="applications-by-month",
        title=_("Applications by year and month of lodging"),
        columns=[
            Column("year", _("year")),
            Column("month", _("month")),
            Column("applications", _("applications"), numeric=True),
        ],
        rows=[{"year": r["y"], "month": r["m"], "applications": r["n"]} for r in rows],
        chart={"label": "month", "value": "applications"},
    )


def _count_by(
    slug: str, title: Any, key: str, label: Any, expr: Any, labels: Callable[[Any], str], **f: Any
) -> Table:
    qs = _applications(year=f.get("year"), kind=f.get("kind"))
    if not isinstance(expr, str):
        qs = qs.annotate(**{"_g": expr})
        expr = "_g"
    rows = qs.values(expr).annotate(n=Count("id")).order_by("-n", expr)
    return Table(
        slug=slug,
        title=title,
        columns=[
            Column(key, label),
            Column("code", _("code")),
            Column("applications", _("applications"), numeric=True),
        ],
        rows=[{key: labels(r[expr]), "code": r[expr] or "", "applications": r["n"]} for r in rows],
        chart={"label": key, "value": "applications"},
    )


@register("applications-by-nationality")
def applications_by_nationality(**f: Any) -> Table:
    return _count_by(
        "applications-by-nationality",
        _("Applications by nationality"),
        "nationality",
        _("nationality"),
        "person__nationality",
        _country,
        **f,
    )


@register("applications-by-kind")
def applications_by_kind(**f: Any) -> Table:
    return _count_by(
        "applications-by-kind",
        _("Applications by kind"),
        "kind_label",
        _("kind"),
        "kind",
        lambda v: str(KIND_LABELS.get(v, v)),
        **f,
    )


@register("applications-by-track")
def applications_by_track(**f: Any) -> Table:
    return _count_by(
        "applications-by-track",
        _("Applications by procedure track"),
        "track_label",
        _("track"),
        "track",
        lambda v: str(TRACK_LABELS.get(v, v)),
        **f,
    )


@register("applications-by-sex-and-age")
def applications_by_sex_and_age(
    *, year: int | None = None, kind: str | None = None, **_ignored: Any
) -> Table:
    """UDI's table "by citizenship, age group and sex", without the citizenship split.

    Counted by age in years (a hundred rows at most), then summed into the bands here.
    """
    qs = (
        _applications(year=year, kind=kind)
        .annotate(age=_age_years())
        .values("age")
        .annotate(
            **{s: Count("id", filter=Q(person__sex=s)) for s in Sex.values},
            total=Count("id"),
        )
        .order_by()
    )
    by_band: dict[str, dict[str, int]] = {}
    for r in qs:
        band = by_band.setdefault(_age_band(r["age"]), dict.fromkeys([*Sex.values, "total"], 0))
        for key in band:
            band[key] += r[key]
    order = [label for label, _lo, _hi in AGE_BANDS] + ["unknown"]
    rows = [{"age_band": band, **by_band[band]} for band in order if band in by_band]
    return Table(
        slug="applications-by-sex-and-age",
        title=_("Applications by age band and sex"),
        columns=[Column("age_band", _("age band"))]
        + [Column(s, SEX_LABELS[s], numeric=True) for s in Sex.values]
        + [Column("total", _("total"), numeric=True)],
        rows=rows,
        chart={"label": "age_band", "value": "total"},
    )


# --- Decisions ------------------------------------------------------------------------------

OUTCOME_LABELS = dict(Outcome.choices)


def grant_rates(counts: dict[str, int]) -> tuple[float | None, float | None]:
    """UDI's two rates from counts per outcome: (on the merits, overall), as fractions."""
    positive_merits = sum(counts.get(o, 0) for o in MERITS_POSITIVE)
    merits = positive_merits + sum(counts.get(o, 0) for o in MERITS_NEGATIVE)
    positive = sum(counts.get(o, 0) for o in POSITIVE)
    total = sum(counts.get(o, 0) for o in Outcome.values)
    return (
        positive_merits / merits if merits else None,
        positive / total if total else None,
    )


def _decisions(*, instance: str, year: int | None, kind: str | None) -> QuerySet:
    qs = Decision.objects.filter(instance=instance)
    if year:
        qs = qs.filter(decided_at__year=year)
    if kind:
        qs = qs.filter(application__kind=kind)
    return qs


def decisions_by_outcome(
    *,
    instance: str = Instance.FIRST,
    year: int | None = None,
    kind: str | None = None,
    **_ignored: Any,
) -> Table:
    """Decisions by nationality and outcome, with both grant rates (UDI's "Asylvedtak …")."""
    counts = {o: Count("id", filter=Q(outcome=o)) for o in Outcome.values}
    base = _decisions(instance=instance, year=year, kind=kind)
    grouped = (
        base.values("application__person__nationality")
        .annotate(**counts, total=Count("id"))
        .order_by("-total", "application__person__nationality")
    )
    overall = base.aggregate(**counts, total=Count("id"))
    rows = []
    for r in [*grouped, {**overall, "application__person__nationality": None}]:
        merits, allrate = grant_rates(r)
        code = r["application__person__nationality"]
        rows.append(
            {
                "nationality": str(_("total")) if code is None else _country(code),
                "code": "" if code is None else code,
                **{o: r[o] for o in Outcome.values},
                "total": r["total"],
                "merits_decisions": sum(r[o] for o in (*MERITS_POSITIVE, *MERITS_NEGATIVE)),
                "grant_rate_merits": None if merits is None else round(100 * merits, 1),
                "grant_rate_all": None if allrate is None else round(100 * allrate, 1),
            }
        )
    label = _("first instance") if instance == Instance.FIRST else _("appeal")
    return Table(
        slug=f"decisions-{instance}",
        title=_("Decisions by nationality and outcome (%(instance)s)") % {"instance": label},
        columns=[Column("nationality", _("nationality")), Column("code", _("code"))]
        + [Column(o, OUTCOME_LABELS[o], numeric=True) for o in Outcome.values]
        + [
            Column("total", _("total"), numeric=True),
            Column("merits_decisions", _("decisions on the merits"), numeric=True),
            Column("grant_rate_merits", _("grant rate on the merits (%)"), numeric=True),
            Column("grant_rate_all", _("grant rate overall (%)"), numeric=True),
        ],
        rows=rows,
        note=_(
            "On the merits: refugee (both) + humanitarian ÷ (those + rejected on the merits + "
            "limited permits for unaccompanied minors). Overall: positive ÷ all decisions."
        ),
        chart={"label": "nationality", "value": "total"},
        total_row=True,
    )


@register("decisions-first")
def decisions_first(**f: Any) -> Table:
    return decisions_by_outcome(instance=Instance.FIRST, **f)


@register("decisions-appeal")
def decisions_appeal(**f: Any) -> Table:
    return decisions_by_outcome(instance=Instance.APPEAL, **f)


# --- Processing time ------------------------------------------------------------------------


def _first_decisions() -> QuerySet:
    """Each application's first first-instance decision.

    A case remitted by the appeals body is decided again at first instance; that later
    decision follows a remitted appeal, so the first decision is the one no remit precedes.
    (Appeals are few and indexed by application, so the anti-join is cheap on any database.)
    """
    remitted_before = Appeal.objects.filter(
        application=OuterRef("application"),
        outcome=AppealOutcome.REMITTED,
        decided_at__lt=OuterRef("decided_at"),
    )
    return Decision.objects.filter(instance=Instance.FIRST).exclude(Exists(remitted_before))


def _final_filter() -> Q:
    """Cases whose last decision stands: accepted, withdrawn, or rejected beyond appeal."""
    now = timezone.now()
    return Q(decided_at__isnull=False) & (
        Q(state__in=[State.ACCEPTED, State.WITHDRAWN])
        | Q(state=State.REJECTED) & (Q(is_final=True) | Q(appeal_deadline__lt=now))
    )


def _percentiles(qs: QuerySet, groups: list[str]) -> list[dict[str, Any]]:
    """n, median and 80th percentile of ``days`` per group, in one query (on SQLite a
    histogram per group, see ``percentile_of_counts``)."""
    qs = qs.filter(days__isnull=False)
    if connection.vendor == "postgresql":
        return list(
            qs.values(*groups)
            .annotate(
                n=Count("id"),
                median=PercentileCont("days", 0.5),
                p80=PercentileCont("days", 0.8),
            )
            .order_by(*groups)
        )
    histograms: dict[tuple[Any, ...], list[tuple[float, int]]] = {}
    for r in qs.values(*groups, "days").annotate(n=Count("id")).order_by(*groups, "days"):
        histograms.setdefault(tuple(r[g] for g in groups), []).append((r["days"], r["n"]))
    return [
        {
            **dict(zip(groups, key, strict=True)),
            "n": sum(count for _days, count in counts),
            "median": percentile_of_counts(counts, 0.5),
            "p80": percentile_of_counts(counts, 0.8),
        }
        for key, counts in histograms.items()
    ]


@register("processing-time")
def processing_time(*, year: int | None = None, kind: str | None = None, **_ignored: Any) -> Table:
    """Days from lodging to the first decision and to the final one, by kind and track.

    ``year`` selects the year of the decision (the cases finished that year), as UDI does.
    """
    first = _first_decisions().annotate(
        kind=F("application__kind"),
        track=F("application__track"),
        days=DaysBetween(F("application__lodged_on"), F("decided_at")),
    )
    final = Application.objects.filter(_final_filter()).annotate(
        days=DaysBetween(F("lodged_on"), F("decided_at"))
    )
    if kind:
        first, final = first.filter(application__kind=kind), final.filter(kind=kind)
    if year:
        first = first.filter(decided_at__year=year)
        final = final.filter(decided_at__year=year)
    groups = ["kind", "track"]
    a = {(r["kind"], r["track"]): r for r in _percentiles(first, groups)}
    b = {(r["kind"], r["track"]): r for r in _percentiles(final, groups)}
    rows = []
    for key in sorted(set(a) | set(b)):
        ra, rb = a.get(key, {}), b.get(key, {})
        rows.append(
            {
                "kind": str(KIND_LABELS.get(key[0], key[0])),
                "track": str(TRACK_LABELS.get(key[1], key[1])),
                "first_n": ra.get("n", 0),
                "first_median": _days(ra.get("median")),
                "first_p80": _days(ra.get("p80")),
                "final_n": rb.get("n", 0),
                "final_median": _days(rb.get("median")),
                "final_p80": _days(rb.get("p80")),
            }
        )
    return Table(
        slug="processing-time",
        title=_("Processing time in days, by kind and track"),
        columns=[
            Column("kind", _("kind")),
            Column("track", _("track")),
            Column("first_n", _("first decisions"), numeric=True),
            Column("first_median", _("to first decision: median"), numeric=True),
            Column("first_p80", _("to first decision: 80th percentile"), numeric=True),
            Column("final_n", _("final decisions"), numeric=True),
            Column("final_median", _("to final decision: median"), numeric=True),
            Column("final_p80", _("to final decision: 80th percentile"), numeric=True),
        ],
        rows=rows,
        chart={"label": "track", "value": "first_median"},
    )


def _days(value: float | None) -> float | None:
    return None if value is None else round(float(value), 1)


def available_years() -> list[int]:
    """Years with applications, newest first (the page's year selector); from the replica
    when there is one."""
    months = Application.objects.annotate(ym=YearMonth("lodged_on")).values_list("ym", flat=True)
    with stale_reads():
        return sorted({int(ym[:4]) for ym in months.distinct() if ym}, reverse=True)


def tables(*, slugs: Iterable[str] | None = None, **params: Any) -> list[Table]:
    """Every table (the statistics page and its beat refresh), read from the replica when
    there is one: each is a scan of a whole table, and the page shows figures up to
    ``PAGE_SECONDS`` old anyway."""
    discover()
    with stale_reads():
        return [TABLES[s](**params) for s in (slugs or TABLES)]


# How long the statistics page shows the same figures. Every table is a scan of its whole
# table (seconds together at a million cases); the figures are published monthly, so a few
# minutes old is as good as live, and a page opened all day by many staff costs one
# computation per language, year and kind every ``PAGE_SECONDS``.
PAGE_SECONDS = 10 * 60


@dataclass
class Figures:
    """Every table for one choice of year and kind, the years to choose from, and when they
    were computed (the page says so)."""

    tables: list[Table]
    years: list[int]
    computed_at: Any


def _page_key(params: dict[str, Any]) -> str:
    from django.utils import translation

    return "statistics:page:" + ":".join(
        [translation.get_language() or "", *(f"{k}={params[k]}" for k in sorted(params))]
    )


def page_figures(**params: Any) -> Figures:
    """The statistics page's figures, from the cache when computed in the last
    ``PAGE_SECONDS`` (per language: the tables hold country and outcome names), else
    computed and cached. A cache outage computes them afresh, never an error page."""
    from django.core.cache import cache

    try:
        figures = cache.get(_page_key(params))
    except Exception:  # a cache outage must not break the page
        log.warning("statistics cache unavailable (get)")
        figures = None
    if isinstance(figures, Figures):
        return figures
    return page_figures_refresh(**params)


def page_figures_refresh(**params: Any) -> Figures:
    """Compute the page's figures now and keep them for ``PAGE_SECONDS`` (the beat task
    ``casework.tasks.refresh_statistics`` does it before they expire, so the page a visitor
    opens without choosing a year or kind is always ready)."""
    from django.core.cache import cache

    figures = Figures(tables=tables(**params), years=available_years(), computed_at=timezone.now())
    try:
        cache.set(_page_key(params), figures, PAGE_SECONDS)
    except Exception:
        log.warning("statistics cache unavailable (set)")
    return figures
