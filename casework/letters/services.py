"""Writing letters: create one from its template, correct it, record its sending and delivery.

Every write goes through here (the admin and the API call these); each checks the actor's
permission on the case, writes an audit event in the same transaction, and leaves a sent
letter as it was sent. The facts a template needs come from the case's own records (the
decision, the interview, the appeal); what the case does not record (the Dublin country, a
work permit's term) is given by the caller (``extra``) and checked here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

import casework.letters.rules  # noqa: F401  (registers the object rules)
from casework.applications.choices import MERITS_POSITIVE, Outcome, State, Track
from casework.applications.models import Application, Decision, Interview
from casework.applications.services import decision_delivery_pending, decision_notification_record
from casework.applications.workflow import appeal_deadline_for
from casework.audit.services import audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.letters.choices import Channel, LetterKind
from casework.letters.models import Letter, LetterDelivery
from casework.letters.render import letter_pdf
from casework.returns.departure import departure_due
from casework.staff.users import AnyUser, recorded_user

# Outcomes that grant a permit (the grant letter) and that refuse protection on the merits or
# otherwise (the rejection letter); a Dublin outcome has its own letter.
GRANTING = (*MERITS_POSITIVE, Outcome.COLLECTIVE, Outcome.MINOR_LIMITED)
REFUSING = (Outcome.REJECTED, Outcome.SAFE_THIRD_COUNTRY, Outcome.WITHDRAWN, Outcome.MINOR_LIMITED)
DECISION_LETTERS = (LetterKind.GRANT, LetterKind.REJECTION, LetterKind.DUBLIN)
# What a caller may (and for some kinds must) add to the case's own facts.
EXTRA_FIELDS: dict[str, tuple[str, ...]] = {
    LetterKind.DUBLIN: ("country",),
    LetterKind.WORK_PERMIT: ("granted", "valid_until", "grounds"),
}


def _add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later (the month's last day when it has fewer days)."""
    import calendar

    month = day.month - 1 + months
    year, month = day.year + month // 12, month % 12 + 1
    return day.replace(
        year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1])
    )


def _iso(value: dt.date | dt.datetime | None) -> str | None:
    if value is None:
        return None
    if isinstance(value, dt.datetime):
        return timezone.localtime(value).isoformat()
    return value.isoformat()


def _latest_decision(app: Application, outcomes: tuple[str, ...]) -> Decision:
    decision = app.decisions.filter(outcome__in=outcomes).order_by("-decided_at", "-pk").first()
    if decision is None:
        raise TransitionInvalid({"kind": _("The case has no decision this letter could tell.")})
    return decision


