"""Introduction programme: enrolment, the plan's elements and hours, tests, extension, end."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import ApplicationKind, State
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.services import deadline_set
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make
from reception.models import Settlement

from .. import deadlines
from ..choices import CefrLevel, ProgrammeElementKind, ProgrammeState, TestSkill
from ..eligibility import PROGRAMME_MAX_MONTHS, add_months, hours_warnings, programme_unmet
from ..models import IntroductionProgramme, NorwegianTest, ProgrammeElement
from .common import ConditionsUnmet, audit, subject
from .family import protection_decision


def programme_warnings(programme: IntroductionProgramme) -> list[str]:
    """The plan's shortfalls (hours), for the admin, the API and the services' answers."""
    return hours_warnings(
        start_on=programme.start_on,
        planned_end_on=programme.planned_end_on,
        collective=programme.collective_protection,
        elements=list(programme.elements.all()),
    )


def programme_enrol(
    *,
    actor: AnyUser,
    settlement: Settlement,
    start_on: dt.date,
    planned_end_on: dt.date,
) -> IntroductionProgramme:
    """Enrol a person settled in the officer's municipality, or refuse with every reason.

    The right and duty (Integration Act § 8) belong to people aged 18–55 at settlement with
    a qualifying permit, resident under 2 years; the programme lasts up to 3 years.
    """
    if not actor.has_perm("integration.enrol_programme", settlement):
        raise PermissionDenied(_("You may enrol only people settled in your municipality."))
    errors = {}
    if planned_end_on <= start_on:
        errors["planned_end_on"] = _("The programme must end after it starts.")
    elif planned_end_on > add_months(start_on, PROGRAMME_MAX_MONTHS):
        errors["planned_end_on"] = _(
            "A programme lasts at most 3 years; extend it later, with a reason, if needed."
        )
    if start_on < settlement.settled_on:
        errors["start_on"] = _("The programme starts after settlement.")
    if errors:
        raise TransitionInvalid(errors)
    application = settlement.application
    decision = protection_decision(application) if application.state == State.ACCEPTED else None
    today = timezone.localdate()
    unmet = programme_unmet(
        person=settlement.person,
        settled_on=settlement.settled_on,
        outcome=decision.outcome if decision else None,
        on=today,
    )
    if unmet:
        raise ConditionsUnmet(
            _("No right to the introduction programme: %(reasons)s")
            % {"reasons": " ".join(str(u.message) for u in unmet)},
            unmet=unmet,
            current_state="",
        )
    with transaction.atomic():
        Settlement.objects.select_for_update().get(pk=settlement.pk)
        if IntroductionProgramme.objects.filter(
            person=settlement.person, state=ProgrammeState.ENROLLED
        ).exists():
            raise TransitionConflict(_("This person is already enrolled in a programme."))
        programme = IntroductionProgramme.objects.create(
            person=settlement.person,
            settlement=settlement,
            municipality=settlement.municipality,
            collective_protection=application.kind == ApplicationKind.COLLECTIVE,
            start_on=start_on,
            planned_end_on=planned_end_on,
            created_by=recorded_user(actor),
        )
        audit(
            actor=actor,
            record=programme,
            action="programme.enrolled",
            person=programme.person,
            target_state=programme.state,
            changes={"start_on": start_on, "planned_end_on": planned_end_on},
        )
        _end_deadline(programme)
    return programme


def _end_deadline(programme: IntroductionProgramme) -> None:
    deadline_set(
        source=deadlines.PROGRAMME_END.key,
        object_id=programme.pk,
        due_at=deadlines.end_of(programme.planned_end_on),
        **_deadline_subject(programme),
    )


def _lock_queryset() -> QuerySet[IntroductionProgramme]:
    return IntroductionProgramme.objects.select_for_update(of=("self",)).select_related("person")


def _lock(programme: IntroductionProgramme) -> IntroductionProgramme:
    return _lock_queryset().get(pk=programme.pk)


def programme_add_element(
    *,
    actor: AnyUser,
    programme: IntroductionProgramme,
    kind: str,
    hours_per_week: Any,
    start_on: dt.date,
    end_on: dt.date | None = None,
    provider: str = "",
) -> tuple[ProgrammeElement, list[str]]:
    """Add an element with its weekly hours; returns it with the plan's warnings, if any.

    A plan that falls short (under 15 h/week work-oriented from month 4 for collective
    protection) is saved, with the warning shown: the municipality may lack capacity.
    """
    if not actor.has_perm("integration.manage_programme", programme):
        raise PermissionDenied(_("You may not change this programme."))
    errors = {}
    if kind not in ProgrammeElementKind.values:
        errors["kind"] = _("Unknown element.")
    try:
        hours = Decimal(str(hours_per_week))
    except (InvalidOperation, ValueError):
        hours = Decimal(-1)
    if not Decimal(0) < hours <= Decimal(40):
        errors["hours_per_week"] = _("Between 0.5 and 40 hours a week.")
    if start_on < programme.start_on or start_on > programme.planned_end_on:
        errors["start_on"] = _("The element must start within the programme.")
    if end_on is not None and end_on < start_on:
        errors["end_on"] = _("The element must end after it starts.")
    if errors:
        raise TransitionInvalid(errors)
    with transaction.atomic():
        p = _lock(programme)
        if p.state != ProgrammeState.ENROLLED:
            raise TransitionConflict(_("The programme has ended."), current_state=p.state)
        element = ProgrammeElement.objects.create(
            programme=p,
            kind=kind,
            hours_per_week=hours,
            start_on=start_on,
            end_on=end_on,
            provider=(provider or "").strip(),
        )
        warnings = programme_warnings(p)
        p.version += 1
        p.save(update_fields=["version", "updated_at"])
        audit(
            actor=actor,
            record=p,
            action="programme.element_added",
            person=p.person,
            changes={
                "kind": kind,
                "hours_per_week": str(hours),
                "start_on": start_on,
                "end_on": end_on,
                "warnings": warnings,
            },
        )
    return element, warnings


def programme_record_test(
    *,
    actor: AnyUser,
    programme: IntroductionProgramme,
    level: str,
    taken_on: dt.date,
    skill: str = "oral",
) -> NorwegianTest:
    """Record a Norwegian test result (CEFR A1–C1) with the date it was taken."""
    if not actor.has_perm("integration.manage_programme", programme):
        raise PermissionDenied(_("You may not change this programme."))
    errors = {}
    if level not in CefrLevel.values:
        errors["level"] = _("A level from A1 to C1.")
    if skill not in TestSkill.values:
        errors["skill"] = _("Unknown skill.")
    if taken_on > timezone.localdate():
        errors["taken_on"] = _("A test result cannot be dated in the future.")
    if errors:
        raise TransitionInvalid(errors)
    with transaction.atomic():
        p = _lock(programme)
        test = NorwegianTest.objects.create(
            programme=p, level=level, taken_on=taken_on, skill=skill
        )
        audit(
            actor=actor,
            record=p,
            action="programme.test_recorded",
            person=p.person,
            changes={"level": level, "skill": skill, "taken_on": taken_on},
        )
    return test


def _subject(p: IntroductionProgramme) -> dict[str, Any]:
    return {"person": p.person}


def _deadline_subject(p: IntroductionProgramme) -> dict[str, Any]:
    """The programme's planned end is the enrolling officer's to watch."""
    return {"person": p.person, "recipient_user": p.created_by}


def _locked(pk: int) -> IntroductionProgramme | None:
    return _lock_queryset().filter(pk=pk).first()


# How casework's generic transition service handles a programme (``workflow.py`` declares
# each transition): the audit action is ``programme.<name>``.
PROGRAMMES = Workflow(
    model=IntroductionProgramme,
    lock=_locked,
    subject=_subject,
    deadline_subject=_deadline_subject,
    audit_prefix="programme.",
    audit_changes=subject,
    stale=_("Another user changed this record first. Reload it and try again."),
)


def programme_transition(
    *,
    actor: AnyUser,
    programme: IntroductionProgramme,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> IntroductionProgramme:
    """Extend, complete or discontinue a programme, atomically, or raise writing nothing."""
    return transition_make(
        workflow=PROGRAMMES,
        actor=actor,
        record=programme,
        name=name,
        expected_version=expected_version,
        **fields,
    )
