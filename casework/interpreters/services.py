"""The only writers of the interpreter register and of bookings.

Each service takes the acting user, checks the permission (raise), writes in one transaction
and leaves one audit event tagged with the record (``changes["subject"]``), so the record's
trail finds its events. A booking's state changes only through ``booking_transition`` (the
declarations of ``workflow.py`` and casework's one transition service).

One interpreter is never in two sessions at once: ``booking_request`` locks the interpreter's
row (``SELECT … FOR UPDATE``; on SQLite every write transaction begins ``IMMEDIATE`` and is
serialised whole), then looks for a requested or confirmed booking of theirs that overlaps
``[starts_at, ends_at)``. Two requests at once: the second waits for the first's commit, then
finds its booking and is refused with ``BookingOverlap``. On PostgreSQL an exclusion
constraint (migration 0023) holds the same rule in the database, whatever writes the row.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from casework.applications.choices import State
from casework.applications.models import Appeal, Application, Interview
from casework.applications.services import (
    INTERVIEW_HELD_CHECKS,
    INTERVIEWS_CALLED_OFF,
    INTERVIEWS_MOVED,
)
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.interpreters.choices import (
    HOLDING_STATES,
    BookingState,
    InterpreterGender,
    Qualification,
    SessionKind,
)
from casework.interpreters.models import Interpreter, InterpreterBooking, InterpreterLanguage
from casework.people.choices import SpokenLanguage
from casework.staff.users import AnyUser, recorded_user
from casework.transitions.services import Workflow, transition_make

# How long an interpreter is held for a session when no end is given: an asylum interview
# or a board hearing commonly takes a working half-day. A default to change, not a rule [U].
DEFAULT_SESSION = dt.timedelta(hours=3)

INTERPRETER_FIELDS = ("name", "gender", "region", "register_number", "email", "phone", "remote")


class BookingOverlap(TransitionConflict):
    """The interpreter is already booked for a session that overlaps this one."""


def _may_manage_register(actor: AnyUser) -> None:
    if not actor.has_perm("casework.manage_interpreters"):
        raise PermissionDenied(_("You may not change the interpreter register."))


def _clean_languages(languages: Iterable[dict[str, Any]]) -> list[dict[str, str]]:
    """Each language once, a code of the list, a category of the register."""
    cleaned: list[dict[str, str]] = []
    seen: set[str] = set()
    for entry in languages:
        code = str(entry.get("language", "")).strip()
        category = str(entry.get("qualification", "")).strip().upper()
        if code not in SpokenLanguage.values:
            raise TransitionInvalid({"languages": _("Choose each language from the list.")})
        if category not in Qualification.values:
            raise TransitionInvalid(
                {"languages": _("Give each language its category in the register (A–E).")}
            )
        if code in seen:
            raise TransitionInvalid({"languages": _("Each language only once.")})
        seen.add(code)
        dialects = ", ".join(
            d.strip() for d in str(entry.get("dialects", "")).split(",") if d.strip()
        )
        cleaned.append({"language": code, "qualification": category, "dialects": dialects})
    if not cleaned:
        raise TransitionInvalid(
            {"languages": _("An interpreter interprets at least one language.")}
        )
    return cleaned


def _check_fields(fields: dict[str, Any]) -> None:
    if "name" in fields and not str(fields["name"]).strip():
        raise TransitionInvalid({"name": _("Name is required.")})
    if "region" in fields and not str(fields["region"]).strip():
        raise TransitionInvalid({"region": _("Region is required.")})
    if "gender" in fields and fields["gender"] not in InterpreterGender.values:
        raise TransitionInvalid({"gender": _("Choose a gender of the list.")})


def interpreter_register(
    *,
    actor: AnyUser,
    name: str,
    gender: str,
    region: str,
    languages: Iterable[dict[str, Any]],
    register_number: str = "",
    email: str = "",
    phone: str = "",
    remote: bool = False,
) -> Interpreter:
    """Add an interpreter of the national register, with their languages and categories."""
    _may_manage_register(actor)
    fields = {
        "name": name.strip(),
        "gender": gender,
        "region": region.strip(),
        "register_number": register_number.strip(),
        "email": email.strip(),
        "phone": phone.strip(),
        "remote": bool(remote),
    }
    _check_fields(fields)
    rows = _clean_languages(languages)
    with transaction.atomic():
        interpreter = Interpreter.objects.create(**fields)
        InterpreterLanguage.objects.bulk_create(
            InterpreterLanguage(interpreter=interpreter, **row) for row in rows
        )
        audit_log(
            actor=actor,
            action="interpreter.registered",
            changes={"subject": interpreter.audit_subject, "languages": rows},
        )
    return interpreter


def interpreter_update(
    *,
    actor: AnyUser,
    interpreter: Interpreter,
    expected_version: int | None = None,
    languages: Iterable[dict[str, Any]] | None = None,
    active: bool | None = None,
    **fields: Any,
) -> Interpreter:
    """Change an interpreter's details, languages or whether they are active.

    Deactivating keeps their bookings (the trail of who interpreted) but offers them for no
    new one. The audit event keeps each changed value before and after: a professional's
    register entry, not an applicant's personal data.
    """
    _may_manage_register(actor)
    unknown = set(fields) - set(INTERPRETER_FIELDS)
    if unknown:
        raise TransitionInvalid({f: _("This field cannot be changed.") for f in sorted(unknown)})
    _check_fields(fields)
    rows = _clean_languages(languages) if languages is not None else None
    with transaction.atomic():
        locked = Interpreter.objects.select_for_update().get(pk=interpreter.pk)
        if expected_version is not None and locked.version != expected_version:
            raise TransitionConflict(
                _("Another user changed this record first. Reload it and try again.")
            )
        changes: dict[str, Any] = {}
        if active is not None:
            fields["active"] = bool(active)
        for name, value in fields.items():
            value = value.strip() if isinstance(value, str) else value
            before = getattr(locked, name)
            if before != value:
                changes[name] = [before, value]
                setattr(locked, name, value)
        if rows is not None:
            before_rows = [
                {"language": r.language, "qualification": r.qualification, "dialects": r.dialects}
                for r in locked.languages.order_by("language")
            ]
            after_rows = sorted(rows, key=lambda r: r["language"])
            if before_rows != after_rows:
                locked.languages.all().delete()
                InterpreterLanguage.objects.bulk_create(
                    InterpreterLanguage(interpreter=locked, **row) for row in rows
                )
                changes["languages"] = [before_rows, after_rows]
        if changes:
            locked.version += 1
            locked.save()
            audit_log(
                actor=actor,
                action="interpreter.changed",
                changes={"subject": locked.audit_subject, **changes},
            )
    return locked


# --- bookings ---------------------------------------------------------------------------------


def _overlap_message(interpreter: Interpreter, other: InterpreterBooking) -> str:
    start = date_format(timezone.localtime(other.starts_at), "DATETIME_FORMAT")
    end = date_format(timezone.localtime(other.ends_at), "TIME_FORMAT")
    return _(
        "%(name)s is already booked from %(start)s to %(end)s, which overlaps this session. "
        "Choose another interpreter or another time."
    ) % {"name": interpreter.name, "start": start, "end": end}


def booking_request(
    *,
    actor: AnyUser,
    interpreter: Interpreter,
    language: str,
    interview: Interview | None = None,
    appeal: Appeal | None = None,
    starts_at: dt.datetime | None = None,
    ends_at: dt.datetime | None = None,
    dialect: str = "",
    location: str = "",
) -> InterpreterBooking:
    """Book ``interpreter`` for an interview or an appeal hearing, in ``language`` and
    ``dialect``: the booking starts as requested, until the interpreter confirms.

    The interpreter must be active and registered for the language (Interpreting Act § 6: a
    qualified interpreter). An interview's session starts at its time and place; a hearing
    names its own. Refused with ``BookingOverlap`` when the interpreter already holds an
    overlapping session (a session ending when this one starts does not overlap).
    """
    if (interview is None) == (appeal is None):
        raise TransitionInvalid({"session": _("Book for either an interview or a hearing.")})
    application: Application = interview.application if interview else appeal.application  # type: ignore[union-attr]
    if not actor.has_perm("casework.book_interpreter", application):
        raise PermissionDenied(_("You may not book interpreters for this case."))
    if language not in SpokenLanguage.values:
        raise TransitionInvalid({"language": _("Choose a language of the list.")})
    if interview is not None:
        starts_at = starts_at or interview.scheduled_at
        location = (location or interview.location).strip()
    if starts_at is None:
        raise TransitionInvalid({"starts_at": _("Say when the hearing starts.")})
    location = location.strip()
    if not location:
        raise TransitionInvalid({"location": _("Say where the session takes place.")})
    ends_at = ends_at or starts_at + DEFAULT_SESSION
    if ends_at <= starts_at:
        raise TransitionInvalid({"ends_at": _("The session must end after it starts.")})
    with transaction.atomic():
        locked = Interpreter.objects.select_for_update().get(pk=interpreter.pk)
        if not locked.active:
            raise TransitionConflict(_("The interpreter is no longer active in the register."))
        if not locked.languages.filter(language=language).exists():
            raise TransitionInvalid(
                {"interpreter": _("This interpreter is not registered for this language.")}
            )
        if interview is not None:
            session = Interview.objects.select_for_update().get(pk=interview.pk)
            if session.held_at is not None or session.cancelled:
                raise TransitionConflict(_("Only an interview still to come can be booked for."))
        else:
            assert appeal is not None
            hearing = Appeal.objects.select_related("application").get(pk=appeal.pk)
            if hearing.outcome or hearing.application.state != State.APPEALED:
                raise TransitionConflict(_("Only an appeal not yet decided has a hearing."))
        clash = (
            InterpreterBooking.objects.filter(
                interpreter=locked,
                state__in=HOLDING_STATES,
                starts_at__lt=ends_at,
                ends_at__gt=starts_at,
            )
            .order_by("starts_at")
            .first()
        )
        if clash is not None:
            raise BookingOverlap(_overlap_message(locked, clash))
        booking = InterpreterBooking(
            interpreter=locked,
            application=application,
            kind=SessionKind.INTERVIEW if interview is not None else SessionKind.HEARING,
            interview=interview,
            appeal=appeal,
            starts_at=starts_at,
            ends_at=ends_at,
            location=location,
            language=language,
            dialect=dialect.strip(),
            requested_by=recorded_user(actor),
        )
        try:
            with transaction.atomic():  # the database's own rule, on PostgreSQL
                booking.save()
        except IntegrityError as exc:
            raise BookingOverlap(
                _("%(name)s is already booked for an overlapping session.") % {"name": locked.name}
            ) from exc
        audit_log(
            actor=actor,
            action="booking.requested",
            application=application,
            target_state=booking.state,
            changes={
                "subject": booking.audit_subject,
                "interpreter": locked.pk,
                "kind": booking.kind,
                "starts_at": starts_at.isoformat(),
                "ends_at": ends_at.isoformat(),
                "language": language,
            },
        )
    return booking


def _locked_booking(pk: int) -> InterpreterBooking | None:
    """The booking under a row lock, with its interpreter and case (guards and audit)."""
    return (
        InterpreterBooking.objects.select_for_update(of=("self",))
        .select_related("interpreter", "application")
        .filter(pk=pk)
        .first()
    )


def _subject(booking: InterpreterBooking) -> dict[str, Any]:
    return {"application": booking.application}


def _tag(booking: InterpreterBooking) -> dict[str, Any]:
    return {"subject": booking.audit_subject}


# How casework's generic transition service handles a booking (``workflow.py`` declares each
# transition): the audit action is ``booking.<name>``, on the case, tagged with the booking.
BOOKINGS = Workflow(
    model=InterpreterBooking,
    lock=_locked_booking,
    subject=_subject,
    audit_prefix="booking.",
    audit_changes=_tag,
    not_now=_("This is not possible while the booking is %(state)s."),
    stale=_("Another user changed this booking first. Reload it and try again."),
)


def booking_transition(
    *,
    actor: AnyUser | None,
    booking: InterpreterBooking,
    name: str,
    expected_version: int | None = None,
    **fields: Any,
) -> InterpreterBooking:
    """Make transition ``name`` on the booking (confirm, cancel, record_no_show), atomically,
    or raise without writing anything."""
    return transition_make(
        workflow=BOOKINGS,
        actor=actor,
        record=booking,
        name=name,
        expected_version=expected_version,
        **fields,
    )


def unconfirmed_booking_refusal(interview: Interview) -> str | None:
    """Why the interview cannot simply be recorded as held: an interpreter booked for it
    (requested) never confirmed. The Interpreting Act asks for a qualified interpreter where
    one is needed; a held interview whose interpreter is unaccounted for needs a reason."""
    waiting = InterpreterBooking.objects.filter(
        interview_id=interview.pk, state=BookingState.REQUESTED
    ).exists()
    if not waiting:
        return None
    return _(
        "An interpreter booked for this interview has not confirmed. Confirm or cancel the "
        "booking first, or give the reason the interview was held all the same."
    )


def bookings_release(actor: AnyUser, interview_ids: list[int]) -> None:
    """The interviews were called off (waived): cancel the bookings that still hold an
    interpreter's time for them, each with its audit event, by the user who called them off."""
    holding = InterpreterBooking.objects.filter(
        interview_id__in=interview_ids, state__in=HOLDING_STATES
    ).order_by("pk")
    for booking in holding:
        booking_transition(
            actor=actor,
            booking=booking,
            name="cancel",
            reason=_("The interview was called off (waived)."),
        )


