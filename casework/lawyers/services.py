"""The only writers of the lawyer register, the duty lists, appointments and representatives.

Each service: one transaction, the row lock, the permission (raise), the legal guard
(``casework.lawyers.rules``), the write and its audit event. The register is reference data
(an audit event tagged with the record, ``changes["subject"]``); an appointment or a
representative is an event in the case's or the person's trail.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.models import Application
from casework.audit.services import apply_changes, audit_log, audit_subject
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.lawyers.choices import DutyListKind, Region
from casework.lawyers.models import Appointment, DutyList, DutyListMember, Lawyer, Representative
from casework.lawyers.rules import appointment_refusal, is_free
from casework.people.models import Person
from casework.staff.users import AnyUser, recorded_user

LAWYER_FIELDS = ("name", "firm", "bar_number", "region", "email", "phone", "active", "user")


def _require(actor: AnyUser, perm: str) -> None:
    if not actor.has_perm(perm):
        raise PermissionDenied(_("You may not do this."))


def _check_version(record: Any, expected_version: int | None) -> None:
    if expected_version is not None and record.version != expected_version:
        raise TransitionConflict(
            _("Another user changed this record first. Reload it and try again.")
        )


def _bump(record: Any, fields: list[str]) -> None:
    record.version = F("version") + 1
    record.save(update_fields=[*fields, "version"])
    record.refresh_from_db(fields=["version"])


# --- The register ---------------------------------------------------------------------------


def lawyer_register(
    *,
    actor: AnyUser,
    name: str,
    bar_number: str,
    region: str,
    firm: str = "",
    email: str = "",
    phone: str = "",
    active: bool = True,
    user: Any = None,
) -> Lawyer:
    """Add a lawyer to the Directorate's register (advokatordningen); the bar number is the
    licence's and unique."""
    _require(actor, "casework.add_lawyer")
    if not name.strip() or not bar_number.strip():
        raise TransitionInvalid({"name": _("A lawyer needs a name and a bar number.")})
    with transaction.atomic():
        if Lawyer.objects.filter(bar_number=bar_number.strip()).exists():
            raise TransitionInvalid(
                {"bar_number": _("A lawyer with this bar number is registered.")}
            )
        lawyer = Lawyer.objects.create(
            name=name.strip(),
            bar_number=bar_number.strip(),
            region=region,
            firm=firm,
            email=email,
            phone=phone,
            active=active,
            user=user,
        )
        audit_log(
            actor=actor, action="lawyer.registered", changes={"subject": audit_subject(lawyer)}
        )
    return lawyer


def lawyer_update(
    *, actor: AnyUser, lawyer: Lawyer, expected_version: int | None = None, **fields: Any
) -> Lawyer:
    """Change a lawyer's entry: firm, region, contact, their sign-in, or take them off duty
    (``active=False``: no list offers them, no new appointment names them; current
    appointments go on until ended)."""
    _require(actor, "casework.change_lawyer")
    unknown = set(fields) - set(LAWYER_FIELDS)
    if unknown:
        raise TransitionInvalid({sorted(unknown)[0]: _("This field cannot be changed here.")})
    with transaction.atomic():
        locked = Lawyer.objects.select_for_update().get(pk=lawyer.pk)
        _check_version(locked, expected_version)
        changes = apply_changes(locked, fields)
        if not changes:
            return locked
        _bump(locked, list(changes))
        audit_log(
            actor=actor,
            action="lawyer.changed",
            changes={"subject": audit_subject(locked), **changes},
        )
    return locked


def duty_list_join(*, actor: AnyUser, duty_list: DutyList, lawyer: Lawyer) -> DutyListMember:
    """Put a lawyer at the end of a duty list's turn."""
    _require(actor, "casework.change_dutylist")
    with transaction.atomic():
        locked = DutyList.objects.select_for_update().get(pk=duty_list.pk)
        if locked.members.filter(lawyer=lawyer).exists():
            raise TransitionConflict(_("The lawyer is on this list already."))
        last = locked.members.order_by("-position").values_list("position", flat=True).first()
        member = DutyListMember.objects.create(
            duty_list=locked, lawyer=lawyer, position=(last or 0) + 1
        )
        _bump(locked, [])
        audit_log(
            actor=actor,
            action="duty_list.joined",
            changes={"subject": audit_subject(locked), "lawyer": lawyer.pk},
        )
    return member


