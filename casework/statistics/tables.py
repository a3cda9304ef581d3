"""The statistics the authority publishes, as aggregate queries (selectors, reads only).

Each function returns a ``Table``, built from rows the database has grouped (``GROUP BY``
by year and kind besides the table's own columns, ``Sources``), never by a Python loop over
cases, so the same code answers on the demo data and on a million applications. Nobody
waits for them: the refresh (``casework.statistics.services``) stores every table for
every year and kind, and the page and the API read those rows
(``casework.statistics.selectors``).

The definitions follow the Directorate of Immigration's (UDI) tables:

- applications are counted per application, by the year and month they were lodged;
  "asylum applications" are individual protection applications (Immigration Act § 28), so
  collective protection (§ 34) and resettlement are separate kinds;
- age bands are UDI's: 0–5, 6–10, 11–17, 18 and over, at the date of lodging;
- decisions are counted by the year they were made, per instance (UDI first, UNE appeal,
  and reversals: the Directorate's own after reviewing an appeal, or on a request to
  reverse a final rejection);
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
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db.models import (
    CharField,
    Count,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
)
from django.db.models.functions import ExtractYear
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
from casework.people.choices import Sex

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
# The tables counted per kind of application (casework's); the others are one table for
# every kind, computed once per year.
BY_KIND: set[str] = set()


def register(slug: str, *, by_kind: bool = False) -> Callable[[TableFunction], TableFunction]:
    """Declare a table under ``slug`` (URLs of the admin page, the API and the CSV files).

    A table function takes ``year`` (and ``kind`` where ``by_kind``) and ``sources``, the
    refresh's ``Sources`` (casework's grouped rows, read once for every table; other apps'
    tables take it as one of their ignored keywords).
    """

    def wrap(func: TableFunction) -> TableFunction:
        TABLES[slug] = func
        if by_kind:
            BY_KIND.add(slug)
        return func

    return wrap


def discover() -> None:
    """Load the other apps' tables (``reception.statistics``, ``integration.statistics``).

    casework never imports those apps; like the admin, it imports their ``statistics``
    module if they have one, and those modules ``register`` their tables here. Once per
    process: a module is imported only once anyway, and looking for every app's module again
    was a fifth of a statistics API request's time.
    """
    global _discovered
    if _discovered:
        return
    from django.utils.module_loading import autodiscover_modules

    autodiscover_modules("statistics")
    _discovered = True


_discovered = False


def table(slug: str, **params: Any) -> Table:
    discover()
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


def percentile_of_counts(counts: Sequence[tuple[float, int]], fraction: float) -> float | None:
    """The same interpolation as ``PERCENTILE_CONT``, from a histogram: ``counts`` holds each
    value with how many times it occurs, in ascending order of value.

    The database groups and sorts (a few thousand (value, count) rows at most: processing
    times in days), never a row per case: portable to SQLite, where there is no
    ``PERCENTILE_CONT``, in one query for every group, year and kind at once.
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


class Year(Func):
    """A date's year as a number, with the database's own date formatting (Django's
    ``ExtractYear`` is a Python function per row on SQLite)."""

    output_field = IntegerField()
    arity = 1

    def as_sql(
        self, compiler: Any, connection: Any, *args: Any, **extra: Any
    ) -> tuple[str, list[Any]]:
        (day, params) = compiler.compile(self.get_source_expressions()[0])
        if connection.vendor == "postgresql":
            return f"CAST(EXTRACT(YEAR FROM {day}) AS integer)", params
        return f"CAST(strftime('%%Y', {day}) AS INTEGER)", params


# --- The grouped rows the tables are built from ----------------------------------------------