def letter_facts(
    *, application: Application, kind: str, extra: dict[str, Any] | None = None
) -> dict[str, Any]:
    """What the letter of ``kind`` says about this case, as JSON-ready values."""
    app = application
    person = app.person
    extra = dict(extra or {})
    unknown = set(extra) - set(EXTRA_FIELDS.get(kind, ()))
    if unknown:
        raise TransitionInvalid({"extra": _("This letter takes no such fields.")})
    facts: dict[str, Any] = {
        "reference": app.display_reference,
        "registration_number": person.registration_number,
        "name": f"{person.given_name} {person.family_name}".strip(),
        "date": timezone.localdate().isoformat(),
        "appeals_address": settings.LETTER_APPEALS_BODY_ADDRESS,
    }
    if kind == LetterKind.RECEIPT:
        facts["lodged_on"] = _iso(app.lodged_on)
    elif kind == LetterKind.INTERVIEW_SUMMONS:
        interview: Interview | None = (
            app.interviews.filter(cancelled=False, held_at=None).order_by("-scheduled_at").first()
        )
        if interview is None:
            raise TransitionInvalid({"kind": _("No interview is scheduled on this case.")})
        facts |= {
            "scheduled_at": _iso(interview.scheduled_at),
            "location": interview.location,
            "interview_language": interview.language,
            "interpreter": interview.interpreter,
        }
    elif kind in (LetterKind.GRANT, LetterKind.FAMILY_WINDOW):
        decision = _latest_decision(app, GRANTING)
        decided_on = timezone.localtime(decision.decided_at).date()
        facts |= {
            "decision": decision.pk,
            "decided_on": _iso(decided_on),
            "outcome": decision.outcome,
            "permit_type": decision.permit_type,
            "permit_months": decision.permit_months,
        }
        if kind == LetterKind.FAMILY_WINDOW:
            # Immigration Regulations § 10-8 (5): the family is exempt from the income
            # requirement when their application is registered within 6 months of the
            # sponsor's protection decision and documents are handed in within 12 months.
            facts |= {
                "protected_on": _iso(decided_on),
                "register_by": _iso(_add_months(decided_on, 6)),
                "documents_by": _iso(_add_months(decided_on, 12)),
            }
    elif kind in (LetterKind.REJECTION, LetterKind.DUBLIN):
        outcomes: tuple[str, ...] = (Outcome.DUBLIN,) if kind == LetterKind.DUBLIN else REFUSING
        decision = _latest_decision(app, outcomes)
        facts |= {
            "decision": decision.pk,
            "decided_on": _iso(timezone.localtime(decision.decided_at).date()),
            "outcome": decision.outcome,
            "grounds": decision.grounds,
            "one_week": decision.manifestly_unfounded,
            "appeal_due": _iso(app.appeal_deadline),
        }
        delivered = app.appeal_deadline is not None and not decision_delivery_pending(app)
        # Until the delivery is recorded the deadline is not known: it runs from the day the
        # letter reaches the person (Public Administration Act § 29). The letter then names
        # the last day as it would be if that were the letter's own date, and says so.
        base = app.notified_at if delivered and app.notified_at else timezone.now()
        if not delivered:
            facts["appeal_due_provisional"] = True
        if kind == LetterKind.DUBLIN or not delivered:
            facts["appeal_due"] = _iso(
                appeal_deadline_for(
                    track=Track.NORMAL if kind == LetterKind.DUBLIN else app.track,
                    notified_at=base,
                    manifestly_unfounded=decision.manifestly_unfounded,
                )
            )
        if kind == LetterKind.REJECTION:
            # The departure deadline the rejection states (Immigration Act § 90 sixth
            # paragraph), by casework's one rule, from the same day as the appeal deadline.
            appeal_due = facts.get("appeal_due")
            facts["final"] = app.is_final
            facts["departure_due"] = _iso(
                departure_due(
                    state=State.REJECTED,
                    is_final=app.is_final,
                    notified_at=base,
                    appeal_deadline=dt.datetime.fromisoformat(appeal_due) if appeal_due else None,
                    track=app.track,
                )
            )
        if kind == LetterKind.DUBLIN:
            # The request to stay during a Dublin appeal: within 48 hours of the notification.
            facts["stay_due"] = _iso(appeal_deadline_for(track=Track.DUBLIN, notified_at=base))
            country = str(extra.get("country", "")).upper()
            if country and (len(country) != 2 or not country.isalpha()):
                raise TransitionInvalid({"country": _("Give the country as its ISO code.")})
            facts["country"] = country
    elif kind == LetterKind.APPEAL_RECEIVED:
        if app.appealed_at is None:
            raise TransitionInvalid({"kind": _("No appeal is recorded on this case.")})
        facts["appealed_on"] = _iso(timezone.localtime(app.appealed_at).date())
    elif kind == LetterKind.WORK_PERMIT:
        granted = extra.get("granted")
        if not isinstance(granted, bool):
            raise TransitionInvalid({"granted": _("Say whether the permit was granted.")})
        valid_until = extra.get("valid_until")
        if granted:
            if isinstance(valid_until, str):
                try:
                    valid_until = dt.date.fromisoformat(valid_until)
                except ValueError:
                    valid_until = None
            if not isinstance(valid_until, dt.date):
                raise TransitionInvalid({"valid_until": _("Give the date the permit ends.")})
        facts |= {
            "granted": granted,
            "valid_until": _iso(valid_until) if granted else None,
            "grounds": "" if granted else str(extra.get("grounds", "")),
        }
    else:
        raise TransitionInvalid({"kind": _("Choose a kind of letter of the list.")})
    return facts


