"""The only writers of residence permits and their renewals.

- ``permit_grant``: the permit a decision gives (the decision transitions call it through
  their effect ``GrantsPermit``; the integration app for a family reunification), with its
  expiry deadline;
- ``permits_end_replaced``: a later decision on the case ends the permits its earlier
  decisions gave (the decision transitions call it through their effect
  ``EndsEarlierPermits``, before the new decision's own permit is granted);
- ``permit_card_issued``: the day the residence card was issued;
- ``renewal_run_start`` / ``renewal_run_execute``: the group renewal of collective
  protection (Immigration Act § 34: extended a year at a time for the whole group by
  government decision, without individual applications). Set-based: a batch of thousands
  of permits is one statement (``statements.renew_batch``); idempotent: a run has a key,
  and starting it again finds the run there is and renews nothing twice.

Each service checks the permission, writes in one transaction and leaves an audit event
tagged with the permit (``changes["subject"]``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from casework.audit.services import audit_event, audit_log
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.queue import on_commit_enqueue
from casework.deadlines.services import deadline_close, deadline_new, deadline_set
from casework.people.models import Person
from casework.permits.choices import RenewalRunStatus
from casework.permits.deadlines import PERMIT_EXPIRY
from casework.permits.models import RenewalRun, ResidencePermit
from casework.permits.statements import (
    expiry_due,
    grant,
    grant_orm,
    renew_batch,
    renewed_up_to,
    run_permits,
)
from casework.permits.terms import PermitTerms
from casework.staff.users import AnyUser, recorded_user

RENEW = "casework.renew_permits"
# A batch of the group renewal: one statement, one commit, one step of the progress bar.
RENEWAL_BATCH = 5000
RUN_TASK = "casework.tasks.run_permit_renewal"


def permit_granted_rows(
    *,
    actor: AnyUser | None,
    person: Any,
    terms: PermitTerms,
    application: Any = None,
    decision: Any = None,
    granted_by_record: str = "",
    group: str = "",
) -> tuple[ResidencePermit, Any]:
    """The permit ``permit_grant`` writes and its own audit event, not yet written (the event's
    subject is set once the permit has its key)."""
    permit = ResidencePermit(
        person_id=person.pk,
        application_id=getattr(application, "pk", None),
        decision_id=getattr(decision, "pk", None),
        granted_by_record=granted_by_record,
        permit_type=terms.permit_type,
        valid_from=terms.valid_from,
        valid_until=terms.valid_until,
        identity_unverified=terms.identity_unverified,
        permanent_residence_from=terms.permanent_residence_from,
        group=group,
        is_demo=bool(getattr(person, "is_demo", False)),
    )
    if isinstance(person, Person):
        permit.person = person  # the holder the caller loaded: no SELECT to read it back
    # The permit's own event, found by its subject (the permit's key, once it has one): the
    # decision's event on the case already says what was decided.
    event = audit_event(
        actor=actor,
        action="permit.granted",
        person=person,
        changes={
            "permit_type": terms.permit_type,
            "valid_from": terms.valid_from.isoformat(),
            "valid_until": terms.valid_until.isoformat(),
            "months": terms.months,
            "identity_unverified": terms.identity_unverified,
        },
    )
    return permit, event


def permit_grant(
    *,
    actor: AnyUser | None,
    person: Any,
    terms: PermitTerms,
    application: Any = None,
    decision: Any = None,
    granted_by_record: str = "",
    group: str = "",
    recipient_user: Any = None,
) -> ResidencePermit:
    """Record the permit a decision gives and open its expiry deadline. Called inside the
    deciding service's transaction (the decision transition's effect, the family
    reunification's grant): the permission is the decision's own.

    On PostgreSQL the permit, its audit event and its deadline are one statement
    (``statements.grant``), unless the deadline's first reminder is already due (a permit
    granted for a few weeks), whose reminder rows ``deadline_set`` writes with it."""
    permit, event = permit_granted_rows(
        actor=actor,
        person=person,
        terms=terms,
        application=application,
        decision=decision,
        granted_by_record=granted_by_record,
        group=group,
    )
    recipient = recipient_user or _caseworker(application)
    expiry = deadline_new(
        source=PERMIT_EXPIRY.key,
        object_id=0,  # the permit's key, once it has one
        due_at=expiry_due(permit.valid_until),
        person=person,
        recipient_user=recipient,
    )
    with transaction.atomic(savepoint=False):
        if connection.vendor == "postgresql" and expiry.remind_from > timezone.now():
            if grant(permit, event, expiry):
                return permit
        else:
            grant_orm(permit, event)
        permit_expiry_open(permit, recipient_user=recipient)
    return permit


def permit_grant_family(
    *, actor: AnyUser | None, person: Any, decided_at: dt.datetime, granted_by_record: str
) -> ResidencePermit:
    """The permit a granted family reunification gives (the integration app's decision), with
    the defaults of ``terms`` from the decision's day; its record named by
    ``granted_by_record``. Inside the deciding transition's transaction."""
    from casework.permits.terms import FAMILY_OUTCOME, permit_terms

    terms = permit_terms(outcome=FAMILY_OUTCOME, valid_from=timezone.localtime(decided_at).date())
    assert terms is not None  # the family outcome always gives a permit
    return permit_grant(
        actor=actor, person=person, terms=terms, granted_by_record=granted_by_record[:80]
    )


def _caseworker(application: Any) -> Any:
    """The case's assigned caseworker as the expiry deadline's recipient: only its id is
    read (``deadline_new``), so the user is not loaded for it."""
    user_id = getattr(application, "assigned_to_id", None) if application is not None else None
    return get_user_model()(pk=user_id) if user_id is not None else None


def permit_expiry_open(permit: ResidencePermit, *, recipient_user: Any = None) -> None:
    """Open (or move) the permit's expiry deadline: the holder and the unit are reminded
    (``deadlines.PERMIT_EXPIRY``). Not tied to the case, so it never becomes the decided
    case's "next deadline" in the caseworkers' lists."""
    deadline_set(
        source=PERMIT_EXPIRY.key,
        object_id=permit.pk,
        due_at=expiry_due(permit.valid_until),
        person=permit.person,
        recipient_user=recipient_user,
    )


def permits_end_replaced(
    *, actor: AnyUser | None, application: Any, ended_on: dt.date, reason: str
) -> list[ResidencePermit]:
    """End the case's permits that earlier decisions gave and that still run on ``ended_on``:
    a later decision on the case replaces them (the Directorate's reversal after review, the
    appeals board's grant, a reversal on request, a new decision after the case was sent
    back). Each ends on the new decision's day (``ended_on``, ``ended_by``: the case's
    newest decision), its expiry deadline closed, with an audit event tagged with the
    permit. A permit already expired stays expired. Called inside the deciding service's
    transaction, after the new decision was written and before its own permit is granted:
    the permission is the decision's own. Returns the permits ended."""
    with transaction.atomic(savepoint=False):
        running = list(
            ResidencePermit.objects.select_for_update()
            .filter(application_id=application.pk, ended_on=None, valid_until__gte=ended_on)
            .order_by("pk")
        )
        if not running:
            return []
        decision = application.decisions.order_by("-decided_at", "-pk").first()
        now = timezone.now()
        for permit in running:
            if decision is not None and permit.decision_id == decision.pk:
                continue  # the new decision's own permit (granted before this ran)
            permit.ended_on = ended_on
            permit.ended_by = decision
            permit.version += 1
            permit.updated_at = now
            permit.save(update_fields=["ended_on", "ended_by", "version", "updated_at"])
            deadline_close(source=PERMIT_EXPIRY.key, object_id=permit.pk)
            audit_log(
                actor=actor,
                action="permit.ended",
                person=application.person,
                reason=reason,
                changes={
                    "subject": permit.audit_subject,
                    "ended_on": ended_on.isoformat(),
                    "ended_by": getattr(decision, "pk", None),
                    "valid_until": permit.valid_until.isoformat(),
                },
            )
    return [p for p in running if p.ended_on is not None]


def permit_card_issued(
    *,
    actor: AnyUser,
    permit: ResidencePermit,
    issued_on: dt.date,
    expected_version: int | None = None,
) -> ResidencePermit:
    """Record the day the holder's residence card was issued (by the police, after the
    decision): not before the permit's first day, not in the future."""
    if not actor.has_perm("casework.record_permit_card", permit):
        raise PermissionDenied(_("You may not change this residence permit."))
    if issued_on > timezone.localdate():
        raise TransitionInvalid({"card_issued_on": _("A card cannot be issued in the future.")})
    if issued_on < permit.valid_from:
        raise TransitionInvalid(
            {"card_issued_on": _("A card cannot be issued before the permit's first day.")}
        )
    with transaction.atomic():
        locked = ResidencePermit.objects.select_for_update().get(pk=permit.pk)
        if expected_version is not None and locked.version != expected_version:
            raise TransitionConflict(
                _("Another user changed this record first. Reload it and try again.")
            )
        before = locked.card_issued_on
        if before == issued_on:
            return locked
        locked.card_issued_on = issued_on
        locked.version += 1
        locked.updated_at = timezone.now()
        locked.save(update_fields=["card_issued_on", "version", "updated_at"])
        audit_log(
            actor=actor,
            action="permit.card_issued",
            person=locked.person,
            changes={
                "subject": locked.audit_subject,
                "card_issued_on": [
                    before.isoformat() if before else None,
                    issued_on.isoformat(),
                ],
            },
        )
    return locked


# --- group renewal ------------------------------------------------------------------------


def renewal_key(
    *,
    group: str,
    nationalities: Iterable[str],
    granted_from: dt.date | None,
    granted_to: dt.date | None,
    expiring_by: dt.date | None,
    months: int,
) -> str:
    """The key a run gets when none is given: its criteria. The same group renewed by the
    same criteria again is the same run (renewed once); the next year's renewal of a group
    is another decision, told apart by its "expiring by" day or a key of its own."""
    parts = [
        group.strip(),
        ",".join(sorted(nationalities)),
        str(granted_from or ""),
        str(granted_to or ""),
        str(expiring_by or ""),
        str(months),
    ]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]
    return f"collective:{digest}"