class Sources:
    """Casework's figures grouped by year and kind besides each table's own columns, each read
    from the database once (a ``GROUP BY`` over the whole table: set-based, never a row per
    case) and kept for the life of this object.

    The refresh builds every table for every year and kind from one ``Sources``: five scans
    of the applications and decisions in all, rather than five per year and kind. A table
    asked for alone makes its own ``Sources`` and reads only what it needs.
    """

    def __init__(self, *, now: Any = None) -> None:
        self.now = now or timezone.now()
        self._read: dict[str, list[dict[str, Any]]] = {}
        self._memo: dict[Any, Any] = {}

    def _rows(self, name: str, query: Callable[[], Iterable[dict[str, Any]]]) -> list[dict]:
        if name not in self._read:
            self._read[name] = list(query())
        return self._read[name]

    def memo(self, key: Any, compute: Callable[[], Any]) -> Any:
        """Another app's figures, computed once for every table and language that shows
        them (reception's occupancy on a day feeds three tables)."""
        if key not in self._memo:
            self._memo[key] = compute()
        return self._memo[key]

    @property
    def months(self) -> list[dict[str, Any]]:
        """Applications per month of lodging and kind (also the years to choose from)."""

        def query() -> Iterable[dict[str, Any]]:
            rows = (
                Application.objects.annotate(ym=YearMonth("lodged_on"))
                .values("ym", "kind")
                .annotate(n=Count("id"))
                .order_by()
            )
            return ({**r, "year": int(r["ym"][:4])} for r in rows if r["ym"])

        return self._rows("months", query)

    def applications_by(self, field: str) -> list[dict[str, Any]]:
        """Applications per year of lodging, kind and ``field``."""
        return self._rows(
            f"by:{field}",
            lambda: (
                Application.objects.annotate(year=Year("lodged_on"))
                .values("year", "kind", field)
                .annotate(n=Count("id"))
                .order_by()
            ),
        )

    @property
    def ages(self) -> list[dict[str, Any]]:
        """Applications per year of lodging, kind, age in years at lodging and sex."""
        return self._rows(
            "ages",
            lambda: (
                Application.objects.annotate(year=Year("lodged_on"), age=_age_years())
                .values("year", "kind", "age", "person__sex")
                .annotate(n=Count("id"))
                .order_by()
            ),
        )

    @property
    def decisions(self) -> list[dict[str, Any]]:
        """Decisions per instance, year of decision, kind, nationality and outcome."""
        return self._rows(
            "decisions",
            lambda: (
                Decision.objects.annotate(
                    year=ExtractYear("decided_at"), kind=F("application__kind")
                )
                .values("instance", "year", "kind", "application__person__nationality", "outcome")
                .annotate(n=Count("id"))
                .order_by()
            ),
        )

    def days(self, which: str) -> list[dict[str, Any]]:
        """Cases per year of decision, kind, track and days taken: ``first`` (lodging to the
        first first-instance decision) or ``final`` (to the decision that stands)."""

        def query() -> Iterable[dict[str, Any]]:
            if which == "first":
                qs = _first_decisions().annotate(
                    kind=F("application__kind"),
                    track=F("application__track"),
                    days=DaysBetween(F("application__lodged_on"), F("decided_at")),
                )
            else:
                qs = Application.objects.filter(_final_filter(self.now)).annotate(
                    days=DaysBetween(F("lodged_on"), F("decided_at"))
                )
            return (
                qs.filter(days__isnull=False)
                .annotate(year=ExtractYear("decided_at"))
                .values("year", "kind", "track", "days")
                .annotate(n=Count("id"))
                .order_by()
            )

        return self._rows(f"days:{which}", query)

    def years(self) -> list[int]:
        """Years with applications, newest first (the page's year selector)."""
        return sorted({r["year"] for r in self.months}, reverse=True)


def _chosen(rows: list[dict[str, Any]], year: int | None, kind: str | None) -> list[dict]:
    """The grouped rows of one year and kind (every year, every kind when not given)."""
    return [r for r in rows if (not year or r["year"] == year) and (not kind or r["kind"] == kind)]


def _sum_by(rows: Iterable[dict[str, Any]], *keys: str) -> dict[Any, int]:
    totals: dict[Any, int] = {}
    for r in rows:
        key = r[keys[0]] if len(keys) == 1 else tuple(r[k] for k in keys)
        totals[key] = totals.get(key, 0) + r["n"]
    return totals


# --- Applications ---------------------------------------------------------------------------

KIND_LABELS = dict(ApplicationKind.choices)
TRACK_LABELS = dict(Track.choices)
SEX_LABELS = dict(Sex.choices)


