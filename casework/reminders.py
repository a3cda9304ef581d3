"""Reminder machinery: the sweep that creates reminder rows, their queueing and delivery.

The rows are the truth (an outbox). Every step is safe to repeat or to run twice at once:

1. **create** (``reminders_create_due``): one ``INSERT … SELECT … ON CONFLICT DO NOTHING``
   per source, reminder kind, audience and channel. The SELECT is an ORM query over open
   deadlines, so the same statement runs on PostgreSQL and SQLite; the unique key
   (deadline, recipient, kind, channel, cycle, resend) makes a second sweep create nothing.
   Recurring notices are then moved on by one set-based UPDATE.
2. **reclaim** (``reminders_reclaim_stale``): a row left ``sending`` longer than
   ``REMINDER_CLAIM_TIMEOUT`` (its worker died mid-delivery) goes back to ``pending``.
3. **enqueue** (``reminders_enqueue_pending``): pending rows not queued recently are marked
   ``queued_at`` (rows locked with SKIP LOCKED, so two sweeps never queue the same row) and one
   ``deliver_reminder(id)`` message each is published. If the broker is down the marks are
   undone and the next sweep tries again; nothing raises.
4. **deliver** (``reminder_deliver``, run by the task): claim the row with a conditional
   UPDATE ``pending → sending`` (a duplicate message finds nothing to claim), send through the
   channel outside any transaction, then mark it ``sent``. A failure is recorded (reason,
   attempts) and retried with backoff; after ``REMINDER_MAX_ATTEMPTS`` the row is ``failed``.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Case, CharField, F, Q, QuerySet, Value, When
from django.db.models.functions import Cast, Concat
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _

from .channels import PermanentDeliveryError, channels_for, get_channel
from .choices import ReminderStatus
from .deadlines import PERSON, STAFF, DeadlineSource, ReminderKind, sources
from .models import Deadline, Reminder

log = logging.getLogger(__name__)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def claim_timeout() -> dt.timedelta:
    """How long a ``sending`` claim is trusted; well above the delivery task's time limit."""
    return dt.timedelta(seconds=_setting("REMINDER_CLAIM_TIMEOUT", 600))


def requeue_after() -> dt.timedelta:
    """How long a queued, still pending reminder waits before the sweep queues it again."""
    return dt.timedelta(seconds=_setting("REMINDER_REQUEUE_AFTER", 1800))


def max_attempts() -> int:
    return int(_setting("REMINDER_MAX_ATTEMPTS", 6))


def retry_countdown(attempts: int) -> int:
    """Exponential backoff: base, 2×base, 4×base … capped (seconds; short, no long ETAs)."""
    base = _setting("REMINDER_RETRY_BACKOFF", 30)
    cap = _setting("REMINDER_RETRY_BACKOFF_MAX", 600)
    return int(min(cap, base * 2 ** max(0, attempts - 1)))


# --- 1. create ------------------------------------------------------------------------------

_COLUMNS = (
    "deadline_id",
    "recipient",
    "kind",
    "channel",
    "cycle",
    "resend",
    "status",
    "created_at",
    "attempts",
    "failure",
)


@dataclass
class Created:
    counts: Counter = field(default_factory=Counter)  # (source, kind) -> rows created
    ids: list[int] = field(default_factory=list)
    advanced: int = 0  # recurring deadlines moved on to their next occurrence

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def _due_select(
    spec: DeadlineSource,
    kind: ReminderKind,
    audience: str,
    channel: Any,
    now: dt.datetime,
    deadline_ids: list[int] | None,
) -> QuerySet:
    """The deadlines for which this reminder is due, as rows shaped like ``_COLUMNS``."""
    qs = Deadline.objects.filter(source=spec.key, closed_at=None)
    if kind.at_remind_from:
        qs = qs.filter(remind_from__lte=now)
    else:
        qs = qs.filter(due_at__lte=now - kind.offset)
    if kind.only_before_due:
        qs = qs.filter(due_at__gt=now)
    if deadline_ids is not None:
        qs = qs.filter(pk__in=deadline_ids)
    if audience == STAFF:
        qs = qs.filter(recipient_user__isnull=False)
        who = Concat(Value("user:"), Cast(F("recipient_user"), CharField()))
    else:
        qs = qs.filter(notify_person=True, person__isnull=False)
        who = Concat(Value("person:"), Cast(F("person"), CharField()))
    qs = channel.eligible(qs, audience)
    # Aliases prefixed r_ (they may not clash with Deadline's fields); order = _COLUMNS.
    return qs.order_by().values(
        r_deadline=F("id"),
        r_recipient=who,
        r_kind=Value(kind.name, output_field=CharField()),
        r_channel=Value(channel.name, output_field=CharField()),
        r_cycle=F("cycle"),
        r_resend=Value(0),
        r_status=Value(ReminderStatus.PENDING.value, output_field=CharField()),
        r_created=Value(now),
        r_attempts=Value(0),
        r_failure=Value("", output_field=CharField()),
    )