def renewal_run_start(
    *,
    actor: AnyUser,
    label: str,
    legal_basis: str,
    group: str = "",
    nationalities: Iterable[str] = (),
    granted_from: dt.date | None = None,
    granted_to: dt.date | None = None,
    expiring_by: dt.date | None = None,
    months: int = 12,
    key: str = "",
    background: bool = True,
    progress: Callable[[RenewalRun], None] | None = None,
) -> RenewalRun:
    """Start the group renewal of the collective-protection permits these criteria name (or
    find the run of this key there is: the same key twice renews once). In the background
    (a Celery task after commit; the admin shows its progress) or, with
    ``background=False``, now (``manage.py renew_permits``, tests)."""
    if not actor.has_perm(RENEW):
        raise PermissionDenied(_("You may not renew permits for a group."))
    codes = sorted({c.strip().upper() for c in nationalities if c.strip()})
    errors: dict[str, Any] = {}
    if not label.strip():
        errors["label"] = _("Name the renewal (e.g. the group and the year).")
    if not legal_basis.strip():
        errors["legal_basis"] = _("Give the government's decision the renewal carries out.")
    if not 1 <= months <= 12:
        errors["months"] = _(
            "Collective protection is extended 1 to 12 months at a time (Immigration Act § 34)."
        )
    if granted_from and granted_to and granted_from > granted_to:
        errors["granted_to"] = _("The range ends before it starts.")
    if not (group.strip() or codes or granted_from or granted_to or expiring_by):
        errors["group"] = _(
            "Name the group: a named group, nationalities, a range of grant dates or an expiry day."
        )
    if errors:
        raise TransitionInvalid(errors)
    fields = {
        "label": label.strip()[:200],
        "legal_basis": legal_basis.strip(),
        "group": group.strip(),
        "nationalities": ",".join(codes),
        "granted_from": granted_from,
        "granted_to": granted_to,
        "expiring_by": expiring_by,
        "months": months,
    }
    key = key.strip() or renewal_key(
        group=group.strip(),
        nationalities=codes,
        granted_from=granted_from,
        granted_to=granted_to,
        expiring_by=expiring_by,
        months=months,
    )
    try:
        with transaction.atomic():
            run = RenewalRun.objects.create(key=key, created_by=recorded_user(actor), **fields)
            run.total = run_permits(run).count()
            run.save(update_fields=["total"])
            audit_log(
                actor=actor,
                action="permit.renewal_started",
                reason=fields["legal_basis"],
                changes={
                    "subject": run.audit_subject,
                    "key": key,
                    "total": run.total,
                    **{k: str(v) for k, v in fields.items() if v and k != "legal_basis"},
                },
            )
            if background:
                on_commit_enqueue(RUN_TASK, run.pk)
    except IntegrityError:
        # The key is taken: this renewal was started before (or is being started right now).
        run = RenewalRun.objects.get(key=key)
        criteria = {k: v for k, v in fields.items() if k not in ("label", "legal_basis")}
        if any(getattr(run, k) != v for k, v in criteria.items()):
            raise TransitionInvalid(
                {"key": _("This key belongs to another renewal, with other criteria.")}
            ) from None
        if run.status == RenewalRunStatus.DONE:
            run.already_done = True
            return run
        if background:
            on_commit_enqueue(RUN_TASK, run.pk)
    if not background:
        return renewal_run_execute(run_id=run.pk, progress=progress)
    return run


