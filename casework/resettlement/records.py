"""What a referral's transitions do to other rows: the quota's places and the case.

The quota is never over-allocated, whatever the concurrency: ``TakesPlace`` locks the year's
quota row (``SELECT … FOR UPDATE``; on SQLite every write transaction is serialised whole),
counts the places taken under that lock and refuses the selection when none is free. Two
selections for the last place: the second waits for the first's commit, then finds no place
and is refused with ``QuotaFull`` (a conflict: 409 in the API, a message in the admin). The
quota's ``taken`` never exceeds its ``places``: a check constraint holds it in the database
too, whatever writes the row.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.staff.users import AnyUser


class QuotaFull(TransitionConflict):
    """Every place of the year's resettlement quota is taken."""


def _quota_model() -> Any:
    from casework.resettlement.models import ResettlementQuota

    return ResettlementQuota


def full_message(year: int, places: int) -> str:
    return _(
        "All %(places)s places of the %(year)s resettlement quota are taken. The refugee cannot "
        "be selected within this quota."
    ) % {"places": places, "year": year}


def place_take(year: int, n: int = 1) -> None:
    """Take ``n`` places of ``year``'s quota under its row lock, or raise ``QuotaFull`` (no
    quota set for the year: ``TransitionInvalid``). Call inside the writer's transaction."""
    quota_model = _quota_model()
    quota = quota_model.objects.select_for_update().filter(year=year).first()
    if quota is None:
        raise TransitionInvalid(
            {"quota_year": _("No resettlement quota is set for %(year)s.") % {"year": year}}
        )
    if quota.taken + n > quota.places:
        raise QuotaFull(full_message(year, quota.places))
    try:
        with transaction.atomic():  # the database's own rule: taken <= places
            quota_model.objects.filter(pk=quota.pk).update(
                taken=F("taken") + n, version=F("version") + 1
            )
    except IntegrityError as exc:  # pragma: no cover - the lock above makes it unreachable
        raise QuotaFull(full_message(year, quota.places)) from exc


def place_release(year: int) -> None:
    """Give a place back to ``year``'s quota (a selected refugee's referral withdrawn)."""
    _quota_model().objects.select_for_update().filter(year=year, taken__gt=0).update(
        taken=F("taken") - 1, version=F("version") + 1
    )


class TakesPlace:
    """``select``: one place of the chosen year's quota, or the selection is refused."""

    def apply(
        self, referral: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        place_take(int(referral.quota_year))


class ReleasesPlace:
    """``withdraw``: a selected referral's place goes back to its quota year."""

    def apply(
        self, referral: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        if referral.quota_year is not None:
            place_release(int(referral.quota_year))


class OpensCase:
    """``record_arrival``: the resettlement case of the referred person, lodged on the day of
    arrival in the referral's unit (else the recording user's), linked to the referral."""

    def apply(
        self, referral: Any, actor: AnyUser | None, values: dict[str, Any], written: tuple[Any, ...]
    ) -> None:
        from casework.applications.choices import ApplicationKind
        from casework.applications.services import application_lodge

        if referral.application_id is not None:  # pragma: no cover - arrives once
            return
        application = application_lodge(
            actor=actor,
            person=referral.person,
            kind=ApplicationKind.RESETTLEMENT,
            lodged_on=referral.arrived_on,
            unit=referral.unit,
        )
        referral.application = application
        type(referral).objects.filter(pk=referral.pk).update(application=application)