@register("applications-by-month", by_kind=True)
def applications_by_month(
    *,
    year: int | None = None,
    kind: str | None = None,
    sources: Sources | None = None,
    **_ignored: Any,
) -> Table:
    months = _sum_by(_chosen((sources or Sources()).months, year, kind), "ym")
    return Table(
        slug="applications-by-month",
        title=_("Applications by year and month of lodging"),
        columns=[
            Column("year", _("year")),
            Column("month", _("month")),
            Column("applications", _("applications"), numeric=True),
        ],
        rows=[
            {"year": int(ym[:4]), "month": int(ym[5:7]), "applications": n}
            for ym, n in sorted(months.items())
        ],
        chart={"label": "month", "value": "applications"},
    )


def _count_by(
    slug: str,
    title: Any,
    key: str,
    label: Any,
    field: str,
    labels: Callable[[Any], str],
    *,
    year: int | None = None,
    kind: str | None = None,
    sources: Sources | None = None,
    **_ignored: Any,
) -> Table:
    counts = _sum_by(_chosen((sources or Sources()).applications_by(field), year, kind), field)
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0] or ""))
    return Table(
        slug=slug,
        title=title,
        columns=[
            Column(key, label),
            Column("code", _("code")),
            Column("applications", _("applications"), numeric=True),
        ],
        rows=[{key: labels(v), "code": v or "", "applications": n} for v, n in ordered],
        chart={"label": key, "value": "applications"},
    )


@register("applications-by-nationality", by_kind=True)
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


@register("applications-by-kind", by_kind=True)
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


@register("applications-by-track", by_kind=True)
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


@register("applications-by-sex-and-age", by_kind=True)
def applications_by_sex_and_age(
    *,
    year: int | None = None,
    kind: str | None = None,
    sources: Sources | None = None,
    **_ignored: Any,
) -> Table:
    """UDI's table "by citizenship, age group and sex", without the citizenship split.

    Counted by age in years (a hundred rows at most), then summed into the bands here.
    """
    by_band: dict[str, dict[str, int]] = {}
    for r in _chosen((sources or Sources()).ages, year, kind):
        band = by_band.setdefault(_age_band(r["age"]), dict.fromkeys([*Sex.values, "total"], 0))
        if r["person__sex"] in band:
            band[r["person__sex"]] += r["n"]
        band["total"] += r["n"]
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


def decisions_by_outcome(
    *,
    instance: str = Instance.FIRST,
    year: int | None = None,
    kind: str | None = None,
    sources: Sources | None = None,
    **_ignored: Any,
) -> Table:
    """Decisions by nationality and outcome, with both grant rates (UDI's "Asylvedtak …")."""
    chosen = [
        r
        for r in _chosen((sources or Sources()).decisions, year, kind)
        if r["instance"] == instance and r["outcome"] in OUTCOME_LABELS
    ]
    by_nationality: dict[str, dict[str, int]] = {}
    overall: dict[str, int] = dict.fromkeys(Outcome.values, 0)
    for r in chosen:
        code = r["application__person__nationality"] or ""
        counts = by_nationality.setdefault(code, dict.fromkeys(Outcome.values, 0))
        counts[r["outcome"]] += r["n"]
        overall[r["outcome"]] += r["n"]
    grouped = sorted(by_nationality.items(), key=lambda kv: (-sum(kv[1].values()), kv[0]))
    rows = []
    for code, counts in [*grouped, (None, overall)]:
        merits, allrate = grant_rates(counts)
        rows.append(
            {
                "nationality": str(_("total")) if code is None else _country(code),
                "code": "" if code is None else code,
                **{o: counts[o] for o in Outcome.values},
                "total": sum(counts.values()),
                "merits_decisions": sum(counts[o] for o in (*MERITS_POSITIVE, *MERITS_NEGATIVE)),
                "grant_rate_merits": None if merits is None else round(100 * merits, 1),
                "grant_rate_all": None if allrate is None else round(100 * allrate, 1),
            }
        )
    label = {
        Instance.FIRST: _("first instance"),
        Instance.APPEAL: _("appeal"),
        Instance.REVERSAL: _("reversal"),
    }[Instance(instance)]
    note = _(
        "On the merits: refugee (both) + humanitarian ÷ (those + rejected on the merits + "
        "limited permits for unaccompanied minors). Overall: positive ÷ all decisions."
    )
    if instance == Instance.REVERSAL:
        note = _(
            "Decisions reversing an earlier rejection: by the Directorate on reviewing an "
            "appeal before it goes to the appeals board, and on a request to reverse a final "
            "rejection. Counted apart from the first instance and the appeals, so that each "
            "case counts once there."
        )
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
        note=note,
        chart={"label": "nationality", "value": "total"},
        total_row=True,
    )