def _language_for(application: Application, language: str | None) -> str:
    codes = [code for code, _name in settings.LANGUAGES]
    chosen = language or application.person.preferred_language or "en"
    if chosen not in codes:
        raise TransitionInvalid({"language": _("Choose one of the status page's languages.")})
    return chosen


def letter_create(
    *,
    actor: AnyUser,
    application: Application,
    kind: str,
    language: str | None = None,
    extra: dict[str, Any] | None = None,
    corrects: Letter | None = None,
) -> Letter:
    """Write a letter of ``kind`` from the case's facts and render its PDF (not yet sent).

    The language is the applicant's preferred one unless given; Norwegian bokmål is always
    there as the binding text. ``corrects`` makes this a correction of an earlier letter of
    the same case and kind (use ``letter_correct``).
    """
    if not (
        actor.has_perm("casework.add_letter")
        and actor.has_perm("casework.write_letter", application)
    ):
        raise PermissionDenied(_("You may not write letters on this case."))
    if kind not in LetterKind.values:
        raise TransitionInvalid({"kind": _("Choose a kind of letter of the list.")})
    # The case as it is now (a correction's case object may predate a delivery since).
    application = Application.objects.select_related("person").get(pk=application.pk)
    chosen = _language_for(application, language)
    facts = letter_facts(application=application, kind=kind, extra=extra)
    if corrects is not None:
        facts["corrects_date"] = _iso(
            timezone.localtime(corrects.sent_at or corrects.created_at).date()
        )
    pdf = letter_pdf(kind, facts, chosen)
    with transaction.atomic():
        letter = Letter(
            application=application,
            kind=kind,
            language=chosen,
            facts=facts,
            pdf_sha256=hashlib.sha256(pdf).hexdigest(),
            corrects=corrects,
            created_by=recorded_user(actor),
        )
        letter.pdf.save("letter.pdf", ContentFile(pdf), save=False)
        letter.save()
        audit_log(
            actor=actor,
            action="letter_created",
            application=application,
            changes={
                "subject": f"casework.letter:{letter.pk}",
                "kind": kind,
                "language": chosen,
                "corrects": corrects.pk if corrects is not None else None,
            },
        )
    return letter


def letter_correct(
    *,
    actor: AnyUser,
    letter: Letter,
    language: str | None = None,
    extra: dict[str, Any] | None = None,
) -> Letter:
    """A new letter that corrects ``letter`` (which stays as it was): the case's facts as they
    are now, the same kind, and a line saying which letter it replaces. What staff gave for
    the old letter that the case does not record (``EXTRA_FIELDS``) is kept unless given."""
    if extra is None:
        facts = letter.facts or {}
        extra = {
            name: facts[name]
            for name in EXTRA_FIELDS.get(letter.kind, ())
            if facts.get(name) not in (None, "")
        }
        if letter.kind == LetterKind.WORK_PERMIT and "granted" in facts:
            extra["granted"] = facts["granted"]
    return letter_create(
        actor=actor,
        application=letter.application,
        kind=letter.kind,
        language=language or letter.language,
        extra=extra,
        corrects=letter,
    )