def duty_list_create(*, actor: AnyUser, kind: str, region: str) -> DutyList:
    """Open a duty list (vaktordning) for one kind of case in one region; lawyers are put on
    it in their order with ``duty_list_arrange``. One list per kind and region."""
    _require(actor, "casework.add_dutylist")
    if kind not in DutyListKind.values:
        raise TransitionInvalid({"kind": _("Choose the kind of cases of the list.")})
    if region not in Region.values:
        raise TransitionInvalid({"region": _("Choose the region of the list.")})
    with transaction.atomic():
        if DutyList.objects.filter(kind=kind, region=region).exists():
            raise TransitionInvalid(
                {"region": _("A duty list for this kind of case and region exists already.")}
            )
        duty_list = DutyList.objects.create(kind=kind, region=region)
        audit_log(
            actor=actor,
            action="duty_list.created",
            changes={"subject": audit_subject(duty_list), "kind": kind, "region": region},
        )
    return duty_list


def duty_list_arrange(
    *,
    actor: AnyUser,
    duty_list: DutyList,
    lawyers: list[Lawyer],
    expected_version: int | None = None,
) -> DutyList:
    """Put exactly ``lawyers`` on the list, in this order of turn (the first is offered first).

    The turn goes on after the lawyer who was offered last, where they now stand; if they
    left the list, from the start. Each lawyer once; the list's row is locked while its
    members are rewritten, so an offer never sees half an order."""
    _require(actor, "casework.change_dutylist")
    if len({lawyer.pk for lawyer in lawyers}) != len(lawyers):
        raise TransitionInvalid({"lawyers": _("Each lawyer is on a list once.")})
    with transaction.atomic():
        locked = DutyList.objects.select_for_update().get(pk=duty_list.pk)
        _check_version(locked, expected_version)
        before = list(locked.members.order_by("position").values_list("lawyer_id", flat=True))
        after = [lawyer.pk for lawyer in lawyers]
        if before == after:
            return locked
        last = (
            locked.members.filter(position=locked.last_position)
            .values_list("lawyer_id", flat=True)
            .first()
        )
        locked.members.all().delete()
        DutyListMember.objects.bulk_create(
            DutyListMember(duty_list=locked, lawyer_id=pk, position=n)
            for n, pk in enumerate(after, start=1)
        )
        locked.last_position = after.index(last) + 1 if last in after else 0
        _bump(locked, ["last_position"])
        audit_log(
            actor=actor,
            action="duty_list.arranged",
            changes={"subject": audit_subject(locked), "lawyers": [before, after]},
        )
    return locked


def duty_list_offer(*, actor: AnyUser, duty_list: DutyList) -> Lawyer:
    """The next active lawyer in turn on the list (UDI's on-call scheme), and the turn moves on.

    Concurrency, by design: the list's row is locked while the turn moves, so two requests at
    the same moment are served one after the other and get **different** lawyers (the next
    and the one after), never the same one twice, as long as the list has two active lawyers.
    With one, both get that one. A lawyer offered and not appointed keeps their turn spent:
    the list is fair over offers, not over appointments.
    """
    _require(actor, "casework.view_dutylist")
    with transaction.atomic():
        locked = DutyList.objects.select_for_update().get(pk=duty_list.pk)
        active = locked.members.filter(lawyer__active=True).select_related("lawyer")
        member = (
            active.filter(position__gt=locked.last_position).order_by("position").first()
            or active.order_by("position").first()
        )
        if member is None:
            raise TransitionConflict(_("No active lawyer is on this duty list."))
        locked.last_position = member.position
        _bump(locked, ["last_position"])
        audit_log(
            actor=actor,
            action="duty_list.offered",
            changes={"subject": audit_subject(locked), "lawyer": member.lawyer_id},
        )
    return member.lawyer


# --- Appointments ---------------------------------------------------------------------------


def _locked_case(application: Application) -> Application:
    return (
        Application.objects.select_for_update(of=("self",))
        .select_related("person")
        .get(pk=application.pk)
    )


