"""What the applicant's status page says: plain words per state and kind, for the applicant.

Written for a person under stress reading on a phone, not for a caseworker: one sentence on
where the case is, one on what happens next, the deadlines that concern them, the interview
appointment, where they live (from other apps, through ``hooks.py``), and the expected
waiting time (``waiting.py``). Nothing else: never grounds, caseworker names or notes.

Dates and numbers are formatted with Babel's CLDR data (``casework.core.locale_formats``),
because Django has no locale formats for Pashto, Tigrinya or Somali, each language in its one
digit system.
"""

# i18n: applicant

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.utils.translation import ngettext

from casework.applications.choices import ApplicationKind, State, Track
from casework.applications.models import Application
from casework.applications.workflow import delivery_pending
from casework.core.locale_formats import local_date, local_number, local_time
from casework.permits.notices import permit_lines
from casework.returns.departure import departure_deadline
from casework.status.hooks import residence_lines
from casework.status.waiting import WAITING_STATES, waiting_figures

K, S = ApplicationKind, State

# Where the case is: one sentence per state and kind.
STATE_TEXT: dict[tuple[str, str], Any] = {
    (S.SUBMITTED, K.PROTECTION): _lazy(
        "We have received your application for protection (asylum). It is waiting to be examined."
    ),
    (S.SUBMITTED, K.COLLECTIVE): _lazy(
        "We have received your application for temporary collective protection. "
        "It is waiting to be processed."
    ),
    # A resettlement case is opened when the refugee, referred by UNHCR and selected within
    # the year's quota, arrives in Norway (``casework.resettlement``): they are no longer
    # waiting for anyone to look at a referral, they are here.
    (S.SUBMITTED, K.RESETTLEMENT): _lazy(
        "You have arrived in Norway as a resettlement refugee. We have registered your arrival "
        "and opened your case."
    ),
    (S.EXAMINED, K.PROTECTION): _lazy(
        "We are examining your application for protection. This includes your asylum interview."
    ),
    (S.EXAMINED, K.COLLECTIVE): _lazy(
        "We are processing your application for temporary collective protection. "
        "You do not need an interview."
    ),
    (S.EXAMINED, K.RESETTLEMENT): _lazy(
        "You have arrived in Norway as a resettlement refugee. We are now deciding on your "
        "residence permit."
    ),
    (S.ACCEPTED, K.PROTECTION): _lazy(
        "Your application has been accepted. You have been granted a residence permit in Norway."
    ),
    (S.ACCEPTED, K.COLLECTIVE): _lazy(
        "You have been granted temporary collective protection in Norway. "
        "The permit is for one year and can be renewed."
    ),
    (S.ACCEPTED, K.RESETTLEMENT): _lazy(
        "You have been granted a residence permit in Norway as a resettlement refugee."
    ),
    (S.REJECTED, K.PROTECTION): _lazy("Your application for protection has been rejected."),
    (S.REJECTED, K.COLLECTIVE): _lazy(
        "Your application for temporary collective protection has been rejected."
    ),
    (S.REJECTED, K.RESETTLEMENT): _lazy("Your resettlement case has been rejected."),
}
for _kind in K.values:
    STATE_TEXT[(S.UNDER_REVIEW, _kind)] = _lazy(
        "You have appealed against the decision. The Directorate of Immigration is first "
        "checking whether to change its own decision."
    )
    STATE_TEXT[(S.APPEALED, _kind)] = _lazy(
        "You have appealed against the decision. "
        "The Immigration Appeals Board is considering your appeal."
    )
    STATE_TEXT[(S.WITHDRAWN, _kind)] = _lazy(
        "Your application has been withdrawn. The case is closed."
    )
    STATE_TEXT[(S.ON_HOLD, _kind)] = _lazy(
        "Your case is on hold for now: we cannot go on with it yet, for example because the "
        "situation in your country is unclear. Your case is not closed."
    )

FINAL_TEXT = _lazy("This decision is final. It cannot be appealed again.")

# A held case's review date (Public Administration Act § 11 a: say roughly when an answer
# will come).
HOLD_REVIEW_TEXT = _lazy("We plan to look at your case again by %(date)s.")

# A request to reverse a final rejection (Public Administration Act § 35 [U]) stops nothing: the
# applicant must know the departure deadline still runs.
REVERSAL_REQUEST_TEXT = _lazy(
    "We have received your request to change the decision. We will answer you in writing. "
    "The request does not stop your deadline to leave Norway: you must still leave by then "
    "unless we tell you otherwise."
)

# Until its delivery is recorded, a decision is on its way: no appeal deadline runs yet
# (Public Administration Act § 29: it runs from the day the decision reached them).
DELIVERING_TEXT = _lazy("We are delivering the decision in writing to you or your lawyer.")
APPEAL_STARTS_TEXT = _lazy(
    "Your time to appeal starts on the day the decision reaches you or your lawyer. "
    "The deadline will be shown here then."
)

