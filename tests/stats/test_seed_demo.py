"""seed_demo writes data on which the statistics show the 2022 and 2023 figures it reproduces."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from casework.deadlines.registry import hidden_sources
from casework.models import Application, AuditEvent, Deadline, Decision, Person
from casework.statistics import tables as statistics

pytestmark = pytest.mark.django_db


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=_Sink(), stderr=_Sink())


class _Sink:
    def write(self, *_a):
        return 0

    def flush(self) -> None:
        pass


def test_the_2022_figures_of_the_source_document():
    """4,255 asylum applications excluding Ukrainians, mainly Syria, Afghanistan, Russia; of
    1,222 first applications examined, 81 % accepted and 19 % rejected."""
    seed("--only", "protection2022")
    asylum = statistics.applications_by_nationality(year=2022, kind="protection")
    assert asylum.total("applications") == 4255
    assert [r["code"] for r in asylum.rows[:3]] == ["SY", "AF", "RU"]
    assert "UA" not in {r["code"] for r in asylum.rows}
    first = statistics.decisions_first(year=2022, kind="protection").rows[-1]
    assert first["merits_decisions"] == 1222
    assert first["grant_rate_merits"] == 81.0
    rejected = first["rejected"] + first["minor_limited"]
    assert round(100 * rejected / first["merits_decisions"]) == 19
    assert first["grant_rate_all"] < first["grant_rate_merits"]  # Dublin and withdrawn count


def test_demo_rows_are_consistent_and_labelled():
    seed("--only", "protection2022", "--scale", "0.05")
    apps = Application.objects.filter(is_demo=True, external_id__startswith="demo:")
    assert apps.count() == 213
    assert not Person.objects.filter(applications__in=apps, is_demo=False).exists()
    decided = apps.exclude(state__in=["submitted", "examined"])
    # every decision has its audit event, every case its lodging event
    assert AuditEvent.objects.filter(application__in=apps, action="lodged").count() == 213
    decision_events = AuditEvent.objects.filter(
        application__in=apps,
        action__in=["accept", "reject", "withdraw", "grant_appeal", "dismiss_appeal"],
    )
    assert decision_events.count() == Decision.objects.filter(application__in=apps).count()
    assert decided.count() == apps.count()
    # finished cases leave no open deadline behind (no reminders about 2022 in a demo)
    assert not Deadline.objects.filter(application__in=apps, closed_at=None).exists()


def test_the_demo_leaves_planner_statistics_for_what_it_wrote():
    """Without them SQLite probed a caseworker's scope through the unit's index, not the
    person's: the demo's deadline list filtered to permit expiries took five minutes."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("SQLite keeps no statistics until ANALYZE; PostgreSQL's autovacuum makes them")
    seed("--only", "protection2022", "--scale", "0.05")
    with connection.cursor() as cur:
        cur.execute("SELECT tbl FROM sqlite_stat1 WHERE idx IS NOT NULL")
        analysed = {row[0] for row in cur.fetchall()}
    assert {"casework_deadline", "casework_application", "casework_person"} <= analysed


def test_seed_demo_twice_adds_nothing():
    from integration.models import FamilyReunification, WorkPermit
    from reception.models import MunicipalityQuota, Placement, Settlement

    models = (Application, Person, Decision, AuditEvent, Deadline, Placement, Settlement,
              MunicipalityQuota, WorkPermit, FamilyReunification)  # fmt: skip
    seed("--only", "protection2022", "--scale", "0.05")
    counts = [m.objects.count() for m in models]
    assert all(counts)
    seed("--only", "protection2022", "--scale", "0.05")
    assert [m.objects.count() for m in models] == counts


