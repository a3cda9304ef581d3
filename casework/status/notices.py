"""What the applicant is told, outside the status page, when something happens in their case.

Each notice is a deadline source of ``casework.deadlines.registry`` (its outbox, channels and
exactly-once rule); this module gives each its words, in the applicant's language (the
channel activates it), from the same sentences and formats as the status page:

* **application received**: the case reference and how to check it;
* **interview scheduled or moved**: date, time, place and the interpreter's language;
* **decision made**: where to get the letter, and the appeal deadline when it is a rejection
  (never the outcome itself: a text message may be read by someone else);
* **appeal received by the appeals board**: its published expected processing time;
* **still in the queue** (every 30 days while the case waits): also the provisional reply of
  the Public Administration Act § 11 a, third paragraph: when a case takes longer than a
  month, say why and when an answer can be expected. A case on hold is not in the queue:
  the notice then says, in the status page's words, that it is on hold and when it is
  looked at again (no expected date, no cases ahead).

The SMS text of each is short (one or two parts; ``casework.deadlines.sms`` counts them).
"""

# i18n: applicant
from __future__ import annotations

from typing import Any

from babel import Locale
from babel.core import get_global
from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.applications.choices import State, Track
from casework.applications.models import Interview
from casework.core.locale_formats import babel_locale, local_date, local_time
from casework.deadlines import registry
from casework.deadlines.messages import NoticeText, register_notice_text
from casework.status.page import (
    APPEAL_STARTS_TEXT,
    HOLD_REVIEW_TEXT,
    NEXT_TEXT,
    STATE_TEXT,
    appeals_board_waiting,
    departure_lines,
    waiting_lines,
)


def status_url() -> str:
    """Where applicants check their case (``STATUS_PAGE_URL``)."""
    return str(settings.STATUS_PAGE_URL)


def _reference(application: Any) -> str:
    return application.display_reference if application is not None else "-"


def received_text(deadline: Any, application: Any) -> NoticeText:
    values = {"reference": _reference(application), "url": status_url()}
    return NoticeText(
        subject=_("We have received your application %(reference)s") % values,
        lines=[
            _("We have received your application. Your case reference is %(reference)s.") % values,
            _(
                "Keep this reference. With it and your date of birth you can see where your "
                "case stands on the status page: %(url)s"
            )
            % values,
            _("You do not need to do anything now. We will tell you when something happens.")
            % values,
        ],
        sms=_(
            "We have received your application. Case reference: %(reference)s. "
            "Check your case at %(url)s"
        )
        % values,
    )


def _language_name(code: str) -> str:
    """The interview's language (ISO 639-3, ``SpokenLanguage``) named in the applicant's
    language from CLDR (Babel's aliases give the CLDR code: ``tir`` -> ``ti``, ``prs`` ->
    ``fa_AF``, Dari). A language CLDR does not name keeps the list's own name."""
    from casework.people.choices import SpokenLanguage

    names: Any
    try:
        names = Locale.parse(babel_locale()).languages
    except (ValueError, TypeError):
        names = {}
    cldr = str(get_global("language_aliases").get(code, code))
    name = names.get(cldr) or names.get(cldr.split("_")[0])
    if name:
        return str(name)
    return str(SpokenLanguage(code).label) if code in SpokenLanguage.values else code


def interview_text(deadline: Any, application: Any) -> NoticeText:
    interview = Interview.objects.filter(pk=deadline.object_id).first()
    if interview is None:  # deleted since: nothing true to say
        from casework.deadlines.messages import PermanentDeliveryError

        raise PermanentDeliveryError("the interview no longer exists")
    when = timezone.localtime(interview.scheduled_at)
    values = {
        "reference": _reference(application),
        "date": local_date(when),
        "time": local_time(when),
        "place": interview.location,
        "language": _language_name(interview.language),
    }
    moved = deadline.cycle > 0
    if moved:
        subject = _("Your asylum interview has been moved to %(date)s") % values
        lines = [_("Your asylum interview has been moved to a new time.") % values]
    else:
        subject = _("Your asylum interview is on %(date)s") % values
        lines = []
    lines += [
        _("Your asylum interview is on %(date)s at %(time)s.") % values,
        _("Place: %(place)s") % values,
    ]
    if interview.interpreter:
        lines.append(
            _("An interpreter for %(language)s will be there. You do not need to bring one.")
            % values
        )
        sms = _("Asylum interview: %(date)s at %(time)s, %(place)s. Interpreter: %(language)s.")
    else:
        sms = _("Asylum interview: %(date)s at %(time)s, %(place)s.")
    lines.append(_("Your case reference: %(reference)s") % values)
    sms = sms % values
    if moved:
        sms = _("New time.") + " " + sms
    return NoticeText(subject=subject, lines=lines, sms=sms)


