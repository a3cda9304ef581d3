"""Reads for reception, scoped to the user, with occupancy computed in the database.

Occupancy on a day counts placements with ``start <= day < end`` (``end`` empty while
resident): on the day of a transfer the person counts in the new centre only. Counties are
taken as they were on the day counted (``MunicipalityCounty`` periods), so 2023 figures show
Viken and 2024 figures show Østfold, Akershus and Buskerud.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, overload

from django.db.models import (
    Case,
    CharField,
    Count,
    DateField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.applications.choices import OPEN_STATES, State
from casework.models import Application, AuditEvent
from casework.staff.choices import Role
from casework.staff.roles import has_role

from .choices import ResidentStatus
from .models import (
    CentreQuerySet,
    County,
    MunicipalityCounty,
    Placement,
    ReceptionCentre,
    Settlement,
)
from .rules import centre_ids_of

if TYPE_CHECKING:
    from django_stubs_ext import WithAnnotations

    from casework.staff.users import AnyUser


class Occupancy(TypedDict):
    """What ``centres_with_occupancy`` annotates a centre with."""

    occupied: int
    free_beds: int


class ResidentOn(TypedDict):
    """What ``residents_on`` annotates a placement with."""

    app_state: str | None
    status: str
    county: str | None


# --- Scoping --------------------------------------------------------------------------------


def sees_all_centres(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False)) or has_role(user, Role.AUDITOR)


_Centres = TypeVar("_Centres", bound=QuerySet[ReceptionCentre])


@overload
def centres_visible_to(user: AnyUser, queryset: None = None) -> CentreQuerySet: ...
@overload
def centres_visible_to(user: AnyUser, queryset: _Centres) -> _Centres: ...
def centres_visible_to(
    user: AnyUser, queryset: QuerySet[ReceptionCentre] | None = None
) -> QuerySet[ReceptionCentre]:
    """Centres ``user`` may see: all for superusers and auditors, their own for officers."""
    qs = ReceptionCentre.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all_centres(user):
        return qs
    if has_role(user, Role.RECEPTION):
        return qs.filter(pk__in=centre_ids_of(user))
    return qs.none()


def placements_visible_to(
    user: AnyUser, queryset: QuerySet[Placement] | None = None
) -> QuerySet[Placement]:
    """Placements in the centres ``user`` may see (a reception officer: their centres only)."""
    qs = Placement.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all_centres(user):
        return qs
    if has_role(user, Role.RECEPTION):
        return qs.filter(centre_id__in=centre_ids_of(user))
    return qs.none()


def settlements_visible_to(
    user: AnyUser, queryset: QuerySet[Settlement] | None = None
) -> QuerySet[Settlement]:
    """Settlements: all for integration officers, auditors and superusers; a reception officer
    sees those of people who lived in one of their centres."""
    qs = Settlement.objects.all() if queryset is None else queryset
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_all_centres(user) or has_role(user, Role.INTEGRATION):
        return qs
    if has_role(user, Role.RECEPTION):
        residents = Placement.objects.filter(centre_id__in=centre_ids_of(user)).values("person_id")
        return qs.filter(person_id__in=residents)
    return qs.none()


# A person who left a centre stays visible to its officers for a while: belongings, mail and
# the discharge paperwork are handled after the move. 30 days is our choice, not a legal rule
# (the domain reference names none); data minimisation (GDPR art. 5(1)(c)) keeps it short.
RECENT_RESIDENT_DAYS = 30


def residents_scope(user: AnyUser) -> Q:
    """``Q`` on Person for ``casework.privacy.scopes``: who a reception officer sees.

    The people with an open placement in a centre the officer staffs, or a placement there
    that ended within ``RECENT_RESIDENT_DAYS``; an ``Exists`` so a person with several
    placements is listed once.
    """
    centres = centre_ids_of(user)
    if not centres:
        return Q(pk__in=[])
    since = timezone.localdate() - dt.timedelta(days=RECENT_RESIDENT_DAYS)
    placed = Placement.objects.filter(person=OuterRef("pk"), centre_id__in=centres).filter(
        Q(end__isnull=True) | Q(end__gte=since)
    )
    return Q(Exists(placed))


def current_placement(person: Any) -> Placement | None:
    """The person's open placement, if any (for the person's page)."""
    return (
        Placement.objects.filter(person=person, end__isnull=True).select_related("centre").first()
    )


# --- Occupancy ------------------------------------------------------------------------------


def present_on(day: dt.date, prefix: str = "") -> Q:
    """Placements in a centre on ``day``."""
    return Q(**{f"{prefix}start__lte": day}) & (
        Q(**{f"{prefix}end__isnull": True}) | Q(**{f"{prefix}end__gt": day})
    )


def centres_with_occupancy(
    queryset: QuerySet[ReceptionCentre] | None = None, *, on: dt.date | None = None
) -> QuerySet[WithAnnotations[ReceptionCentre, Occupancy]]:
    """Centres annotated with ``occupied`` and ``free_beds`` on ``on`` (today): one query.

    A correlated count per centre rather than a join, so other annotations and filters on the
    same queryset do not multiply it.
    """
    on = on or timezone.localdate()
    qs = ReceptionCentre.objects.all() if queryset is None else queryset
    occupied = (
        Placement.objects.filter(present_on(on), centre=OuterRef("pk"))
        .order_by()
        .values("centre")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return qs.annotate(
        occupied=Coalesce(Subquery(occupied, output_field=IntegerField()), 0),
    ).annotate(
        free_beds=ExpressionWrapper(F("capacity") - F("occupied"), output_field=IntegerField())
    )


def county_of_municipality_on(
    municipality_ref: str, day_ref: Any, what: str = "county__name"
) -> Subquery:
    """A subquery: ``what`` of the county the municipality belonged to on the given day."""
    return Subquery(
        MunicipalityCounty.objects.filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=day_ref),
            municipality=OuterRef(municipality_ref),
            valid_from__lte=day_ref,
        ).values(what)[:1]
    )


def _state_on(day: dt.date) -> Coalesce:
    """The state of the person's latest application as of the end of ``day``.

    Taken from the audit trail (each transition writes its target state), falling back to the
    current state of the latest application lodged by then (records without a trail). Only
    events whose target is an application state count: integration writes events about the
    same case for its own records (a work permit "granted"), which say nothing of the asylum
    case's state.
    """
    tz = timezone.get_current_timezone()
    end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz)
    from_trail = (
        AuditEvent.objects.filter(
            person=OuterRef("person_id"),
            application__isnull=False,
            at__lt=end_of_day,
            target_state__in=State.values,
        )
        .order_by("-at", "-id")
        .values("target_state")[:1]
    )
    current = (
        Application.objects.filter(person=OuterRef("person_id"), lodged_on__lte=day)
        .order_by("-lodged_on", "-id")
        .values("state")[:1]
    )
    return Coalesce(Subquery(from_trail), Subquery(current), output_field=CharField())


def resident_status_expression(day: dt.date) -> Case:
    """Placement rows -> ``ResidentStatus`` of the resident on ``day`` (UDI's three groups)."""
    return Case(
        When(
            app_state__in=list(OPEN_STATES),
            then=Value(ResidentStatus.WAITING),
        ),
        When(app_state=State.ACCEPTED, then=Value(ResidentStatus.AWAITING_SETTLEMENT)),
        When(
            app_state__in=[State.REJECTED, State.WITHDRAWN],
            then=Value(ResidentStatus.OBLIGED_TO_LEAVE),
        ),
        default=Value(ResidentStatus.OTHER),
        output_field=CharField(),
    )


def status_of_state(state: str | None) -> str:
    """The resident status for an application state (as ``resident_status_expression``)."""
    if state in OPEN_STATES:
        return ResidentStatus.WAITING
    if state == State.ACCEPTED:
        return ResidentStatus.AWAITING_SETTLEMENT
    if state in (State.REJECTED, State.WITHDRAWN):
        return ResidentStatus.OBLIGED_TO_LEAVE
    return ResidentStatus.OTHER


def residents_on(
    *, on: dt.date, placements: QuerySet[Placement] | None = None
) -> QuerySet[WithAnnotations[Placement, ResidentOn]]:
    """Placements present on ``on``, annotated with ``status`` and ``county`` as of that day."""
    qs = Placement.objects.all() if placements is None else placements
    return (
        qs.filter(present_on(on))
        .annotate(app_state=_state_on(on))
        .annotate(
            status=resident_status_expression(on),
            county=county_of_municipality_on(
                "centre__municipality_id", Value(on, output_field=DateField())
            ),
        )
    )


@dataclass
class OccupancyReport:
    """Residents on a day by centre, county and status; with the counties valid that day."""

    on: dt.date
    by_centre: list[dict[str, Any]] = field(default_factory=list)
    by_county: list[dict[str, Any]] = field(default_factory=list)
    by_status: dict[str, int] = field(default_factory=dict)
    total: int = 0
    note: str = ""


def occupancy_report(
    *, on: dt.date | None = None, user: AnyUser | None = None, county: str | None = None
) -> OccupancyReport:
    """Occupancy on ``on``: per centre (with free beds), per county and per resident status.

    ``county`` narrows to one county by name; a county that did not exist that day (Viken in
    2024) is answered with its successors (or predecessor), and a note saying so.
    """
    on = on or timezone.localdate()
    placements = placements_visible_to(user) if user is not None else Placement.objects.all()
    centres = centres_visible_to(user) if user is not None else ReceptionCentre.objects.all()
    report = OccupancyReport(on=on)
    counties: list[str] | None = None
    if county:
        resolution = resolve_county(name=county, on=on)
        counties, report.note = resolution.names, resolution.note
    rows = residents_on(on=on, placements=placements)
    if counties is not None:
        # The stubs' plugin checks ``__in`` on an annotation against one value, not a list.
        rows = rows.filter(county__in=counties)  # type: ignore[misc]
    status_by_centre: dict[int, dict[str, int]] = {}
    # Grouped by the application state (one subquery per row) and mapped to the status here:
    # grouping by the CASE would make the database evaluate the state subqueries per branch.
    for row in rows.order_by().values("centre_id", "app_state").annotate(n=Count("pk")):
        status = status_of_state(row["app_state"])
        centre_counts = status_by_centre.setdefault(row["centre_id"], {})
        centre_counts[status] = centre_counts.get(status, 0) + row["n"]
        report.by_status[status] = report.by_status.get(status, 0) + row["n"]
    centre_rows = (
        centres_with_occupancy(centres.open_on(on), on=on)
        .annotate(
            county=county_of_municipality_on("municipality_id", Value(on, output_field=DateField()))
        )
        .select_related("municipality")
    )
    if counties is not None:
        centre_rows = centre_rows.filter(county__in=counties)
    county_totals: dict[str, dict[str, int]] = {}
    for c in centre_rows.order_by("county", "name"):
        report.by_centre.append(
            {
                "id": c.pk,
                "name": c.name,
                "kind": c.kind,
                "municipality": c.municipality.name,
                "county": c.county,
                "capacity": c.capacity,
                "occupied": c.occupied,
                "free_beds": c.free_beds,
                "by_status": status_by_centre.get(c.pk, {}),
            }
        )
        agg = county_totals.setdefault(c.county, {"capacity": 0, "occupied": 0})
        agg["capacity"] += c.capacity
        agg["occupied"] += c.occupied
    report.by_county = [
        {"county": name, **figures, "free_beds": figures["capacity"] - figures["occupied"]}
        for name, figures in sorted(county_totals.items(), key=lambda kv: kv[0] or "")
    ]
    report.total = sum(report.by_status.values())
    for status in ResidentStatus.values:
        report.by_status.setdefault(status, 0)
    return report


# --- Counties over time ---------------------------------------------------------------------


@dataclass
class CountyResolution:
    """Which counties a name stands for on a day, and what to tell the reader if it moved."""

    names: list[str]
    note: str = ""


def resolve_county(*, name: str, on: dt.date) -> CountyResolution:
    """Map a county name to the counties valid on ``on``.

    "Viken" on a 2024 date -> Østfold, Akershus and Buskerud, with a note; "Akershus" on a 2023
    date -> Viken, with a note; an unknown name -> no counties and a note saying so.
    """
    candidates = list(County.objects.filter(name__iexact=name.strip()))
    if not candidates:
        return CountyResolution(
            names=[], note=_("There is no county called %(name)s.") % {"name": name}
        )
    for county in candidates:
        if county.is_valid_on(on):
            return CountyResolution(names=[county.name])
    county = candidates[0]
    if county.valid_to is not None and county.valid_to < on:
        successors = sorted(s.name for s in county.successors.all())
        return CountyResolution(
            names=successors,
            note=_(
                "%(name)s existed until %(end)s. On %(on)s its area belonged to %(list)s; "
                "figures for those counties are shown."
            )
            % {
                "name": county.name,
                "end": date_format(county.valid_to, "DATE_FORMAT"),
                "on": date_format(on, "DATE_FORMAT"),
                "list": _join(successors),
            },
        )
    predecessors = sorted(p.name for p in county.predecessors.all())
    return CountyResolution(
        names=predecessors,
        note=_(
            "%(name)s exists from %(start)s. On %(on)s its area was part of %(list)s; "
            "figures for that county are shown."
        )
        % {
            "name": county.name,
            "start": date_format(county.valid_from, "DATE_FORMAT"),
            "on": date_format(on, "DATE_FORMAT"),
            "list": _join(predecessors),
        },
    )


def _join(names: list[str]) -> str:
    if len(names) <= 1:
        return "".join(names)
    return _("%(head)s and %(last)s") % {"head": ", ".join(names[:-1]), "last": names[-1]}


@dataclass
class PlacementCountReport:
    year: int
    rows: list[dict[str, Any]]
    note: str = ""


def placements_by_county(
    *, year: int, user: AnyUser | None = None, county: str | None = None
) -> PlacementCountReport:
    """Placements started in ``year`` by county, each in the county its centre was in that day.

    A year spanning no reform gives each placement one county; asking for a county that did
    not exist in ``year`` answers with its successors (or predecessor) and a note.
    """
    placements = placements_visible_to(user) if user is not None else Placement.objects.all()
    rows = (
        placements.filter(start__year=year)
        .annotate(county=county_of_municipality_on("centre__municipality_id", OuterRef("start")))
        .order_by()
        .values("county")
        .annotate(placements=Count("pk"))
        .order_by("county")
    )
    note = ""
    if county:
        # Resolve on 1 July of the year: the reform took effect on 1 January, never mid-year.
        resolution = resolve_county(name=county, on=dt.date(year, 7, 1))
        rows = rows.filter(county__in=resolution.names)
        note = resolution.note
        found = {r["county"]: r["placements"] for r in rows}
        return PlacementCountReport(
            year=year,
            rows=[{"county": n, "placements": found.get(n, 0)} for n in resolution.names],
            note=note,
        )
    return PlacementCountReport(year=year, rows=list(rows), note=note)


def arrival_stays_overdue(*, at: dt.datetime | None = None) -> QuerySet[Placement]:
    """Open arrival-centre placements past the 21-day limit at ``at`` (now)."""
    from casework.models import Deadline

    from .deadlines import ARRIVAL_STAY

    at = at or timezone.now()
    overdue_ids = Deadline.objects.filter(
        source=ARRIVAL_STAY.key, closed_at__isnull=True, due_at__lte=at
    ).values("object_id")
    return Placement.objects.filter(pk__in=overdue_ids, end__isnull=True)
