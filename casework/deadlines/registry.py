"""The deadline registry: each app declares what dates matter, for whom, and when to remind.

``casework`` owns the machinery; ``reception`` and ``integration`` register their sources from
their ``AppConfig.ready`` so that ``casework`` never imports them. A source says

* **what**: ``key`` (``"<app>.<name>"``, at most 48 characters) and ``label``;
* **whose**: ``model``, the ``"app_label.Model"`` whose primary key is the deadline's
  ``object_id`` (one open deadline per source and object);
* **due when**: ``due_rule``, the rule in words with its legal basis; the owning app's service
  computes the date and calls ``casework.deadlines.services.deadline_set`` (there is no other
  way in);
* **who is told**: ``notify_staff`` (the ``recipient_user`` given to ``deadline_set``, by
  default the case's assigned caseworker) and ``notify_person`` (the applicant, sponsor…);
  a source that tells the person speaks to them with its ``label`` (the subject) and
  ``person_message`` (the body, ``%(due)s`` the date in their language), so both must be
  in every applicant language: the catalogue test finds them here and checks;
* **how long before**: ``reminders``, one ``ReminderKind`` per reminder, e.g.
  ``(soon(days=5), overdue())``; each kind reaches every audience it names on every channel
  registered for that audience (``casework.deadlines.channels``);
* ``every``: for a recurring notice (the applicant's "still in the queue"), the period after
  which the sweep moves the deadline on and reminds again.

Example, in ``reception/apps.py``::

    def ready(self):
        from casework.deadlines import registry as deadlines
        deadlines.register(deadlines.DeadlineSource(
            key="reception.arrival_stay",
            label=_("arrival-centre stay limit"),
            model="reception.Placement",
            due_rule=_("21 days after arrival at an arrival centre"),
            reminders=(deadlines.soon(days=3), deadlines.overdue()),
        ))

and in ``reception/services/``, inside the service's transaction::

    from casework.deadlines.services import deadline_close, deadline_set
    deadline_set(source="reception.arrival_stay", object_id=placement.pk,
                 due_at=..., person=placement.person, recipient_user=officer)
    deadline_close(source="reception.arrival_stay", object_id=placement.pk)

A source's deadlines are rows (``Deadline``); the sweep (``casework.deadlines.reminders.sweep``)
needs nothing but those rows and this registry. ``lead=`` (one "soon" reminder that long before)
is still accepted for sources written before ``reminders=`` existed.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

STAFF = "staff"


PERSON = "person"


AUDIENCES = (STAFF, PERSON)


@dataclass(frozen=True)
class ReminderKind:
    """One reminder of a deadline: its name, when it fires, and whom it reaches.

    ``offset`` is relative to the due time (negative: before it). The reminder is created by
    the first sweep at or after ``due_at + offset``; with ``only_before_due`` not once the
    deadline has passed (a "due soon" that would arrive late is not sent).
    """

    name: str
    offset: dt.timedelta
    audiences: frozenset[str] = frozenset(AUDIENCES)
    only_before_due: bool = False
    channels: tuple[str, ...] | None = None  # None: every channel registered for the audience
    # Fire when the deadline's own ``remind_from`` is reached instead of at ``due_at + offset``:
    # for dates its source computes by the calendar ("five months after the decision").
    at_remind_from: bool = False


def soon(
    *, days: float = 0, hours: float = 0, to: tuple[str, ...] = AUDIENCES, name: str = "soon"
) -> ReminderKind:
    """A "due soon" reminder ``days``/``hours`` before the due time, while it is still ahead."""
    return ReminderKind(
        name=name,
        offset=-dt.timedelta(days=days, hours=hours),
        audiences=frozenset(to),
        only_before_due=True,
    )


def overdue(
    *, days: float = 0, hours: float = 0, to: tuple[str, ...] = (STAFF,), name: str = "overdue"
) -> ReminderKind:
    """An "overdue" reminder once the deadline has passed (by ``days``/``hours``), to staff."""
    return ReminderKind(
        name=name, offset=dt.timedelta(days=days, hours=hours), audiences=frozenset(to)
    )


def on_remind_from(*, to: tuple[str, ...] = AUDIENCES, name: str = "soon") -> ReminderKind:
    """A "due soon" reminder at the ``remind_from`` the source set on each deadline row."""
    return ReminderKind(
        name=name,
        offset=dt.timedelta(0),
        audiences=frozenset(to),
        only_before_due=True,
        at_remind_from=True,
    )


def notice(*, to: tuple[str, ...] = (PERSON,), name: str = "notice") -> ReminderKind:
    """A notice at the due time itself; with ``DeadlineSource.every`` it recurs."""
    return ReminderKind(name=name, offset=dt.timedelta(0), audiences=frozenset(to))


@dataclass(frozen=True)
class DeadlineSource:
    """What a kind of deadline is, whose it is, who is told, and how long before."""

    key: str
    label: Any
    lead: dt.timedelta | None = None
    notify_staff: bool = True
    notify_person: bool = False
    person_message: Any = ""
    model: str = ""
    due_rule: Any = ""
    reminders: tuple[ReminderKind, ...] = ()
    every: dt.timedelta | None = None
    shown_as_deadline: bool = True  # False: a notice, not a date anyone must meet

    def __post_init__(self) -> None:
        if len(self.key) > 48:
            raise ValueError(f"deadline source key too long (max 48): {self.key}")
        if not self.reminders:
            lead = self.lead if self.lead is not None else dt.timedelta(0)
            object.__setattr__(self, "reminders", (soon(days=lead.total_seconds() / 86400),))
        names = [k.name for k in self.reminders]
        if len(names) != len(set(names)):
            raise ValueError(f"reminder kinds of {self.key} must have distinct names")

    @property
    def first_offset(self) -> dt.timedelta:
        """The earliest reminder relative to the due time (``Deadline.remind_from``)."""
        return min(k.offset for k in self.reminders)

    def kind(self, name: str) -> ReminderKind | None:
        return next((k for k in self.reminders if k.name == name), None)


_registry: dict[str, DeadlineSource] = {}


def register(source: DeadlineSource) -> DeadlineSource:
    """Declare a deadline source (call from ``AppConfig.ready``; registering again replaces)."""
    _registry[source.key] = source
    return source


def unregister(key: str) -> None:
    _registry.pop(key, None)


def sources() -> dict[str, DeadlineSource]:
    return dict(_registry)


def get_source(key: str) -> DeadlineSource:
    return _registry[key]


# --- casework's own sources -----------------------------------------------------------------------

APPEAL = register(
    DeadlineSource(
        key="casework.appeal",
        label=_("appeal deadline"),
        model="casework.Application",
        due_rule=_(
            "3 weeks from notification of a rejection; 1 week if manifestly unfounded; "
            "48 hours for a Dublin request to stay (Immigration Act § 94, Public "
            "Administration Act § 29)"
        ),
        reminders=(soon(days=5), overdue(to=(STAFF,))),
        notify_person=True,
        person_message=_("You can appeal the decision until %(due)s."),
    )
)


DELIVERY_RECORD_PERIOD = dt.timedelta(days=14)


DELIVERY = register(
    DeadlineSource(
        key="casework.decision_delivery",
        label=_("record the delivery of the decision"),
        model="casework.Application",
        due_rule=_(
            "14 days after a decision that is not yet recorded as delivered: the appeal "
            "deadline runs only from the day it reached the applicant or their lawyer "
            "(Public Administration Act § 29)"
        ),
        reminders=(soon(days=3, to=(STAFF,)), overdue(to=(STAFF,))),
    )
)


INTERVIEW = register(
    DeadlineSource(
        key="casework.interview",
        label=_("asylum interview"),
        model="casework.Interview",
        due_rule=_("the time the interview is scheduled for"),
        reminders=(soon(days=3), overdue(days=1, to=(STAFF,))),
        notify_person=True,
        person_message=_("Your asylum interview is on %(due)s."),
    )
)


EXAMINATION_TARGET = register(
    DeadlineSource(
        key="casework.examination_target",
        label=_("examination target (6 months, Procedures Directive art. 31)"),
        model="casework.Application",
        due_rule=_("6 months after the application was lodged (Directive 2013/32/EU art. 31)"),
        reminders=(soon(days=14, to=(STAFF,)), overdue(to=(STAFF,))),
    )
)


EXAMINATION_TARGET_PERIOD = dt.timedelta(days=183)


HOLD_REVIEW = register(
    DeadlineSource(
        key="casework.hold_review",
        label=_("review of a case on hold"),
        model="casework.Application",
        due_rule=_(
            "the review date set when the case was put on hold (berostilt), or moved since: "
            "the unit looks again at whether the case can go on"
        ),
        reminders=(soon(days=7, to=(STAFF,)), overdue(to=(STAFF,))),
    )
)


QUEUE_NOTICE_PERIOD = dt.timedelta(days=30)


QUEUE_NOTICE = register(
    DeadlineSource(
        key="casework.queue_notice",
        label=_("notice to the applicant that the case is still in the queue"),
        model="casework.Application",
        due_rule=_("every 30 days while the application is submitted or under examination"),
        reminders=(notice(),),
        every=QUEUE_NOTICE_PERIOD,
        notify_staff=False,
        notify_person=True,
        shown_as_deadline=False,
    )
)


def hidden_sources() -> list[str]:
    """Sources that are notices rather than deadlines (not in "next deadline", not in panels)."""
    return [key for key, spec in _registry.items() if not spec.shown_as_deadline]


# --- what the applicant is told when something happens --------------------------------------------
#
# An event notice is a deadline the service opens at the moment of the event, due
# ``EVENT_WINDOW`` later, with one reminder kind (``event``) at once: so it goes through the
# same outbox, channels and exactly-once rule (one row per deadline, recipient, channel and
# cycle) as every reminder. The event happening again (an interview moved, a second decision
# after an appeal) moves the deadline: a new cycle, one new notice, the old one cancelled if
# it was not sent yet. A notice the outbox could not deliver within the window is not created
# any more (the sweep's range ends there), so the sweep never re-reads old notices.

EVENT_WINDOW = dt.timedelta(days=7)


def event(*, within: dt.timedelta = EVENT_WINDOW, name: str = "event") -> ReminderKind:
    """A notice to the applicant at once, while its deadline (``within`` on) is still ahead."""
    return ReminderKind(
        name=name, offset=-within, audiences=frozenset({PERSON}), only_before_due=True
    )


def _event_source(key: str, label: Any, model: str, due_rule: Any) -> DeadlineSource:
    return register(
        DeadlineSource(
            key=key,
            label=label,
            model=model,
            due_rule=due_rule,
            reminders=(event(),),
            notify_staff=False,
            notify_person=True,
            shown_as_deadline=False,
        )
    )


RECEIVED_NOTICE = _event_source(
    "casework.received_notice",
    _("notice to the applicant that the application was received"),
    "casework.Application",
    _("when the application is registered"),
)


INTERVIEW_NOTICE = _event_source(
    "casework.interview_notice",
    _("notice to the applicant of the interview appointment"),
    "casework.Interview",
    _("when the interview is scheduled, and again when it is moved"),
)


DECISION_NOTICE = _event_source(
    "casework.decision_notice",
    _("notice to the applicant that a decision was made"),
    "casework.Application",
    _("when the first instance or the appeals body decides"),
)


APPEAL_NOTICE = _event_source(
    "casework.appeal_notice",
    _("notice to the applicant that the appeals board received the appeal"),
    "casework.Application",
    _("when the appeal is lodged with the appeals board"),
)