_NOTHING_TO_DO = _lazy(
    "You do not need to do anything now. We will send you the decision in writing."
)
NEXT_TEXT: dict[tuple[str, str], Any] = {
    (S.SUBMITTED, K.PROTECTION): _lazy(
        "You will be called to an asylum interview. We will tell you the date and place."
    ),
    (S.EXAMINED, K.PROTECTION): _lazy(
        "After the interview we will decide your case. We will send you the decision in writing."
    ),
}
for _kind in K.values:
    for _state in (S.SUBMITTED, S.EXAMINED):
        NEXT_TEXT.setdefault((_state, _kind), _NOTHING_TO_DO)
    NEXT_TEXT[(S.ACCEPTED, _kind)] = _lazy(
        "You will get a letter about your permit. Staff at your reception centre will help "
        "you with the next steps, such as moving to a municipality."
    )
    NEXT_TEXT[(S.REJECTED, _kind)] = _lazy(
        "Read your decision letter carefully: it says what you can do and by when. "
        "Your lawyer or the staff at your reception centre can help you."
    )
    NEXT_TEXT[(S.UNDER_REVIEW, _kind)] = _lazy(
        "If the Directorate changes its decision, we will send you the new decision in "
        "writing. If not, it sends your appeal to the Immigration Appeals Board, and we will "
        "tell you."
    )
    NEXT_TEXT[(S.APPEALED, _kind)] = _lazy(
        "We will send you the answer of the Immigration Appeals Board in writing."
    )
    NEXT_TEXT[(S.ON_HOLD, _kind)] = _lazy(
        "You do not need to do anything now. We will tell you in writing when your case goes on."
    )
    NEXT_TEXT[(S.WITHDRAWN, _kind)] = _lazy(
        "If you want to apply again, contact the police or the staff at your reception centre."
    )

# The departure deadline every rejection states (Immigration Act § 90 sixth paragraph), from
# casework's one rule (``casework.returns.departure``): an appeal in time postpones it.
DEPARTURE_IF_NO_APPEAL_TEXT = _lazy("If you do not appeal, you must leave Norway by %(date)s.")
DEPARTURE_TEXT = _lazy("You must leave Norway by %(date)s.")
ASSISTED_RETURN_TEXT = _lazy(
    "You can apply for assisted return. You get more support if you apply before this date."
)


def departure_lines(application: Application, now: dt.datetime | None = None) -> list[str]:
    """What the applicant is told of their departure deadline while it is ahead: the date,
    and that assisted return pays more when asked for before it."""
    due = departure_deadline(application)
    if due is None or due <= (now or timezone.now()):
        return []
    text = DEPARTURE_TEXT if application.is_final else DEPARTURE_IF_NO_APPEAL_TEXT
    return [str(text) % {"date": local_date(due)}, str(ASSISTED_RETURN_TEXT)]


TRACK_TEXT: dict[str, Any] = {
    Track.FAST: _lazy("Your case is handled in a faster procedure."),
    Track.DUBLIN: _lazy(
        "We are checking whether another European country is responsible for your "
        "application (the Dublin procedure)."
    ),
}


@dataclass
class Appointment:
    date: str
    time: str
    place: str
    interpreter: bool


@dataclass
class StatusPage:
    """Everything the result page shows, already in the active language."""

    reference: str
    state_text: str
    delivery_text: str = ""
    final_text: str = ""
    track_text: str = ""
    next_text: str = ""
    deadlines: list[str] = field(default_factory=list)
    appointment: Appointment | None = None
    residence: list[str] = field(default_factory=list)
    permit: list[str] = field(default_factory=list)
    waiting_shown: bool = False
    waiting_text: str = ""
    waiting_note: str = ""
    cases_ahead: str = ""


def _appointment(application: Application, now: dt.datetime) -> Appointment | None:
    """The next interview still to come. ``selectors.application_for_applicant`` has already
    read it in its one query (``status_interview_*``); any other caller's case is asked."""
    if hasattr(application, "status_interview_at"):
        at = application.status_interview_at
        place = application.status_interview_place
        interpreter = application.status_interview_interpreter
    else:
        interview = (
            application.interviews.filter(cancelled=False, held_at=None, scheduled_at__gte=now)
            .order_by("scheduled_at", "pk")
            .first()
        )
        if interview is None:
            return None
        at, place, interpreter = interview.scheduled_at, interview.location, interview.interpreter
    if at is None:
        return None
    when = timezone.localtime(at)
    return Appointment(
        date=local_date(when),
        time=local_time(when),
        place=place or "",  # read with the time from the same row: set when the time is
        interpreter=bool(interpreter),
    )