def bookings_follow_interview(actor: AnyUser, interview: Interview) -> None:
    """The interview was moved (``interview_move``): each booking that holds an interpreter's
    time for it moves with it, so that no interpreter stays booked at the old time.

    The session keeps its length and takes the interview's new time and place, and goes back
    to requested: the interpreter confirms the new time (``reschedule``, a system transition,
    audited on the case). An interpreter already holding an overlapping session at the new
    time cannot move with it: that booking is cancelled, by the user who moved the interview,
    with the reason, and another interpreter is to be booked. The interpreter's row is locked
    as in ``booking_request``, and on PostgreSQL the exclusion constraint holds it too."""
    holding = InterpreterBooking.objects.filter(
        interview_id=interview.pk, state__in=HOLDING_STATES
    ).order_by("pk")
    for booking in holding:
        starts_at = interview.scheduled_at
        ends_at = starts_at + (booking.ends_at - booking.starts_at)
        if booking.starts_at == starts_at and booking.location == interview.location:
            continue
        locked = Interpreter.objects.select_for_update().get(pk=booking.interpreter_id)
        clash = (
            InterpreterBooking.objects.filter(
                interpreter=locked,
                state__in=HOLDING_STATES,
                starts_at__lt=ends_at,
                ends_at__gt=starts_at,
            )
            .exclude(pk=booking.pk)
            .exists()
        )
        when = date_format(timezone.localtime(starts_at), "DATETIME_FORMAT")
        if clash:
            booking_transition(
                actor=actor,
                booking=booking,
                name="cancel",
                reason=_(
                    "The interview moved to %(when)s, when %(name)s is booked for another "
                    "session: book another interpreter."
                )
                % {"when": when, "name": locked.name},
            )
            continue
        booking_transition(
            actor=None,
            booking=booking,
            name="reschedule",
            starts_at=starts_at,
            ends_at=ends_at,
            location=interview.location,
            reason=_("The interview moved to %(when)s: the interpreter confirms the new time.")
            % {"when": when},
        )


def register_checks() -> None:
    """Ask ``interview_record_held`` about unconfirmed bookings, release bookings of
    interviews called off, and move the bookings of interviews moved (once, from ``ready``)."""
    if unconfirmed_booking_refusal not in INTERVIEW_HELD_CHECKS:
        INTERVIEW_HELD_CHECKS.append(unconfirmed_booking_refusal)
    if bookings_release not in INTERVIEWS_CALLED_OFF:
        INTERVIEWS_CALLED_OFF.append(bookings_release)
    if bookings_follow_interview not in INTERVIEWS_MOVED:
        INTERVIEWS_MOVED.append(bookings_follow_interview)