def renewal_run_execute(
    *,
    run_id: int,
    batch: int | None = None,
    progress: Callable[[RenewalRun], None] | None = None,
) -> RenewalRun:
    """Run (or go on with) a group renewal, batch by batch, each batch committed with its
    progress. Safe to run twice at once and to redeliver: each batch locks the run's row,
    and a permit the run renewed is never picked again. Returns the run as it ended."""
    batch = batch or RENEWAL_BATCH
    runs = RenewalRun.objects.filter(pk=run_id)
    while True:
        with transaction.atomic():
            run = runs.select_for_update().get()
            if run.status == RenewalRunStatus.DONE:
                return run
            now = timezone.now()
            if run.status != RenewalRunStatus.RUNNING:  # pending, or failed and resumed
                run.status, run.message = RenewalRunStatus.RUNNING, ""
                run.started_at = run.started_at or now
            actor_id = run.created_by_id
            # Batches go up the permit ids; the last pass, from the start, finds any permit
            # that joined the group below them while the run went on.
            after = renewed_up_to(run)
            renewed = renew_batch(run=run, actor_id=actor_id, now=now, limit=batch, after=after)
            if renewed < batch and after:
                renewed += renew_batch(run=run, actor_id=actor_id, now=now, limit=batch - renewed)
            run.renewed += renewed
            run.total = max(run.total, run.renewed)
            if renewed < batch:
                run.status, run.finished_at = RenewalRunStatus.DONE, timezone.now()
                run.total = run.renewed
                audit_log(
                    actor=run.created_by,
                    action="permit.renewal_finished",
                    changes={"subject": run.audit_subject, "renewed": run.renewed},
                )
            run.save(
                update_fields=["status", "message", "started_at", "finished_at", "renewed", "total"]
            )
        if progress is not None:
            progress(run)
        if run.status == RenewalRunStatus.DONE:
            return run


