"""The group renewal of collective protection: one service, set-based, idempotent, audited
per permit, each holder told in their language; exactly once under two runs at once."""

from __future__ import annotations

import datetime as dt
import threading
from io import StringIO

import pytest
import time_machine
from django.core import mail
from django.core.exceptions import PermissionDenied
from django.core.management import call_command
from django.db import connection
from django.forms.models import model_to_dict

from casework.core.exceptions import TransitionInvalid
from casework.deadlines.reminders import reminder_deliver, sweep
from casework.models import AuditEvent, Deadline, PermitRenewal, Reminder, RenewalRun
from casework.models import ResidencePermit as Permit
from casework.permits import statements
from casework.permits.deadlines import PERMIT_EXPIRY, PERMIT_RENEWED
from casework.permits.services import renewal_run_start
from tests.casework.reminder_helpers import OSLO
from tests.permits.helpers import collective_permit

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 2, 2, 10, 0, tzinfo=OSLO)
BASIS = "Royal Decree of 30 January 2026: collective protection extended by one year."


def renew(actor, **kw):
    kw.setdefault("label", "Ukraine 2022, fourth year")
    kw.setdefault("legal_basis", BASIS)
    kw.setdefault("group", "Ukraine 2022")
    with time_machine.travel(NOW, tick=False):
        return renewal_run_start(actor=actor, background=False, **kw)


def test_a_group_is_extended_a_year_once_however_often_it_is_run(decider, caseworker, unit):
    group = [collective_permit(unit=unit, caseworker=caseworker) for _ in range(3)]
    other_group = collective_permit(group="Syria 2015", nationality="SY")
    refugee = collective_permit(outcome="refugee_convention")
    run = renew(decider)
    again = renew(decider)
    assert again.pk == run.pk
    assert (run.status, run.total, run.renewed, run.percent) == ("done", 3, 3, 100)
    for permit in group:
        permit.refresh_from_db()
        assert (permit.valid_until, permit.renewal_count) == (dt.date(2027, 2, 28), 1)
        history = permit.renewals.get()
        assert (history.previous_until, history.new_until, history.run) == (
            dt.date(2026, 2, 28),
            dt.date(2027, 2, 28),
            run,
        )
        event = AuditEvent.objects.get(
            action="permit.renewed", changes__subject=permit.audit_subject
        )
        assert (event.actor, event.reason) == (decider, BASIS)
        assert event.changes["valid_until"] == ["2026-02-28", "2027-02-28"]
        expiry = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
        assert expiry.due_at == dt.datetime(2027, 2, 28, 23, 59, 59, tzinfo=OSLO)
        assert expiry.cycle == 1
    for untouched in (other_group, refugee):
        untouched.refresh_from_db()
        assert untouched.renewal_count == 0 and not untouched.renewals.exists()
    assert PermitRenewal.objects.count() == 3


def test_the_old_dates_reminders_are_cancelled_and_each_holder_is_told_in_their_language(
    decider, caseworker, unit
):
    permit = collective_permit(unit=unit, caseworker=caseworker, language="ar")
    expiry = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
    with time_machine.travel(expiry.due_at - dt.timedelta(days=60), tick=False):
        sweep(enqueue=False)  # the "3 months before" reminders of the old date, not yet sent
    old = set(Reminder.objects.filter(deadline=expiry).values_list("pk", flat=True))
    assert old
    renew(decider)
    assert (
        set(
            Reminder.objects.filter(deadline=expiry, status="cancelled").values_list(
                "pk", flat=True
            )
        )
        == old
    )
    with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
        sweep(enqueue=False)
        notice = Deadline.objects.get(source=PERMIT_RENEWED.key, object_id=permit.pk)
        mail.outbox.clear()
        for r in Reminder.objects.filter(deadline=notice):
            reminder_deliver(reminder_id=r.pk)
    (message,) = mail.outbox
    assert message.to == [permit.person.email]
    assert "تم تجديد" in message.subject
    assert "28 فبراير 2027" in message.body  # the new date, in the holder's language


def test_other_criteria_under_the_same_key_are_refused_and_a_caseworker_may_not_renew(
    decider, caseworker
):
    collective_permit()
    renew(decider, key="ukraine-2026")
    with pytest.raises(TransitionInvalid) as err:
        renew(decider, key="ukraine-2026", nationalities=["UA"])
    assert err.value.message_dict == {
        "key": ["This key belongs to another renewal, with other criteria."]
    }
    with pytest.raises(PermissionDenied):
        renew(caseworker, key="another")
    with pytest.raises(TransitionInvalid) as err:
        renew(decider, group="", key="everyone")
    assert "Name the group" in err.value.message_dict["group"][0]
    with pytest.raises(TransitionInvalid) as err:
        renew(decider, months=24)
    assert "1 to 12 months at a time (Immigration Act § 34)" in err.value.message_dict["months"][0]


def test_the_criteria_name_the_group_by_nationality_and_grant_dates(decider):
    early = collective_permit(granted=dt.date(2022, 3, 20), nationality="UA", group="")
    late = collective_permit(granted=dt.date(2024, 5, 1), nationality="UA", group="")
    stateless = collective_permit(granted=dt.date(2022, 4, 1), nationality="SY", group="")
    run = renew(
        decider,
        group="",
        nationalities=["ua"],
        granted_from=dt.date(2022, 3, 11),
        granted_to=dt.date(2022, 12, 31),
    )
    assert run.renewed == 1
    assert [p.pk for p in Permit.objects.filter(renewal_count=1)] == [early.pk]
    assert late.renewals.count() == stateless.renewals.count() == 0


