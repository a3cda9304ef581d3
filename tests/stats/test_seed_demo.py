"""seed_demo writes data on which the statistics show the source document's figures."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from casework import statistics
from casework.deadlines import hidden_sources
from casework.models import Application, AuditEvent, Deadline, Decision, Person

pytestmark = pytest.mark.django_db


def seed(*args: str) -> None:
    call_command("seed_demo", *args, stdout=_Sink(), stderr=_Sink())


class _Sink:
    def write(self, *_a):  # noqa: ANN002, ANN202
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


def test_seed_demo_twice_adds_nothing():
    seed("--only", "protection2022", "--scale", "0.05")
    counts = (Application.objects.count(), Decision.objects.count(), AuditEvent.objects.count())
    seed("--only", "protection2022", "--scale", "0.05")
    assert (
        Application.objects.count(),
        Decision.objects.count(),
        AuditEvent.objects.count(),
    ) == counts


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
