"""Demo permits: every decided demo case's permit, in every state, and group renewals run.

After the bulk demo data (its decisions are written without the transitions), each decision
that gave a permit gets its permit (``services.permits_from_decisions``). The collective
protection of the Ukrainians is then renewed for the group each year, as the government did
(Immigration Act § 34: 2024, 2025 and 2026, each run on its day in January), so the demo
shows permits valid, expiring soon, expired (the 2022 refugees' 3 years, the other
collective groups) and renewed, and three renewal runs already done. The holders' renewal
notices of those past runs are closed: a demo does not send years-old news.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils import timezone

from casework.deadlines.models import Deadline
from casework.permits.choices import PermitType, RenewalRunStatus
from casework.permits.deadlines import PERMIT_EXPIRY, PERMIT_RENEWED
from casework.permits.models import RenewalRun, ResidencePermit
from casework.permits.services import permits_from_decisions
from casework.permits.statements import expiry_due, renew_batch, run_permits

GROUP = "Ukraine"
DEMO_BASIS = (
    "Demo: Royal Decree extending the collective protection of displaced persons from Ukraine "
    "by one year (Immigration Act § 34), without individual applications."
)


def permits_seed(*, decider: Any) -> dict[str, int]:
    """The demo's permits and its renewal runs; what was made, by kind."""
    made = permits_from_decisions(only_demo=True)
    collective = ResidencePermit.objects.filter(
        is_demo=True, permit_type=PermitType.COLLECTIVE, group=""
    )
    collective.filter(person__nationality="UA").update(group=GROUP)
    renewed = 0
    today = timezone.localdate()
    for year in (2024, 2025, 2026):
        if dt.date(year, 1, 15) <= today:
            renewed += _renewal(decider, year)
    _open_expiries(today)
    return {"permits": made, "renewed": renewed}


def _renewal(decider: Any, year: int) -> int:
    """The group's renewal of ``year``, run on 15 January of that year."""
    key = f"demo-ukraine-{year}"
    if RenewalRun.objects.filter(key=key).exists():
        return 0
    at = timezone.make_aware(dt.datetime(year, 1, 15, 10, 0))
    with transaction.atomic():
        run = RenewalRun.objects.create(
            key=key,
            label=f"Ukraine: collective protection extended ({year})",
            legal_basis=DEMO_BASIS,
            group=GROUP,
            expiring_by=dt.date(year, 12, 31),
            months=12,
            created_by=decider,
            created_at=at,
            started_at=at,
            status=RenewalRunStatus.RUNNING,
        )
        run.total = run_permits(run).count()
        renewed = 0
        while True:
            n = renew_batch(run=run, actor_id=decider.pk, now=at, limit=20_000)
            renewed += n
            if n < 20_000:
                break
        RenewalRun.objects.filter(pk=run.pk).update(
            status=RenewalRunStatus.DONE,
            renewed=renewed,
            total=renewed,
            finished_at=at + dt.timedelta(seconds=max(renewed // 10_000, 1)),
        )
        Deadline.objects.filter(
            source=PERMIT_RENEWED.key, closed_at=None, due_at__lt=timezone.now()
        ).update(closed_at=at)
    return renewed


def _open_expiries(today: dt.date) -> None:
    """An expiry deadline for each valid demo permit that has none (renewed back to valid)."""
    have = Deadline.objects.filter(source=PERMIT_EXPIRY.key).values("object_id")
    rows = (
        ResidencePermit.objects.filter(is_demo=True, valid_until__gte=today)
        .exclude(pk__in=have)
        .values_list("pk", "person_id", "valid_until", "application__assigned_to_id")
    )
    Deadline.objects.bulk_create(
        [
            Deadline(
                source=PERMIT_EXPIRY.key,
                object_id=pk,
                person_id=person_id,
                due_at=expiry_due(until),
                remind_from=expiry_due(until) + PERMIT_EXPIRY.first_offset,
                recipient_user_id=assigned,
                notify_person=True,
            )
            for pk, person_id, until, assigned in rows.iterator(chunk_size=5000)
        ],
        batch_size=5000,
        ignore_conflicts=True,
    )
