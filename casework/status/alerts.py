"""What the caseworker learns when someone tries a case's reference on the status page.

Tries are logged without the birth date (``StatusLookup``, a keyed hash of the reference), so
the case page can count the unsuccessful ones (``probing``) and say whether lookups from new
devices are paused; and the first refusal of a pause writes an audit event on the case
(``reference_paused``), which the case's timeline shows. Nothing here says who tried or from
where beyond what the lookup log already keeps.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from casework.applications.models import Application
from casework.audit.services import audit_log
from casework.people.identity import parse_reference
from casework.status.models import StatusLookup

# Unsuccessful lookups of one reference, in ``PROBING_DAYS``, from which the case page warns.
PROBING_WARN_AT = 3
PROBING_DAYS = 90


@dataclass(frozen=True)
class Probing:
    """Unsuccessful status-page lookups of one case's reference, for the case page."""

    failures: int
    last_at: dt.datetime | None
    paused: bool
    days: int = PROBING_DAYS

    @property
    def warn(self) -> bool:
        return self.paused or self.failures >= PROBING_WARN_AT


def probing(*, reference_hash: str, paused: bool) -> Probing:
    """Count the case's unsuccessful lookups in the last ``PROBING_DAYS`` days (an indexed
    range on the log's reference hash and time)."""
    since = timezone.now() - dt.timedelta(days=PROBING_DAYS)
    rows = StatusLookup.objects.filter(
        reference_hash=reference_hash, at__gte=since, outcome=StatusLookup.Outcome.NOT_FOUND
    )
    failures = rows.count()
    last = rows.order_by("-at").values_list("at", flat=True).first() if failures else None
    return Probing(failures=failures, last_at=last, paused=paused)


def reference_paused(*, reference: str, tries: int) -> None:
    """Record on the case (if the reference is one) that its status-page lookups from new
    devices were paused after ``tries`` tries: an audit event by the system."""
    canonical = parse_reference(reference)
    if canonical is None:
        return
    application = Application.objects.filter(reference=canonical).only("id", "person_id").first()
    if application is None:
        return
    with transaction.atomic():
        audit_log(
            actor=None,
            action="status_lookups_paused",
            application=application,
            changes={"tries": tries, "rate": settings.STATUS_REFERENCE_RATE_LIMIT},
        )