def _appeal_line(application: Any) -> str:
    """The appeal deadline of a rejection not yet final, in the status page's words."""
    due = application.appeal_deadline
    if application.state != State.REJECTED or application.is_final or due is None:
        return ""
    if application.track == Track.DUBLIN:
        text = _("In a Dublin case, you must ask to stay in Norway during the appeal by %(date)s.")
    else:
        text = _("You can appeal until %(date)s.")
    return text % {"date": local_date(due)}


def decision_text(deadline: Any, application: Any) -> NoticeText:
    values = {"reference": _reference(application)}
    where = _(
        "The decision letter is sent to your lawyer, or to your reception centre if you have "
        "no lawyer. Ask them for it."
    )
    lines = [_("A decision has been made in your case %(reference)s.") % values, where]
    appeal = _appeal_line(application)
    if appeal:
        lines.append(appeal)
    elif application.state == State.REJECTED and application.is_final:
        lines.append(_("This decision is final. It cannot be appealed again."))
    elif application.state == State.REJECTED:  # not delivered yet: no deadline runs
        lines.append(str(APPEAL_STARTS_TEXT))
    lines.extend(departure_lines(application))
    sms = _("A decision has been made in your case %(reference)s.") % values
    sms += " " + _("Ask your lawyer or your reception centre for the letter.")
    if appeal:
        sms += " " + appeal
    return NoticeText(
        subject=_("A decision has been made in your case %(reference)s") % values,
        lines=lines,
        sms=sms,
    )


def appeal_text(deadline: Any, application: Any) -> NoticeText:
    values = {"reference": _reference(application)}
    expected, source = appeals_board_waiting(application)
    lines = [
        _("The Immigration Appeals Board has received your appeal in case %(reference)s.") % values
    ]
    lines += [line for line in (expected, source) if line]
    lines.append(_("We will send you the answer of the Immigration Appeals Board in writing."))
    sms = _("The Immigration Appeals Board has received your appeal in case %(reference)s.")
    sms = sms % values + (" " + expected if expected else "")
    return NoticeText(
        subject=_("The Immigration Appeals Board has received your appeal") % values,
        lines=lines,
        sms=sms,
    )


def queue_text(deadline: Any, application: Any) -> NoticeText:
    """The recurring notice, which is also the provisional reply of the Public Administration
    Act § 11 a: the case takes longer than a month, why, and when an answer can be expected
    (the status page's expected date; without one, when we will write again). A case on
    hold gets the status page's on-hold wording instead (``hold_text``)."""
    if application is not None and application.state == State.ON_HOLD:
        return hold_text(application)
    values = {"reference": _reference(application)}
    lines = [
        _("Your application %(reference)s is still in the queue. We have not forgotten it.")
        % values,
        _(
            "It is taking more than a month because we examine cases in the order they came "
            "in, and each case must be examined carefully."
        ),
    ]
    waiting = waiting_lines(application) if application is not None else []
    lines += waiting
    lines.append(_("We will write to you again in a month if your case is still waiting."))
    lines.append(
        _(
            "You can see where your case stands on the status page, with your case reference "
            "and your date of birth. You do not need to do anything now."
        )
    )
    sms = _("Your application %(reference)s is still in the queue. We have not forgotten it.")
    sms = sms % values + (" " + waiting[0] if waiting else "")
    return NoticeText(
        subject=_("Your application %(reference)s is still in the queue") % values,
        lines=lines,
        sms=sms,
    )


def hold_text(application: Any) -> NoticeText:
    """The recurring notice of a case on hold (berostilt): that it is on hold and not closed,
    when it is looked at again, and that nothing is asked of them: the status page's words.
    It is not waiting its turn, so no expected date and no cases ahead."""
    values = {"reference": _reference(application)}
    state = str(STATE_TEXT[(State.ON_HOLD, application.kind)])
    review = ""
    if application.hold_review_on is not None:
        review = str(HOLD_REVIEW_TEXT) % {"date": local_date(application.hold_review_on)}
    lines = [state, *([review] if review else [])]
    lines.append(str(NEXT_TEXT[(State.ON_HOLD, application.kind)]))
    lines.append(
        _(
            "You can see where your case stands on the status page, with your case reference "
            "and your date of birth. You do not need to do anything now."
        )
    )
    subject = _("Your case %(reference)s is on hold") % values
    return NoticeText(subject=subject, lines=lines, sms="\n".join([subject, *lines[1:2]]))


def register_notices() -> None:
    """Give each applicant notice its words (called from ``CaseworkConfig.ready``)."""
    register_notice_text(registry.RECEIVED_NOTICE.key, received_text)
    register_notice_text(registry.INTERVIEW_NOTICE.key, interview_text)
    register_notice_text(registry.DECISION_NOTICE.key, decision_text)
    register_notice_text(registry.APPEAL_NOTICE.key, appeal_text)
    register_notice_text(registry.QUEUE_NOTICE.key, queue_text)