def _insert_select(select: QuerySet, returning: bool) -> tuple[int, list[int]]:
    """``INSERT INTO reminder (…) SELECT … ON CONFLICT DO NOTHING`` (PostgreSQL, SQLite ≥ 3.35).

    The SELECT always has a WHERE clause, which SQLite needs to parse an upsert after a
    SELECT. With ``returning`` the new rows' ids come back (only rows actually inserted).
    """
    sql, params = select.query.sql_with_params()
    table = connection.ops.quote_name(Reminder._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(c) for c in _COLUMNS)
    statement = f"INSERT INTO {table} ({columns}) {sql} ON CONFLICT DO NOTHING"  # noqa: S608
    if returning:
        statement += " RETURNING id"
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        if returning:
            ids = [row[0] for row in cursor.fetchall()]
            return len(ids), ids
        return max(cursor.rowcount, 0), []


def reminders_create_due(
    *,
    now: dt.datetime | None = None,
    deadline_ids: list[int] | None = None,
    returning: bool = False,
) -> Created:
    """Create the reminder rows of every open deadline whose reminder time has come.

    Set-based: a handful of statements per registered source, whatever the number of
    deadlines. ``deadline_ids`` narrows it to some deadlines (``deadline_set`` uses it to
    remind at once of a deadline that is already close).
    """
    now = now or timezone.now()
    result = Created()
    specs = list(sources().values())
    if deadline_ids is not None:
        # Only the sources of these deadlines: a decision that sets one deadline runs that
        # source's few statements, not every source's (issue 11: 86 → 33 queries a decision).
        present = set(Deadline.objects.filter(pk__in=deadline_ids).values_list("source", flat=True))
        specs = [spec for spec in specs if spec.key in present]
    for spec in specs:
        with transaction.atomic():
            for kind in spec.reminders:
                for audience in sorted(kind.audiences):
                    for channel in channels_for(audience, kind.channels):
                        select = _due_select(spec, kind, audience, channel, now, deadline_ids)
                        n, ids = _insert_select(select, returning)
                        result.counts[(spec.key, kind.name)] += n
                        result.ids.extend(ids)
            if spec.every:
                result.advanced += _advance_recurring(spec, now, deadline_ids)
    return result


def _advance_recurring(spec: DeadlineSource, now: dt.datetime, deadline_ids: Any) -> int:
    """Move recurring deadlines whose reminders have all fired to their next occurrence.

    A sweep that did not run for longer than the period starts again from now rather than
    sending the missed notices one after another.
    """
    last = max(k.offset for k in spec.reminders)
    qs = Deadline.objects.filter(source=spec.key, closed_at=None, due_at__lte=now - last)
    if deadline_ids is not None:
        qs = qs.filter(pk__in=deadline_ids)
    behind = Q(due_at__lte=now - spec.every)
    return qs.update(
        due_at=Case(When(behind, then=Value(now + spec.every)), default=F("due_at") + spec.every),
        remind_from=Case(
            When(behind, then=Value(now + spec.every + spec.first_offset)),
            default=F("remind_from") + spec.every,
        ),
        cycle=F("cycle") + 1,
    )