def renewal_run_fail(*, run_id: int, message: str) -> None:
    """Mark a run failed (the task's last resort); the permits renewed so far stay renewed
    and starting the same key again goes on from there."""
    RenewalRun.objects.filter(pk=run_id).exclude(status=RenewalRunStatus.DONE).update(
        status=RenewalRunStatus.FAILED, message=message[:2000], finished_at=timezone.now()
    )


# --- permits of decisions made without one ------------------------------------------------


def permits_from_decisions(*, only_demo: bool = False, chunk: int = 5000) -> int:
    """Give every decision that gave a permit and has no permit record its permit, from the
    decision's own fields (the type its text or outcome names, from its day for its months),
    with an expiry deadline while it is valid; how many were made. The demo data's bulk
    decisions are written without the transition (``casework.intake.demo``); migration 0029
    did the same, with a frozen copy of the rules, for the decisions made before permits
    were records."""
    from django.apps import apps

    from casework.deadlines.models import Deadline
    from casework.permits.terms import (
        TYPE_BY_DECISION_TEXT,
        permanent_residence_from,
        permit_types_for,
        until_after,
    )

    # The decisions are looked up by name: the applications sit above the permits.
    decision = apps.get_model("casework", "Decision")
    decisions = decision.objects.exclude(permit_type="").filter(permit__isnull=True)
    if only_demo:
        decisions = decisions.filter(application__is_demo=True)
    rows = decisions.order_by("pk").values_list(
        "pk",
        "permit_type",
        "permit_months",
        "outcome",
        "decided_at",
        "application_id",
        "application__person_id",
        "application__assigned_to_id",
        "application__is_demo",
    )
    today = timezone.localdate()
    made = 0
    batch: list[tuple[Any, ...]] = []

    def write(batch: list[tuple[Any, ...]]) -> int:
        permits, assigned = [], {}
        for pk, text, months, outcome, decided_at, app_id, person_id, to, demo in batch:
            types = permit_types_for(outcome)
            permit_type = TYPE_BY_DECISION_TEXT.get(text) or (types[0] if types else "")
            if not permit_type:
                continue
            start = timezone.localtime(decided_at).date()
            permits.append(
                ResidencePermit(
                    person_id=person_id,
                    application_id=app_id,
                    decision_id=pk,
                    permit_type=permit_type,
                    valid_from=start,
                    valid_until=until_after(start, months or 12),
                    permanent_residence_from=permanent_residence_from(permit_type, start),
                    is_demo=demo,
                )
            )
            assigned[pk] = to
        created = ResidencePermit.objects.bulk_create(permits)
        if created and created[0].pk is None:  # pragma: no cover - every backend returns keys
            created = list(ResidencePermit.objects.filter(decision_id__in=list(assigned)))
        Deadline.objects.bulk_create(
            [
                Deadline(
                    source=PERMIT_EXPIRY.key,
                    object_id=p.pk,
                    person_id=p.person_id,
                    due_at=expiry_due(p.valid_until),
                    remind_from=expiry_due(p.valid_until) + PERMIT_EXPIRY.first_offset,
                    recipient_user_id=assigned[p.decision_id],
                    notify_person=True,
                )
                for p in created
                if p.valid_until >= today
            ],
            ignore_conflicts=True,
        )
        return len(created)

    for row in rows.iterator(chunk_size=chunk):
        batch.append(row)
        if len(batch) >= chunk:
            made += write(batch)
            batch = []
    if batch:
        made += write(batch)
    return made