def test_open_demo_cases_have_deadlines_in_the_coming_weeks():
    seed("--only", "open", "--scale", "0.2")
    now = timezone.now()
    soon = Deadline.objects.filter(
        closed_at=None,
        application__external_id__startswith="demo:open:",
        due_at__gt=now,
        due_at__lt=now + dt.timedelta(weeks=8),
    )
    assert {"casework.examination_target", "casework.interview", "casework.appeal"} <= set(
        soon.values_list("source", flat=True)
    )
    app = soon.exclude(source__in=hidden_sources()).first().application
    shown = app.deadlines.filter(closed_at=None).exclude(source__in=hidden_sources())
    assert app.next_deadline == min(d.due_at for d in shown)


def test_2023_collective_protection_by_county_puts_viken_and_vestland_on_top():
    """About 33,000 Ukrainians in 2023 (here a twentieth), most in Viken and Vestland; Nordland
    and Møre og Romsdal receive many for their population. The county is 2023's (Viken)."""
    seed("--only", "collective2023", "--scale", "0.05")
    kinds = statistics.applications_by_kind(year=2023)
    assert {r["code"]: r["applications"] for r in kinds.rows} == {"collective": 1650}
    t = statistics.table("collective-protection-by-county", year=2023)
    assert sum(r["received"] for r in t.rows) == 1650
    assert [r["county"] for r in t.rows[:2]] == ["Viken", "Vestland"]
    per_capita = {r["county"]: r["per_1000"] for r in t.rows}
    assert min(per_capita["Nordland"], per_capita["Møre og Romsdal"]) > max(
        per_capita["Viken"], per_capita["Vestland"]
    )


def _by(table: statistics.Table, key: str) -> dict:
    return {r[key]: r for r in table.rows}


def test_reception_and_integration_figures_appear_in_the_statistics():
    """The whole demo at a twentieth: the reception and integration tables a user opens on
    the statistics page show residents, settlements against quotas, work permits, family
    reunification decisions and introduction programmes, and no centre is ever over capacity."""
    from django.db.models import Count, F, OuterRef, Q, Subquery

    from reception.models import MunicipalityQuota, Placement, Settlement

    seed("--scale", "0.05")
    this_year = timezone.localdate().year

    status = {
        r["status"]: r["residents"] for r in statistics.table("reception-residents-by-status").rows
    }
    assert status["waiting for a decision"] > 0
    assert status["granted, waiting for settlement"] > 0
    assert status["obliged to leave"] > 0
    centres = statistics.table("reception-residents-by-centre").rows
    assert sum(r["occupied"] for r in centres) == sum(status.values())
    assert all(0 <= r["occupied"] <= r["capacity"] for r in centres)
    assert len({r["county"] for r in centres if r["occupied"]}) >= 3
    # Capacity on every day: occupancy only rises when someone moves in, so count each
    # centre on each day someone moved in.
    present = (
        Placement.objects.filter(centre=OuterRef("centre"), start__lte=OuterRef("start"))
        .filter(Q(end__isnull=True) | Q(end__gt=OuterRef("start")))
        .order_by()
        .values("centre")
        .annotate(n=Count("pk"))
        .values("n")
    )
    over = Placement.objects.annotate(n=Subquery(present)).filter(n__gt=F("centre__capacity"))
    assert Placement.objects.count() > 500
    assert not over.exists()

    settled = _by(statistics.table("settlement-by-municipality", year=this_year), "municipality")
    with_quota = [r for r in settled.values() if r["quota"]]
    assert with_quota and all(0 < r["settled"] <= r["quota"] for r in with_quota)
    assert all(r["quota"] for r in settled.values())  # nobody settled outside a quota
    # a municipality never settles more than it agreed to, in any year
    used = Settlement.objects.filter(
        municipality=OuterRef("municipality"), settled_on__year=OuterRef("year")
    )
    used = used.order_by().values("municipality").annotate(n=Count("pk")).values("n")
    assert (
        not MunicipalityQuota.objects.annotate(n=Subquery(used)).filter(n__gt=F("places")).exists()
    )

    permits = statistics.table("work-permits-granted")
    assert permits.total("total") > 20
    assert permits.rows[0]["nationality"] == "Syria"  # the largest group, interview waived
    assert permits.total("renewal") > 0
    family = _by(statistics.table("family-reunification-decisions"), "relation")
    child, spouse = family["child under 18"], family["spouse or registered partner"]
    assert child["accepted"] > child["rejected"] > 0
    assert spouse["accepted"] > 0
    programme = {r["measure"]: r["count"] for r in statistics.table("introduction-programme").rows}
    assert programme["participants"] > 100
    assert 0 < programme["of whom with collective protection"] < programme["participants"]
    assert programme["completed"] > programme["discontinued"] > 0
    assert programme["still enrolled"] > 0
    assert programme["outcome: work"] > 0

    # their deadlines come up in a demo: reminders fire in the coming weeks
    now = timezone.now()
    soon = set(
        Deadline.objects.filter(
            closed_at=None, due_at__gt=now, due_at__lt=now + dt.timedelta(weeks=10)
        ).values_list("source", flat=True)
    )
    assert {
        "reception.settlement_target",
        "integration.programme_end",
        "integration.family_registration",
    } <= soon
    assert Deadline.objects.filter(
        source="integration.work_permit_renewal", closed_at=None, due_at__gt=now
    ).exists()

    # make run then places the eleven hand-made demo people and the demo Dublin cases' people
    # through the services, and only them (not the family members abroad, who have no
    # application here)
    from casework.dublin.demo import DEMO_CASES as DUBLIN_CASES

    before = Placement.objects.count()
    call_command("seed_reception_demo", stdout=_Sink())
    assert Placement.objects.count() == before + 11 + len(DUBLIN_CASES)
    assert not Placement.objects.filter(person__applications__isnull=True).exists()