def status_page_for(*, application: Application, now: dt.datetime | None = None) -> StatusPage:
    """The applicant's view of their own case, in the active language.

    Call it only after the applicant has proved who they are (reference and birth date).
    """
    now = now or timezone.now()
    state, kind = application.state, application.kind
    page = StatusPage(
        reference=application.display_reference,
        state_text=str(STATE_TEXT[(state, kind)]),
        next_text=str(NEXT_TEXT[(state, kind)]),
    )
    if delivery_pending(application):
        page.delivery_text = str(DELIVERING_TEXT)
        if state == S.REJECTED:
            page.next_text = str(APPEAL_STARTS_TEXT)
    if state == S.REJECTED and application.is_final:
        page.final_text = str(FINAL_TEXT)
    if state == S.REJECTED and application.reversal_requested_at is not None:
        page.next_text = str(REVERSAL_REQUEST_TEXT)
    if state == S.ON_HOLD and application.hold_review_on is not None:
        review = str(HOLD_REVIEW_TEXT) % {"date": local_date(application.hold_review_on)}
        page.next_text = f"{review} {page.next_text}"
    if state in WAITING_STATES and application.track in TRACK_TEXT:
        page.track_text = str(TRACK_TEXT[application.track])

    deadline = application.appeal_deadline
    if state == S.REJECTED and not application.is_final and deadline and deadline > now:
        # Public Administration Act § 29: 3 weeks (1 for manifestly unfounded claims);
        # Dublin: 48 hours to ask for suspensive effect. The date comes from the day the
        # decision was delivered (``record_notification``).
        if application.track == Track.DUBLIN:
            text = _(
                "In a Dublin case, you must ask to stay in Norway during the appeal by %(date)s."
            )
        else:
            text = _("You can appeal until %(date)s.")
        page.deadlines.append(text % {"date": local_date(deadline)})
    page.deadlines.extend(departure_lines(application, now))

    if state in (S.SUBMITTED, S.EXAMINED):
        page.appointment = _appointment(application, now)
    page.residence = residence_lines(application=application)
    if state in (S.ACCEPTED, S.REJECTED) and not page.delivery_text:
        # The permit the delivered decision gave (none after a rejection on the merits).
        # A permit a later decision ended is not the person's any more.
        page.permit = permit_lines(
            list(application.permits.filter(ended_on=None).order_by("-valid_from", "-pk")[:1])
        )

    if state == S.APPEALED:
        page.waiting_text, page.waiting_note = appeals_board_waiting(application)
        page.waiting_shown = bool(page.waiting_text)

    if state in WAITING_STATES:
        page.waiting_shown = True
        days, ahead = waiting_figures(application=application)
        if days is None:
            page.waiting_text = _(
                "We do not have enough similar cases yet to estimate the waiting time."
            )
        else:
            expected = application.lodged_on + dt.timedelta(days=days)
            if expected >= timezone.localdate(now):
                page.waiting_text = _(
                    "If your case takes as long as most similar cases, you will get a decision "
                    "by %(date)s."
                ) % {"date": local_date(expected)}
            else:
                page.waiting_text = _(
                    "Your case is taking longer than most similar cases. This does not mean "
                    "that something is wrong, and you do not need to do anything."
                )
            page.waiting_note = _(
                "This estimate comes from similar cases decided in the last six months: 8 out "
                "of 10 of them were decided within this time. It is not a promise."
            )
        page.cases_ahead = ngettext(
            "%(count)s older case is still waiting before yours.",
            "%(count)s older cases are still waiting before yours.",
            ahead,
        ) % {"count": local_number(ahead)}
    return page


def appeals_board_waiting(application: Application) -> tuple[str, str]:
    """When the appeals board expects to decide, from the figure it publishes
    (``APPEALS_BOARD_WAITING_DAYS``) counted from the appeal, and where it is published.

    The authority does not decide appeals and has no sample of its own to measure: the
    board's own published figure is the honest one. ("", "") when none is configured.
    """
    days = settings.APPEALS_BOARD_WAITING_DAYS
    if not days:
        return "", ""
    since = application.appealed_at or timezone.now()
    expected = timezone.localtime(since).date() + dt.timedelta(days=days)
    text = ngettext(
        "The Immigration Appeals Board expects to decide appeals like yours within %(days)s "
        "day: by %(date)s.",
        "The Immigration Appeals Board expects to decide appeals like yours within %(days)s "
        "days: by %(date)s.",
        days,
    ) % {"days": local_number(days), "date": local_date(expected)}
    source = settings.APPEALS_BOARD_WAITING_SOURCE
    note = _("This is the processing time the Immigration Appeals Board publishes (%(source)s).")
    return text, (note % {"source": source} if source else "")


def waiting_lines(application: Application) -> list[str]:
    """The expected waiting time and the number of older cases still waiting, worded exactly
    as on the applicant's status page, in the active language: what the "still in the queue"
    notice adds (registered with ``casework.deadlines.reminders.register_notice_lines``)."""
    page = status_page_for(application=application)
    return [str(line) for line in (page.waiting_text, page.cases_ahead) if line]