# --- 2. reclaim -----------------------------------------------------------------------------


def reminders_reclaim_stale(*, now: dt.datetime | None = None) -> int:
    """Put reminders whose delivery was interrupted (worker killed) back in the queue."""
    now = now or timezone.now()
    return Reminder.objects.filter(
        status=ReminderStatus.SENDING, claimed_at__lt=now - claim_timeout()
    ).update(
        status=ReminderStatus.PENDING,
        queued_at=None,
        failure="delivery interrupted (worker lost); retried by the sweep",
    )


# --- 3. enqueue -----------------------------------------------------------------------------


def _publish(ids: list[int]) -> tuple[list[int], list[int]]:
    """Publish one delivery message per id; stop at the first broker error (it is down)."""
    from .tasks import deliver_reminder

    published: list[int] = []
    try:
        with deliver_reminder.app.producer_or_acquire() as producer:
            for reminder_id in ids:
                deliver_reminder.apply_async((reminder_id,), producer=producer)
                published.append(reminder_id)
    except Exception as exc:  # noqa: BLE001 - any broker failure: rows stay pending
        log.warning(
            "broker unavailable (%s); %d reminders left for the next sweep",
            type(exc).__name__,
            len(ids) - len(published),
        )
    return published, ids[len(published) :]


def _chunks(ids: list[int], size: int = 2000):  # noqa: ANN202
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def reminders_enqueue_pending(
    *, now: dt.datetime | None = None, limit: int | None = None
) -> tuple[int, int]:
    """Queue delivery of pending reminders not queued recently. Returns (queued, failed)."""
    now = now or timezone.now()
    limit = limit or int(_setting("REMINDER_ENQUEUE_BATCH", 10000))
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=ReminderStatus.PENDING)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - requeue_after()))
            .order_by("id")
            .values_list("id", flat=True)[:limit]
        )
        for chunk in _chunks(ids):
            Reminder.objects.filter(id__in=chunk).update(queued_at=now)
    published, failed = _publish(ids)
    for chunk in _chunks(failed):
        Reminder.objects.filter(id__in=chunk, queued_at=now).update(queued_at=None)
    return len(published), len(failed)


def reminders_enqueue_on_commit(ids: list[int]) -> None:
    """After the caller's commit, queue these reminders; a dead broker is logged, not raised
    (the rows stay pending and the next sweep queues them)."""
    if not ids:
        return

    def send() -> None:
        published, _failed = _publish(list(ids))
        for chunk in _chunks(published):
            Reminder.objects.filter(id__in=chunk, queued_at=None).update(queued_at=timezone.now())

    transaction.on_commit(send, robust=True)


# --- the sweep ------------------------------------------------------------------------------


@dataclass
class SweepReport:
    created: Counter
    advanced: int
    reclaimed: int
    queued: int
    enqueue_failed: int

    def lines(self) -> list[str]:
        out = [f"created {n:>7}  {src} / {kind}" for (src, kind), n in sorted(self.created.items())]
        out += [
            f"created {sum(self.created.values()):>7}  in all",
            f"moved on {self.advanced:>6}  recurring notices",
            f"reclaimed {self.reclaimed:>5}  interrupted deliveries",
            f"queued  {self.queued:>7}  delivery tasks",
            f"failed  {self.enqueue_failed:>7}  to enqueue (broker down? the next sweep retries)",
        ]
        return out


def sweep(*, now: dt.datetime | None = None, enqueue: bool = True) -> SweepReport:
    """One sweep: create due reminders, reclaim interrupted ones, queue what is pending."""
    now = now or timezone.now()
    created = reminders_create_due(now=now)
    reclaimed = reminders_reclaim_stale(now=now)
    queued = failed = 0
    if enqueue:
        queued, failed = reminders_enqueue_pending(now=now)
    log.info(
        "sweep: created=%d advanced=%d reclaimed=%d queued=%d enqueue_failed=%d",
        created.total,
        created.advanced,
        reclaimed,
        queued,
        failed,
    )
    return SweepReport(created.counts, created.advanced, reclaimed, queued, failed)


