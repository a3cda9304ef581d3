"""The only writers of the resettlement quota and of UNHCR's referrals.

Each service takes the acting user, checks the permission (raise), writes in one transaction
and leaves one audit event tagged with the record (``changes["subject"]``). A referral's state
changes only through ``referral_transition`` (the declarations of ``workflow.py`` and
casework's one transition service); the quota's places are taken and given back by its
transitions' effects under the quota row's lock (``records.py``), so a year's quota is never
over-allocated, even by two selections at once.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.people.choices import Sex
from casework.people.services import person_register
from casework.resettlement.choices import (
    PLACE_STATES,
    Priority,
    ReferralState,
    SelectionMethod,
)
from casework.resettlement.models import ResettlementQuota, ResettlementReferral
from casework.resettlement.records import QuotaFull, place_take
from casework.staff.models import Unit
from casework.staff.roles import unit_id_of
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make

__all__ = [
    "REFERRALS",
    "QuotaFull",
    "quota_set",
    "referral_register",
    "referral_transition",
]

# --- the quota --------------------------------------------------------------------------------


def quota_set(
    *,
    actor: AnyUser,
    year: int,
    places: int,
    source: str = "",
    verified: bool = False,
    expected_version: int | None = None,
) -> ResettlementQuota:
    """Set ``year``'s resettlement quota (Immigration Act § 35: the number the Storting sets
    in the budget), creating it or changing its places, source and whether it is verified.

    Places already taken stay taken: a quota cannot be set below them (a refugee selected is
    not unselected by a budget cut). The audit event keeps each changed value before and after.
    """
    if not actor.has_perm("casework.set_resettlement_quota"):
        raise PermissionDenied(_("You may not set the resettlement quota."))
    if not 2000 <= int(year) <= 2100:
        raise TransitionInvalid({"year": _("Give a year between 2000 and 2100.")})
    if int(places) < 0:
        raise TransitionInvalid({"places": _("The number of places cannot be negative.")})
    places = int(places)
    values: dict[str, Any] = {
        "places": places,
        "source": source.strip(),
        "verified": bool(verified),
    }
    with transaction.atomic():
        quota = ResettlementQuota.objects.select_for_update().filter(year=year).first()
        if quota is None:
            taken = ResettlementReferral.objects.filter(
                quota_year=year, state__in=PLACE_STATES
            ).count()
            if taken > places:
                raise TransitionConflict(_too_low(year, taken))
            try:
                with transaction.atomic():
                    quota = ResettlementQuota.objects.create(year=year, taken=taken, **values)
            except IntegrityError as exc:  # set by someone else at the same moment
                raise TransitionConflict(
                    _("The %(year)s quota was just set by another user. Reload and try again.")
                    % {"year": year}
                ) from exc
            audit_log(
                actor=actor,
                action="resettlement_quota.set",
                changes={"subject": quota.audit_subject, "year": year, **values},
            )
            return quota
        if expected_version is not None and quota.version != expected_version:
            raise TransitionConflict(
                _("Another user changed this quota first. Reload it and try again.")
            )
        if places < quota.taken:
            raise TransitionConflict(_too_low(year, quota.taken))
        changes = {
            name: [getattr(quota, name), value]
            for name, value in values.items()
            if getattr(quota, name) != value
        }
        if changes:
            for name, (_before, after) in changes.items():
                setattr(quota, name, after)
            quota.version += 1
            quota.save()
            audit_log(
                actor=actor,
                action="resettlement_quota.changed",
                changes={"subject": quota.audit_subject, "year": year, **changes},
            )
    return quota


def _too_low(year: int, taken: int) -> str:
    return _(
        "%(taken)s places of the %(year)s quota are already taken: the quota cannot be lower."
    ) % {"taken": taken, "year": year}


# --- referrals --------------------------------------------------------------------------------


def referral_register(
    *,
    actor: AnyUser,
    given_name: str,
    family_name: str,
    date_of_birth: dt.date,
    referral_date: dt.date,
    unhcr_reference: str,
    sex: str = Sex.UNKNOWN,
    nationality: str = "",
    priority: str = Priority.NORMAL,
    selection_method: str = "",
    unit: Unit | None = None,
) -> ResettlementReferral:
    """Register a refugee UNHCR referred for resettlement, with the referral's UNHCR reference,
    date, priority and how they are to be selected (mission or dossier).

    The refugee is registered as a person (their registration number begins with the year of
    the referral); the referral starts as referred, in the registering user's unit.
    """
    if not actor.has_perm("casework.manage_referral"):
        raise PermissionDenied(_("You may not register UNHCR referrals."))
    reference = unhcr_reference.strip()
    errors: dict[str, Any] = {}
    if not reference:
        errors["unhcr_reference"] = _("UNHCR reference is required.")
    if priority not in Priority.values:
        errors["priority"] = _("Choose a priority of the list.")
    if selection_method and selection_method not in SelectionMethod.values:
        errors["selection_method"] = _("Choose a selection of the list.")
    if referral_date > timezone.localdate():
        errors["referral_date"] = _("The referral date cannot be in the future.")
    if not given_name.strip() or not family_name.strip():
        errors["family_name"] = _("Give the refugee's given and family name.")
    if errors:
        raise TransitionInvalid(errors)
    own_unit = unit_id_of(actor)
    if unit is None and own_unit is not None:
        unit = Unit.objects.get(pk=own_unit)
    with transaction.atomic():
        if ResettlementReferral.objects.filter(unhcr_reference=reference).exists():
            raise TransitionConflict(
                _("A referral with UNHCR reference %(ref)s is already registered.")
                % {"ref": reference}
            )
        person = person_register(
            actor=actor,
            given_name=given_name,
            family_name=family_name,
            date_of_birth=date_of_birth,
            sex=sex,
            nationality=nationality,
            year=referral_date.year,
        )
        try:
            with transaction.atomic():
                referral = ResettlementReferral.objects.create(
                    person=person,
                    unhcr_reference=reference,
                    referral_date=referral_date,
                    priority=priority,
                    selection_method=selection_method,
                    unit=unit,
                    registered_by=recorded_user(actor),
                )
        except IntegrityError as exc:
            raise TransitionConflict(
                _("A referral with UNHCR reference %(ref)s is already registered.")
                % {"ref": reference}
            ) from exc
        audit_log(
            actor=actor,
            action="resettlement.referred",
            person=person,
            target_state=referral.state,
            changes={
                "subject": referral.audit_subject,
                "referral_date": referral_date.isoformat(),
                "priority": priority,
                "selection_method": selection_method,
            },
        )
    return referral


def _locked_referral(pk: int) -> ResettlementReferral | None:
    """The referral under a row lock, with its person and case (audit and the case opened)."""
    return (
        ResettlementReferral.objects.select_for_update(of=("self",))
        .select_related("person", "application", "unit")
        .filter(pk=pk)
        .first()
    )


def _subject(referral: ResettlementReferral) -> dict[str, Any]:
    if referral.application_id is not None:
        return {"application": referral.application}
    return {"person": referral.person}


def _tag(referral: ResettlementReferral) -> dict[str, Any]:
    return {"subject": referral.audit_subject}


# How casework's generic transition service handles a referral (``workflow.py`` declares each
# transition): the audit action is ``resettlement.<name>``, on the person (and their case once
# it is opened), tagged with the referral.
REFERRALS = Workflow(
    model=ResettlementReferral,
    lock=_locked_referral,
    subject=_subject,
    audit_prefix="resettlement.",
    audit_changes=_tag,
    not_now=_("This is not possible while the referral is %(state)s."),
    stale=_("Another user changed this referral first. Reload it and try again."),
)


def referral_transition(
    *,
    actor: AnyUser | None,
    referral: ResettlementReferral,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> ResettlementReferral:
    """Make transition ``name`` on the referral (select, not_select, record_arrival,
    withdraw), atomically, or raise without writing anything (``QuotaFull`` when the year's
    quota has no place left)."""
    return transition_make(
        workflow=REFERRALS,
        actor=actor,
        record=referral,
        name=name,
        expected_version=expected_version,
        **fields,
    )


# --- arrivals imported in bulk ----------------------------------------------------------------


def import_places_take(years: Iterable[int]) -> set[int]:
    """Take a place for each resettlement arrival of a bulk import, in its arrival year's
    quota, under the quota rows' lock (in the import's batch transaction). Returns the
    indexes of the arrivals refused because their year's quota is full; an arrival of a year
    with no quota set takes none (it is counted once the quota is set, ``quota_set``)."""
    wanted = list(years)
    by_year = Counter(wanted)
    quotas = {
        q.year: q
        for q in ResettlementQuota.objects.select_for_update()
        .filter(year__in=by_year)
        .order_by("year")
    }
    free = {year: q.places - q.taken for year, q in quotas.items()}
    refused: set[int] = set()
    taken: Counter[int] = Counter()
    for i, year in enumerate(wanted):
        if year not in quotas:
            continue
        if free[year] <= 0:
            refused.add(i)
            continue
        free[year] -= 1
        taken[year] += 1
    for year, n in taken.items():
        place_take(year, n)
    return refused


def imported_referrals_write(
    *, rows: Iterable[tuple[int, int, dt.date, str]], actor: AnyUser | None, is_demo: bool = False
) -> int:
    """The arrived referrals of a bulk import's resettlement arrivals: ``rows`` of (person id,
    application id, arrival date, UNHCR reference). Each counts against its arrival year's
    quota (``import_places_take`` took the places), with one audit event each."""
    now = timezone.now()
    referrals = [
        ResettlementReferral(
            person_id=person_id,
            application_id=application_id,
            unhcr_reference=reference,
            referral_date=arrived,
            state=ReferralState.ARRIVED,
            quota_year=arrived.year,
            arrived_on=arrived,
            registered_by=recorded_user(actor),
            is_demo=is_demo,
            created_at=now,
        )
        for person_id, application_id, arrived, reference in rows
    ]
    if not referrals:
        return 0
    ResettlementReferral.objects.bulk_create(referrals)
    for referral in ResettlementReferral.objects.filter(
        application_id__in=[r.application_id for r in referrals]
    ).select_related("application"):
        audit_log(
            actor=actor,
            action="resettlement.imported",
            application=referral.application,
            target_state=ReferralState.ARRIVED,
            changes={"subject": referral.audit_subject, "quota_year": referral.quota_year},
        )
    return len(referrals)