def letter_record_sending(*, actor: AnyUser, letter: Letter, channel: str) -> Letter:
    """Record that the letter left the authority by ``channel``. From now on it is immutable."""
    if not (
        actor.has_perm("casework.change_letter")
        and actor.has_perm("casework.send_letter", letter.application)
    ):
        raise PermissionDenied(_("You may not record the sending of letters on this case."))
    if channel not in Channel.values:
        raise TransitionInvalid({"channel": _("Choose a channel of the list.")})
    now = timezone.now()
    with transaction.atomic():
        # One statement decides: of two clerks recording it at once, one wins.
        updated = Letter.objects.filter(pk=letter.pk, sent_at=None).update(
            sent_at=now, sent_by=recorded_user(actor), channel=channel
        )
        if not updated:
            raise TransitionConflict(_("This letter was already sent."))
        audit_log(
            actor=actor,
            action="letter_sent",
            application=letter.application,
            changes={"subject": f"casework.letter:{letter.pk}", "channel": channel},
        )
    return Letter.objects.get(pk=letter.pk)


def _notified_at(delivered_on: dt.date) -> dt.datetime:
    """The moment a delivery recorded by its day counts from: now for today; for an earlier day
    its end, in the applicant's favour (a deadline run from it is never earlier than from the
    real moment; weeks are counted by days, Public Administration Act § 30)."""
    if delivered_on >= timezone.localdate():
        return timezone.now()
    return timezone.make_aware(dt.datetime.combine(delivered_on, dt.time(23, 59, 59)))


def _notify_decision(
    actor: AnyUser, letter: Letter, delivered_on: dt.date, channel: str, confirmed_by: str
) -> None:
    """A decision letter's delivery is the decision's notification: recorded through the
    decision's own service, once, and only for the case's current decision (a correcting
    letter delivered later, or a letter about an older decision, records its own delivery)."""
    decision_pk = (letter.facts or {}).get("decision")
    if letter.kind not in DECISION_LETTERS or decision_pk is None:
        return
    app = Application.objects.get(pk=letter.application_id)
    current = app.decisions.order_by("-decided_at", "-pk").first()
    if current is None or current.pk != decision_pk or not decision_delivery_pending(app):
        return
    decision_notification_record(
        current,
        actor=actor,
        notified_at=_notified_at(delivered_on),
        channel=channel,
        confirmed_by=confirmed_by,
    )


def letter_delivery_record(
    *,
    actor: AnyUser,
    letter: Letter,
    delivered_on: dt.date,
    confirmed_by: str,
    channel: str | None = None,
) -> LetterDelivery:
    """Record the day the letter reached the applicant or their lawyer, and who confirmed it.

    For a decision letter this is the notification of the decision (Public Administration Act
    § 29: the appeal deadline runs from it), so the decision's notification service is called
    with the same date, in the same transaction.
    """
    if not (
        actor.has_perm("casework.change_letter")
        and actor.has_perm("casework.send_letter", letter.application)
    ):
        raise PermissionDenied(_("You may not record the delivery of letters on this case."))
    if letter.sent_at is None:
        raise TransitionConflict(_("Record that the letter was sent first."))
    if delivered_on < timezone.localtime(letter.sent_at).date():
        raise TransitionInvalid({"delivered_on": _("A letter cannot arrive before it was sent.")})
    if delivered_on > timezone.localdate():
        raise TransitionInvalid({"delivered_on": _("The date cannot be in the future.")})
    if not confirmed_by.strip():
        raise TransitionInvalid({"confirmed_by": _("Say who confirmed the delivery.")})
    channel = channel or letter.channel
    if channel not in Channel.values:
        raise TransitionInvalid({"channel": _("Choose a channel of the list.")})
    with transaction.atomic():
        if LetterDelivery.objects.select_for_update().filter(letter=letter).exists():
            raise TransitionConflict(_("The delivery of this letter is already recorded."))
        delivery = LetterDelivery.objects.create(
            letter=letter,
            delivered_on=delivered_on,
            channel=channel,
            confirmed_by=confirmed_by.strip()[:200],
            recorded_by=recorded_user(actor),
        )
        _notify_decision(actor, letter, delivered_on, channel, delivery.confirmed_by)
        audit_log(
            actor=actor,
            action="letter_delivered",
            application=letter.application,
            changes={
                "subject": f"casework.letter:{letter.pk}",
                "delivered_on": delivered_on.isoformat(),
                "channel": channel,
            },
        )
    return delivery
