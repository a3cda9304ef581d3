"""Integration tables for the statistics page and API (see ``casework.statistics.tables``).

Work permits granted (first grants and renewals, by the year the period was granted),
family reunification decisions by relation and outcome (by the year of decision), and
introduction-programme participants and outcomes (programmes running in the year, and the
outcomes of those that ended in it).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from casework.statistics.tables import Column, Table, register

from .choices import FamilyRelation, FamilyState, PeriodKind, ProgrammeOutcome, ProgrammeState
from .models import FamilyReunification, IntroductionProgramme, WorkPermitPeriod


@register("work-permits-granted")
def work_permits_granted(*, year: int | None = None, **_ignored: Any) -> Table:
    qs = WorkPermitPeriod.objects.all()
    if year:
        qs = qs.filter(granted_at__year=year)
    rows = (
        qs.values("permit__person__nationality")
        .annotate(
            **{k: Count("pk", filter=Q(kind=k)) for k in PeriodKind.values},
            total=Count("pk"),
        )
        .order_by("-total", "permit__person__nationality")
    )
    from casework.statistics.tables import _country

    return Table(
        slug="work-permits-granted",
        title=_("Temporary work permits granted (Immigration Act § 94), by nationality"),
        columns=[Column("nationality", _("nationality"))]
        + [Column(k, label, numeric=True) for k, label in PeriodKind.choices]
        + [Column("total", _("total"), numeric=True)],
        rows=[
            {
                "nationality": _country(r["permit__person__nationality"]),
                **{k: r[k] for k in PeriodKind.values},
                "total": r["total"],
            }
            for r in rows
        ],
        chart={"label": "nationality", "value": "total"},
    )


@register("family-reunification-decisions")
def family_reunification_decisions(*, year: int | None = None, **_ignored: Any) -> Table:
    decided = [FamilyState.ACCEPTED, FamilyState.REJECTED, FamilyState.APPEALED]
    qs = FamilyReunification.objects.filter(decided_at__isnull=False, state__in=decided)
    if year:
        qs = qs.filter(decided_at__year=year)
    labels = dict(FamilyRelation.choices)
    rows = (
        qs.values("relation")
        .annotate(
            accepted=Count("pk", filter=Q(state=FamilyState.ACCEPTED)),
            rejected=Count("pk", filter=Q(state__in=[FamilyState.REJECTED, FamilyState.APPEALED])),
            total=Count("pk"),
        )
        .order_by("-total")
    )
    return Table(
        slug="family-reunification-decisions",
        title=_("Family reunification decisions by relation"),
        columns=[
            Column("relation", _("relation")),
            Column("accepted", _("accepted"), numeric=True),
            Column("rejected", _("rejected (incl. appealed)"), numeric=True),
            Column("total", _("total"), numeric=True),
        ],
        rows=[{**r, "relation": str(labels.get(r["relation"], r["relation"]))} for r in rows],
        chart={"label": "relation", "value": "total"},
    )


@register("introduction-programme")
def introduction_programme(*, year: int | None = None, **_ignored: Any) -> Table:
    qs = IntroductionProgramme.objects.all()
    if year:
        start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
        qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start), start_on__lte=end)
    ended = Q(state__in=[ProgrammeState.COMPLETED, ProgrammeState.DISCONTINUED])
    if year:
        ended &= Q(ended_on__year=year)
    agg = qs.aggregate(
        participants=Count("pk"),
        collective=Count("pk", filter=Q(collective_protection=True)),
        enrolled=Count("pk", filter=Q(state=ProgrammeState.ENROLLED)),
        completed=Count("pk", filter=ended & Q(state=ProgrammeState.COMPLETED)),
        discontinued=Count("pk", filter=ended & Q(state=ProgrammeState.DISCONTINUED)),
        **{
            f"outcome_{o}": Count("pk", filter=ended & Q(outcome=o))
            for o in ProgrammeOutcome.values
        },
    )
    labels = {
        "participants": _("participants"),
        "collective": _("of whom with collective protection"),
        "enrolled": _("still enrolled"),
        "completed": _("completed"),
        "discontinued": _("discontinued"),
        **{
            f"outcome_{o}": _("outcome: %(o)s") % {"o": label}
            for o, label in ProgrammeOutcome.choices
        },
    }
    return Table(
        slug="introduction-programme",
        title=_("Introduction programme: participants and outcomes"),
        columns=[Column("measure", _("measure")), Column("count", _("count"), numeric=True)],
        rows=[{"measure": str(labels[k]), "count": agg[k]} for k in labels],
        chart={"label": "measure", "value": "count"},
    )