# --- 4. deliver -----------------------------------------------------------------------------

SENT, SKIPPED, CANCELLED, RETRY, FAILED = "sent", "skipped", "cancelled", "retry", "failed"


def still_current(reminder: Reminder) -> bool:
    """Whether the reminder still says something true: its deadline is open and (unless the
    deadline recurs, when every occurrence's notice stands) has not moved since."""
    deadline = reminder.deadline
    if deadline.closed_at is not None:
        return False
    spec = sources().get(deadline.source)
    return deadline.cycle == reminder.cycle or bool(spec and spec.every)


@dataclass
class Delivery:
    outcome: str
    attempts: int = 0


def reminder_deliver(*, reminder_id: int) -> Delivery:
    """Deliver one reminder exactly once: claim it, send it, mark it sent.

    The claim is a conditional UPDATE (``pending`` → ``sending``, attempts + 1) committed
    before sending, so a duplicated or redelivered message finds nothing to claim. The send
    happens outside any transaction (no lock held during SMTP), and only the claim's owner
    (same ``attempts``) may mark the row sent or failed.
    """
    now = timezone.now()
    claimed = Reminder.objects.filter(pk=reminder_id, status=ReminderStatus.PENDING).update(
        status=ReminderStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return Delivery(SKIPPED)
    reminder = Reminder.objects.select_related("deadline").get(pk=reminder_id)
    mine = Reminder.objects.filter(
        pk=reminder_id, status=ReminderStatus.SENDING, attempts=reminder.attempts
    )
    if not still_current(reminder):
        mine.update(status=ReminderStatus.CANCELLED)
        return Delivery(CANCELLED, reminder.attempts)
    channel = get_channel(reminder.channel)
    try:
        if channel is None:
            raise PermanentDeliveryError(f"no channel named {reminder.channel!r} is registered")
        if reminder.attempts > max_attempts():
            raise PermanentDeliveryError("too many interrupted attempts")
        channel.send(reminder)
    except PermanentDeliveryError as exc:
        mine.update(status=ReminderStatus.FAILED, failure=str(exc)[:1000])
        log.warning("reminder id=%s failed permanently", reminder_id)
        return Delivery(FAILED, reminder.attempts)
    except Exception as exc:  # noqa: BLE001 - any channel error is retried with backoff
        last = reminder.attempts >= max_attempts()
        mine.update(
            status=ReminderStatus.FAILED if last else ReminderStatus.PENDING,
            failure=f"{type(exc).__name__}: {exc}"[:1000],
            queued_at=timezone.now(),
        )
        log.warning(
            "reminder id=%s attempt %d failed (%s)%s",
            reminder_id,
            reminder.attempts,
            type(exc).__name__,
            "; giving up" if last else "",
        )
        return Delivery(FAILED if last else RETRY, reminder.attempts)
    if not mine.update(status=ReminderStatus.SENT, sent_at=timezone.now()):
        log.warning("reminder id=%s was sent after its claim had been reclaimed", reminder_id)
    return Delivery(SENT, reminder.attempts)


def reminder_resend(*, actor: Any, reminder: Reminder) -> Reminder | None:
    """Deliberately deliver a reminder again (admin action): a new row, ``resend_of`` the old.

    The new row's ``resend`` counter is one above the highest of its key, so it fits the
    unique rule; a concurrent second resend of the same row gets the conflict and is skipped.
    Only sent or failed reminders of open deadlines are resent.
    """
    from django.db import IntegrityError
    from django.db.models import Max

    from .services import audit_log

    if reminder.status not in (ReminderStatus.SENT, ReminderStatus.FAILED):
        return None
    if not still_current(reminder):
        return None
    key = {
        "deadline_id": reminder.deadline_id,
        "recipient": reminder.recipient,
        "kind": reminder.kind,
        "channel": reminder.channel,
        "cycle": reminder.cycle,
    }
    try:
        with transaction.atomic():
            top = Reminder.objects.filter(**key).aggregate(m=Max("resend"))["m"] or 0
            new = Reminder.objects.create(**key, resend=top + 1, resend_of=reminder)
            audit_log(
                actor=actor,
                action="reminder_resent",
                application=reminder.deadline.application,
                person=reminder.deadline.person,
                changes={"reminder": reminder.pk, "resend": new.pk, "channel": new.channel},
            )
            reminders_enqueue_on_commit([new.pk])
    except IntegrityError:
        return None
    return new


# --- rendering ------------------------------------------------------------------------------


@dataclass
class Recipient:
    audience: str
    obj: Any
    email: str
    phone: str
    language: str


@dataclass
class Message:
    recipient: Recipient
    language: str
    subject: str
    body: str


def resolve_recipient(recipient: str) -> Recipient | None:
    """``user:<id>`` or ``person:<id>`` → who it is, their address and their language."""
    from django.contrib.auth import get_user_model

    from .models import Person, StaffProfile

    prefix, _sep, pk = recipient.partition(":")
    if prefix == "user":
        user = get_user_model().objects.filter(pk=pk).first()
        if user is None:
            return None
        language = StaffProfile.objects.filter(user=user).values_list("language", flat=True).first()
        return Recipient(STAFF, user, user.email or "", "", language or settings.LANGUAGE_CODE)
    if prefix == "person":
        person = Person.objects.filter(pk=pk).first()
        if person is None:
            return None
        return Recipient(
            PERSON, person, person.email, person.phone, person.preferred_language or "en"
        )
    return None


def waiting_lines(application: Any) -> list[str]:
    """The expected waiting time and the number of older cases still waiting, worded exactly
    as on the applicant's status page (``casework.waiting`` via ``status_page``), in the
    active language. An estimate is never worth a failed notice: on any error, nothing."""
    try:
        from .status_page import status_page_for

        page = status_page_for(application=application)
    except Exception:  # noqa: BLE001
        log.warning("waiting-time estimate failed for application id=%s", application.pk)
        return []
    return [str(line) for line in (page.waiting_text, page.cases_ahead) if line]


def render_reminder(reminder: Reminder) -> Message:
    """Subject and body of a reminder, in the recipient's language (gettext)."""
    recipient = resolve_recipient(reminder.recipient)
    if recipient is None:
        raise PermanentDeliveryError("the recipient no longer exists")
    deadline = reminder.deadline
    spec = sources().get(deadline.source)
    if spec is None:
        raise PermanentDeliveryError(f"no deadline source {deadline.source!r} is registered")
    application = deadline.application
    language = recipient.language
    if language not in dict(settings.LANGUAGES):
        language = settings.LANGUAGE_CODE
    with translation.override(language):
        values = {
            "what": str(spec.label),
            "due": formats.date_format(timezone.localtime(deadline.due_at), "DATETIME_FORMAT"),
            "reference": application.display_reference if application is not None else "-",
        }
        if reminder.kind == "notice":
            subject, body = _notice_text(values, application)
        elif recipient.audience == PERSON:
            subject = _("Reminder: %(what)s") % values
            body = (
                str(spec.person_message) % values
                if spec.person_message
                else _("%(what)s: %(due)s.") % values
            )
            body += "\n\n" + _("Your case reference: %(reference)s") % values
        elif reminder.kind == "overdue":
            subject = _("Overdue: %(what)s, case %(reference)s") % values
            body = _("The %(what)s of case %(reference)s was due on %(due)s.") % values
        else:
            subject = _("Due soon: %(what)s, case %(reference)s") % values
            body = _("The %(what)s of case %(reference)s is due on %(due)s.") % values
        body += "\n\n" + _("This message was sent automatically. Please do not reply.")
    return Message(recipient, language, subject, body)


def _notice_text(values: dict, application: Any) -> tuple[str, str]:
    subject = _("Your application %(reference)s is still in the queue") % values
    lines = [
        _("Your application %(reference)s is still in the queue. We have not forgotten it.")
        % values
    ]
    if application is not None:
        lines += waiting_lines(application)
    lines.append(
        _(
            "You can see where your case stands on the status page, with your case reference "
            "and your date of birth. You do not need to do anything now."
        )
    )
    return subject, "\n\n".join(lines)