def appointment_make(
    *,
    actor: AnyUser,
    application: Application,
    reason: str,
    lawyer: Lawyer | None = None,
    duty_list: DutyList | None = None,
    basis: str = "",
    starts_on: dt.date | None = None,
) -> Appointment:
    """Appoint a lawyer for the applicant on the case, named or the next in turn on a duty list.

    The legal rules are guards (``casework.lawyers.rules``): a free lawyer after a rejection,
    before the decision for an unaccompanied minor or a possible exclusion (§ 31), never free
    after a refusal to examine under § 32 first paragraph (a) or (d). One current lawyer per
    case: to replace them, ``appointment_change``.
    """
    with transaction.atomic():
        app = _locked_case(application)
        if not actor.has_perm("casework.appoint_lawyer", app):
            raise PermissionDenied(_("You may not appoint a lawyer on this case."))
        refusal = appointment_refusal(application=app, reason=reason, basis=basis)
        if refusal is not None:
            raise TransitionConflict(refusal, current_state=app.state)
        if Appointment.objects.filter(application=app, ends_on=None).exists():
            raise TransitionConflict(
                _("The case has a lawyer already: change the appointment instead."),
                current_state=app.state,
            )
        if lawyer is None:
            if duty_list is None:
                raise TransitionInvalid({"lawyer": _("Name the lawyer or the duty list.")})
            lawyer = duty_list_offer(actor=actor, duty_list=duty_list)
        if not lawyer.active:
            raise TransitionInvalid({"lawyer": _("This lawyer is not active in the register.")})
        appointment = Appointment.objects.create(
            application=app,
            lawyer=lawyer,
            reason=reason,
            free=is_free(reason),
            basis=basis,
            duty_list=duty_list,
            starts_on=starts_on or timezone.localdate(),
            appointed_by=recorded_user(actor),
        )
        audit_log(
            actor=actor,
            action="lawyer_appointed",
            application=app,
            reason=basis,
            changes={
                "subject": audit_subject(appointment),
                "lawyer": lawyer.pk,
                "reason_code": reason,
            },
        )
    return appointment