def _schema() -> tuple[list, list]:
    """Every index and constraint, but those of the logs' monthly partitions (the load makes
    the months its rows need: ``_partitions_complete`` checks them)."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute(
            "SELECT i.indexdef FROM pg_indexes i JOIN pg_class c ON c.relname = i.tablename "
            "AND c.relnamespace = 'public'::regnamespace "
            "WHERE i.schemaname = 'public' AND NOT c.relispartition ORDER BY 1"
        )
        indexes = cur.fetchall()
        cur.execute(
            "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(k.oid), "
            "condeferrable FROM pg_constraint k LEFT JOIN pg_class c ON c.oid = k.conrelid "
            "WHERE connamespace = 'public'::regnamespace AND NOT coalesce(c.relispartition, "
            "false) ORDER BY 1, 2"
        )
        return indexes, cur.fetchall()


def _partitions_complete() -> None:
    """The audit trail's rows sit in their months' partitions, each with the parent's
    indexes, and none waits in the default partition."""
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM casework_auditevent_default")
        assert cur.fetchone()[0] == 0
        cur.execute(
            "SELECT c.relname, (SELECT count(*) FROM pg_index x WHERE x.indrelid = c.oid) "
            "FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
            "WHERE i.inhparent = 'casework_auditevent'::regclass"
        )
        counts = dict(cur.fetchall())
        cur.execute(
            "SELECT count(*) FROM pg_index WHERE indrelid = 'casework_auditevent'::regclass"
        )
        assert set(counts.values()) == {cur.fetchone()[0]}
        assert len(counts) > 12, counts  # the demo's years, month by month


@pytest.mark.services("postgres")
def test_the_copy_load_leaves_every_index_and_constraint_as_it_found_them():
    """On PostgreSQL the load drops secondary indexes and foreign keys and makes them again;
    afterwards the schema is exactly the migrated one, and the foreign keys hold."""
    from reception.models import Placement

    before = _schema()
    seed("--scale", "0.02")
    assert Placement.objects.exists()
    assert _schema() == before
    _partitions_complete()
    assert len(before[0]) > 50 and any(c[2].startswith("FOREIGN KEY") for c in before[1])