def test_the_command_renews_with_a_progress_bar_and_says_when_it_already_ran(decider):
    for _ in range(2):
        collective_permit()
    args = ["--user", decider.username, "--label", "Ukraine", "--decision", BASIS]
    out, err = StringIO(), StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("renew_permits", *args, "--group", "Ukraine 2022", stdout=out, stderr=err)
    assert "2 permits renewed by 12 months" in out.getvalue()
    assert "renewed: 100%" in err.getvalue()
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("renew_permits", *args, "--group", "Ukraine 2022", stdout=out, stderr=err)
    assert "already ran" in out.getvalue()
    assert PermitRenewal.objects.count() == 2


@pytest.mark.services("postgres")
def test_the_statement_writes_what_the_orm_writes(decider, caseworker, unit):
    """The PostgreSQL statement and the ORM's way, on two equal sets of permits: the same
    permits, renewal rows, audit events and deadlines, column by column."""

    def renewed_by(batch) -> dict:
        permits = [
            collective_permit(unit=unit, caseworker=caseworker, group=f"group-{batch.__name__}")
            for _ in range(3)
        ]
        for year in (1, 2):  # the second renews what the first did: the notice moves on
            run = RenewalRun.objects.create(
                key=f"{batch.__name__}-{year}",
                label="x",
                legal_basis=BASIS,
                group=f"group-{batch.__name__}",
            )
            with time_machine.travel(NOW, tick=False):
                assert batch(run=run, actor_id=decider.pk, now=NOW, limit=10) == 3
        skip = {"id", "permit", "run", "person", "application", "decision", "group", "object_id"}

        def rows(qs):
            return [{k: v for k, v in model_to_dict(r).items() if k not in skip} for r in qs]

        ids = [p.pk for p in permits]
        return {
            "permits": rows(Permit.objects.filter(pk__in=ids).order_by("pk")),
            "renewals": rows(
                PermitRenewal.objects.filter(permit__in=ids).order_by("permit", "new_until")
            ),
            "events": [
                (e.actor_id, e.at, e.action, e.reason, e.changes["valid_until"])
                for e in AuditEvent.objects.filter(
                    action="permit.renewed", person__in=[p.person_id for p in permits]
                ).order_by("id")
            ],
            "deadlines": rows(
                Deadline.objects.filter(
                    object_id__in=ids, source__in=[PERMIT_EXPIRY.key, PERMIT_RENEWED.key]
                ).order_by("source", "object_id")
            ),
        }

    assert renewed_by(statements.renew_batch) == renewed_by(statements.renew_batch_orm)


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_runs_at_once_renew_each_permit_exactly_once(unit, decider):
    permits = [collective_permit(unit=unit) for _ in range(40)]
    barrier = threading.Barrier(2)
    results: list[object] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            results.append(renewal_run_start(
                actor=decider, label="Ukraine", legal_basis=BASIS, group="Ukraine 2022",
                background=False,
            ))  # fmt: skip
        except Exception as exc:  # pragma: no cover - reported by the assertion below
            results.append(exc)
        finally:
            connection.close()  # each thread had its own real connection

    from casework.permits import services

    batch = services.RENEWAL_BATCH
    services.RENEWAL_BATCH = 7  # many batches, so the two runs interleave
    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
    finally:
        services.RENEWAL_BATCH = batch
    assert all(isinstance(r, RenewalRun) for r in results), results
    assert RenewalRun.objects.count() == 1
    assert PermitRenewal.objects.count() == 40
    assert AuditEvent.objects.filter(action="permit.renewed").count() == 40
    for permit in permits:
        permit.refresh_from_db()
        assert (permit.renewal_count, permit.valid_until) == (1, dt.date(2027, 2, 28))


@pytest.mark.services("postgres")
def test_each_permit_asks_the_run_s_key_whether_it_is_renewed():
    """A batch picks the run's next permits; each is asked of the run's key (run, permit) by
    an index probe. With an index on the run alone, a new run (its statistics: nothing
    renewed) was answered by reading all its renewals for every permit: quadratic, 25 s a
    batch at a million cases."""
    earlier = RenewalRun.objects.create(key="earlier", label="x", legal_basis=BASIS, group="g")
    with connection.cursor() as cursor:
        # An earlier run's 50,000 renewals (of no real permits: removed before the test's
        # end checks the keys), and the statistics of a table that holds them: a new run,
        # as far as the planner knows, has renewed nothing.
        cursor.execute(
            "INSERT INTO casework_permitrenewal (permit_id, run_id, previous_until, new_until,"
            " renewed_at) SELECT n, %s, DATE '2026-01-01', DATE '2027-01-01', now()"
            " FROM generate_series(1, 50000) AS n",
            [earlier.pk],
        )
        cursor.execute("ANALYZE casework_permitrenewal")
    run = RenewalRun.objects.create(key="plan", label="x", legal_basis=BASIS, group="g")
    sql, params = (
        statements.pending_permits(run, after=10).order_by("pk").values_list("pk", flat=True)[:50]
    ).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # the plan of a big table
        cursor.execute("EXPLAIN " + sql, params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
        cursor.execute("DELETE FROM casework_permitrenewal WHERE run_id = %s", [earlier.pk])
    probe = plan[plan.index("SubPlan") :]
    assert "renewal_run_idx" in probe or "one_renewal_per_run" in probe, plan
    assert "permit_id = " in probe.split("Index Cond:", 1)[1].splitlines()[0], plan
    assert "id > 10" in plan, plan  # above the last permit the run renewed