def appointment_end(
    *,
    actor: AnyUser,
    appointment: Appointment,
    reason: str,
    ends_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Appointment:
    """End a lawyer's appointment, with the reason (the applicant chose another lawyer, the
    lawyer withdrew, the case ended). From the next request the lawyer no longer sees the case."""
    if not reason.strip():
        raise TransitionInvalid({"reason": _("Say why the appointment ends.")})
    with transaction.atomic():
        app = _locked_case(appointment.application)
        if not actor.has_perm("casework.appoint_lawyer", app):
            raise PermissionDenied(_("You may not change this case's lawyer."))
        locked = Appointment.objects.select_for_update().get(pk=appointment.pk)
        _check_version(locked, expected_version)
        if locked.ends_on is not None:
            raise TransitionConflict(_("This appointment has ended already."))
        end = ends_on or timezone.localdate()
        if end < locked.starts_on:
            raise TransitionInvalid({"ends_on": _("An appointment cannot end before it starts.")})
        locked.ends_on = end
        locked.end_reason = reason
        _bump(locked, ["ends_on", "end_reason"])
        audit_log(
            actor=actor,
            action="lawyer_appointment_ended",
            application=app,
            reason=reason,
            changes={"subject": audit_subject(locked), "lawyer": locked.lawyer_id},
        )
    return locked


def appointment_change(
    *,
    actor: AnyUser,
    appointment: Appointment,
    lawyer: Lawyer,
    reason: str,
    expected_version: int | None = None,
) -> Appointment:
    """Replace the case's lawyer: the current appointment ends with ``reason`` and the new
    lawyer is appointed for the same reason, the rules checked again, in one transaction."""
    with transaction.atomic():
        ended = appointment_end(
            actor=actor, appointment=appointment, reason=reason, expected_version=expected_version
        )
        return appointment_make(
            actor=actor,
            application=ended.application,
            reason=ended.reason,
            lawyer=lawyer,
            basis=ended.basis,
        )


# --- Representatives of unaccompanied minors ---------------------------------------------------


def _may_record_representative(actor: AnyUser, person: Person) -> bool:
    cases = list(Application.objects.filter(person=person).order_by("-pk")[:5])
    if any(actor.has_perm("casework.record_representative", app) for app in cases):
        return True
    return bool(getattr(actor, "is_superuser", False))


def representative_appoint(
    *,
    actor: AnyUser,
    person: Person,
    name: str,
    appointed_by: str,
    email: str = "",
    phone: str = "",
    starts_on: dt.date | None = None,
) -> Representative:
    """Record the representative (verge) the County Governor appointed for an unaccompanied
    minor (Immigration Act § 98 a). One current representative per person."""
    if not name.strip() or not appointed_by.strip():
        raise TransitionInvalid({"name": _("Name the representative and who appointed them.")})
    if not (email.strip() or phone.strip()):
        raise TransitionInvalid({"email": _("Give the representative's e-mail or phone.")})
    with transaction.atomic():
        locked = Person.objects.select_for_update().get(pk=person.pk)
        if not _may_record_representative(actor, locked):
            raise PermissionDenied(_("You may not record a representative for this person."))
        if not locked.unaccompanied_minor:
            raise TransitionConflict(
                _("Only an unaccompanied minor has a representative appointed.")
            )
        if Representative.objects.filter(person=locked, ends_on=None).exists():
            raise TransitionConflict(_("The person has a representative already."))
        try:
            with transaction.atomic():
                representative = Representative.objects.create(
                    person=locked,
                    name=name.strip(),
                    appointed_by=appointed_by.strip(),
                    email=email,
                    phone=phone,
                    starts_on=starts_on or timezone.localdate(),
                )
        except IntegrityError as exc:  # pragma: no cover - the lock makes it unreachable
            raise TransitionConflict(_("The person has a representative already.")) from exc
        audit_log(
            actor=actor,
            action="representative_appointed",
            person=locked,
            changes={"subject": audit_subject(representative)},
        )
    return representative


def representative_end(
    *,
    actor: AnyUser,
    representative: Representative,
    reason: str,
    ends_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Representative:
    """End a representative's appointment (the minor turned 18, another was appointed)."""
    if not reason.strip():
        raise TransitionInvalid({"reason": _("Say why the appointment ends.")})
    with transaction.atomic():
        locked = Representative.objects.select_for_update().get(pk=representative.pk)
        if not _may_record_representative(actor, locked.person):
            raise PermissionDenied(_("You may not record a representative for this person."))
        _check_version(locked, expected_version)
        if locked.ends_on is not None:
            raise TransitionConflict(_("This appointment has ended already."))
        locked.ends_on = ends_on or timezone.localdate()
        locked.end_reason = reason
        _bump(locked, ["ends_on", "end_reason"])
        audit_log(
            actor=actor,
            action="representative_ended",
            person=locked.person,
            reason=reason,
            changes={"subject": audit_subject(locked)},
        )
    return locked


def interview_attendance_record(
    *,
    actor: AnyUser,
    interview: Any,
    lawyer_present: bool,
    representative_present: bool,
) -> Any:
    """Record who attended the interview beside the applicant: the case's current lawyer, and
    for an unaccompanied minor their current representative, from the register (the old
    ``lawyer_present`` flag follows, so earlier reports keep reading it)."""
    from casework.applications.models import Interview

    with transaction.atomic():
        app = _locked_case(interview.application)
        if not actor.has_perm("casework.schedule_interview", app):
            raise PermissionDenied(_("You may not record interviews for this case."))
        locked = Interview.objects.select_for_update().get(pk=interview.pk)
        lawyer = None
        if lawyer_present:
            appointment = Appointment.objects.filter(application=app, ends_on=None).first()
            if appointment is None:
                raise TransitionConflict(_("The case has no lawyer appointed."))
            lawyer = appointment.lawyer
        representative = None
        if representative_present:
            representative = Representative.objects.filter(
                person_id=app.person_id, ends_on=None
            ).first()
            if representative is None:
                raise TransitionConflict(_("The applicant has no representative appointed."))
        locked.lawyer = lawyer
        locked.lawyer_present = lawyer is not None
        locked.representative = representative
        locked.save(update_fields=["lawyer", "lawyer_present", "representative"])
        audit_log(
            actor=actor,
            action="interview_attendance",
            application=app,
            changes={
                "interview": locked.pk,
                "lawyer": getattr(lawyer, "pk", None),
                "representative": getattr(representative, "pk", None),
            },
        )
    return locked
