"""The Dublin table of the statistics page and API: requests and outcomes by requested state
(registered in ``casework.statistics.tables``; the refresh stores it for every year).

A request is counted in the year it was sent; its outcome is where it stands now: accepted
(by answer or by silence, Dublin III art. 22(7), 25(2)), refused, transferred, or lapsed
(the transfer period ended and Norway became responsible, art. 29(2)).
"""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from casework.dublin.choices import RequestKind, RequestState
from casework.dublin.models import DublinRequest
from casework.statistics.tables import Column, Table, register

ACCEPTED = (RequestState.ACCEPTED, RequestState.TRANSFERRED, RequestState.LAPSED)


@register("dublin-requests-by-state")
def dublin_requests_by_state(*, year: int | None = None, **_ignored: Any) -> Table:
    """Dublin requests sent in ``year`` (default: this year) and their outcomes, per
    requested state, one grouped query."""
    year = year or timezone.localdate().year
    rows = list(
        DublinRequest.objects.filter(sent_at__year=year)
        .order_by()
        .values("member_state")
        .annotate(
            sent=Count("pk"),
            take_charge=Count("pk", filter=Q(kind=RequestKind.TAKE_CHARGE)),
            take_back=Count("pk", filter=Q(kind=RequestKind.TAKE_BACK)),
            accepted=Count("pk", filter=Q(state__in=ACCEPTED, implicit=False)),
            by_silence=Count("pk", filter=Q(state__in=ACCEPTED, implicit=True)),
            refused=Count("pk", filter=Q(state=RequestState.REFUSED)),
            awaiting=Count(
                "pk", filter=Q(state__in=(RequestState.SENT, RequestState.REEXAMINATION))
            ),
            transferred=Count("pk", filter=Q(state=RequestState.TRANSFERRED)),
            lapsed=Count("pk", filter=Q(state=RequestState.LAPSED)),
        )
    )
    for row in rows:
        row["member_state"] = str(countries.name(row["member_state"]) or row["member_state"])
    rows.sort(key=lambda r: (-r["sent"], r["member_state"]))
    if rows:
        keys = ("sent", "take_charge", "take_back", "accepted", "by_silence", "refused",
                "awaiting", "transferred", "lapsed")  # fmt: skip
        rows.append(
            {"member_state": str(_("all states")), **{k: sum(r[k] for r in rows) for k in keys}}
        )
    return Table(
        slug="dublin-requests-by-state",
        title=_("Dublin requests sent in %(year)s and their outcomes, by requested state")
        % {"year": year},
        columns=[
            Column("member_state", _("requested state")),
            Column("sent", _("requests sent"), numeric=True),
            Column("take_charge", _("take charge"), numeric=True),
            Column("take_back", _("take back"), numeric=True),
            Column("accepted", _("accepted"), numeric=True),
            Column("by_silence", _("accepted by silence"), numeric=True),
            Column("refused", _("refused"), numeric=True),
            Column("awaiting", _("awaiting answer"), numeric=True),
            Column("transferred", _("transferred"), numeric=True),
            Column("lapsed", _("transfer deadline passed"), numeric=True),
        ],
        rows=rows,
        note=_(
            "Counted in the year the request was sent. Accepted includes requests later "
            "transferred or lapsed; silence after the reply period is acceptance (Dublin III "
            "art. 22(7), 25(2))."
        ),
        chart={"label": "member_state", "value": "sent"},
        total_row=bool(rows),
    )