@register("decisions-first", by_kind=True)
def decisions_first(**f: Any) -> Table:
    return decisions_by_outcome(instance=Instance.FIRST, **f)


@register("decisions-appeal", by_kind=True)
def decisions_appeal(**f: Any) -> Table:
    return decisions_by_outcome(instance=Instance.APPEAL, **f)


@register("decisions-reversal", by_kind=True)
def decisions_reversal(**f: Any) -> Table:
    """Reversals (omgjøring): the Directorate's own new decision after reviewing an appeal,
    and a final rejection reversed on request, by nationality and outcome."""
    return decisions_by_outcome(instance=Instance.REVERSAL, **f)


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


def _final_filter(now: Any = None) -> Q:
    """Cases whose last decision stands: accepted, withdrawn, or rejected beyond appeal."""
    now = now or timezone.now()
    return Q(decided_at__isnull=False) & (
        Q(state__in=[State.ACCEPTED, State.WITHDRAWN])
        | Q(state=State.REJECTED) & (Q(is_final=True) | Q(appeal_deadline__lt=now))
    )


def _percentiles(rows: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """n, median and 80th percentile of the days per kind and track, from the histogram of
    days (``percentile_of_counts``: the interpolation of ``PERCENTILE_CONT``) summed over the
    chosen years: a few thousand grouped rows, never a row per case."""
    histograms: dict[tuple[str, str], dict[int, int]] = {}
    for r in rows:
        days = histograms.setdefault((r["kind"], r["track"]), {})
        days[r["days"]] = days.get(r["days"], 0) + r["n"]
    result = {}
    for key, days in histograms.items():
        counts = sorted(days.items())
        result[key] = {
            "n": sum(days.values()),
            "median": percentile_of_counts(counts, 0.5),
            "p80": percentile_of_counts(counts, 0.8),
        }
    return result


@register("processing-time", by_kind=True)
def processing_time(
    *,
    year: int | None = None,
    kind: str | None = None,
    sources: Sources | None = None,
    **_ignored: Any,
) -> Table:
    """Days from lodging to the first decision and to the final one, by kind and track.

    ``year`` selects the year of the decision (the cases finished that year), as UDI does.
    """
    sources = sources or Sources()
    a = _percentiles(_chosen(sources.days("first"), year, kind))
    b = _percentiles(_chosen(sources.days("final"), year, kind))
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
    """Years with applications, newest first (the page's year selector)."""
    return Sources().years()


def tables(*, slugs: Iterable[str] | None = None, **params: Any) -> list[Table]:
    discover()
    sources = params.pop("sources", None) or Sources()
    return [TABLES[s](sources=sources, **params) for s in (slugs or TABLES)]


# --- Returns --------------------------------------------------------------------------------


@register("returns-by-type-and-nationality")
def returns_by_type_and_nationality(*, year: int | None = None, **_ignored: Any) -> Table:
    """Returns that ended in the year, by nationality and type: assisted (travelled with IOM),
    forced (carried out by the police) and whereabouts unknown, as the Directorate and the
    police publish them; and how many assisted returns were applied for before the departure
    deadline (the support is higher then). One ``GROUP BY``."""
    from casework.returns.choices import ReturnType
    from casework.returns.models import Return

    qs = Return.objects.exclude(ended_as="")
    if year:
        qs = qs.filter(ended_at__year=year)
    rows = (
        qs.values("person__nationality")
        .annotate(
            **{k: Count("pk", filter=Q(ended_as=k)) for k in ReturnType.values},
            in_time=Count(
                "pk", filter=Q(ended_as=ReturnType.ASSISTED, applied_before_deadline=True)
            ),
            total=Count("pk"),
        )
        .order_by("-total", "person__nationality")
    )
    return Table(
        slug="returns-by-type-and-nationality",
        title=_("Returns by type and nationality"),
        columns=[Column("nationality", _("nationality")), Column("code", _("code"))]
        + [Column(k, label, numeric=True) for k, label in ReturnType.choices]
        + [
            Column("in_time", _("assisted, applied before the departure deadline"), numeric=True),
            Column("total", _("total"), numeric=True),
        ],
        rows=[
            {
                "nationality": _country(r["person__nationality"]),
                "code": r["person__nationality"] or "",
                **{k: r[k] for k in ReturnType.values},
                "in_time": r["in_time"],
                "total": r["total"],
            }
            for r in rows
        ],
        note=_(
            "Counted by the year the return ended. Whereabouts unknown is not a return: the "
            "person left the reception system and could not be found."
        ),
        chart={"label": "nationality", "value": "total"},
    )


# --- Resettlement against the quota ---------------------------------------------------------


def _resettlement_figures() -> dict[int, dict[str, Any]]:
    """Per quota year: the quota (places, source, verified) and the places used, selected
    (not yet arrived) and arrived. Two grouped reads, whatever the number of referrals."""
    from casework.resettlement.choices import PLACE_STATES, ReferralState
    from casework.resettlement.models import ResettlementQuota, ResettlementReferral

    years: dict[int, dict[str, Any]] = {}
    for q in ResettlementQuota.objects.values("year", "places", "source", "verified"):
        years[q["year"]] = {**q, "selected": 0, "arrived": 0}
    counted = (
        ResettlementReferral.objects.filter(state__in=PLACE_STATES, quota_year__isnull=False)
        .values("quota_year", "state")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in counted:
        year = years.setdefault(
            row["quota_year"],
            {"year": row["quota_year"], "places": None, "source": "", "verified": False,
             "selected": 0, "arrived": 0},
        )  # fmt: skip
        key = "arrived" if row["state"] == ReferralState.ARRIVED else "selected"
        year[key] += row["n"]
    return years


@register("resettlement-quota")
def resettlement_quota(
    *, year: int | None = None, sources: Sources | None = None, **_ignored: Any
) -> Table:
    """Resettlement refugees against the yearly quota (Immigration Act § 35): places used
    (selected, and of those arrived) and remaining, per quota year, newest first."""
    figures = (
        sources.memo("resettlement-quota", _resettlement_figures)
        if sources is not None
        else _resettlement_figures()
    )
    rows = []
    for y in sorted(figures, reverse=True):
        if year and y != year:
            continue
        f = figures[y]
        used = f["selected"] + f["arrived"]
        rows.append(
            {
                "year": y,
                "quota": f["places"],
                "selected": f["selected"],
                "arrived": f["arrived"],
                "used": used,
                "remaining": None if f["places"] is None else f["places"] - used,
                "source": f["source"],
                "verified": str(_("yes") if f["verified"] else _("no")),
            }
        )
    return Table(
        slug="resettlement-quota",
        title=_("Resettlement quota: places used and remaining by year"),
        columns=[
            Column("year", _("year")),
            Column("quota", _("quota"), numeric=True),
            Column("selected", _("selected, not yet arrived"), numeric=True),
            Column("arrived", _("arrived"), numeric=True),
            Column("used", _("places used"), numeric=True),
            Column("remaining", _("places remaining"), numeric=True),
            Column("source", _("source")),
            Column("verified", _("verified")),
        ],
        rows=rows,
        note=_(
            "A place is used when a referral is selected within the year's quota and stays "
            "used when the refugee arrives. Arrivals imported in bulk count in their year of "
            "arrival. A year with no quota set shows its arrivals and no quota."
        ),
        chart={"label": "year", "value": "used"},
    )
