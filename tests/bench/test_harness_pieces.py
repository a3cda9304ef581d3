"""The pieces of the benchmark that decide what it reports: which applicants the status row
samples, how CPU per request is counted, which bare rows the staff baselines show, what counts
as a full count, and when the report says a target is met."""

from __future__ import annotations

import os
import time
from collections import Counter

import pytest
from django.urls import resolve

from bench import common, report
from bench.rows import status
from casework.models import Application, AuditEvent, Deadline, Person, Reminder
from casework.privacy.scopes import visible_to
from tests.factories import (
    ApplicationFactory,
    AuditEventFactory,
    DeadlineFactory,
    ReminderFactory,
)

# --- the status row's sample ------------------------------------------------------------------


def test_shares_are_proportional_and_add_up():
    shares = status.allocate({"a": 600, "b": 300, "c": 100}, 10)
    assert shares == {"a": 6, "b": 3, "c": 1}
    # remainders go to the largest fractions; no group gets more than it has
    assert sum(status.allocate({"a": 5, "b": 5, "c": 1}, 7).values()) == 7
    assert status.allocate({"a": 2, "b": 1}, 50) == {"a": 2, "b": 1}
    assert status.allocate({}, 10) == {}


@pytest.mark.django_db
def test_the_status_sample_is_waiting_applicants_in_the_queue_s_proportions(unit):
    for _ in range(12):
        ApplicationFactory(state="submitted", track="normal")
    for _ in range(6):
        ApplicationFactory(state="examined", track="normal")
    for _ in range(2):
        ApplicationFactory(state="examined", track="fast")
    for state in ("accepted", "rejected", "withdrawn"):  # decided or gone: nobody waits
        for _ in range(5):
            ApplicationFactory(state=state)
    rows = status.waiting_cases(10)
    refs = [ref for ref, _dob in rows]
    assert len(refs) == len(set(refs)) == 10
    picked = Application.objects.filter(reference__in=refs)
    assert set(picked.values_list("state", flat=True)) <= {"submitted", "examined"}
    groups = Counter(picked.values_list("track", "state"))
    assert groups == {("normal", "submitted"): 6, ("normal", "examined"): 3,
                      ("fast", "examined"): 1}  # fmt: skip
    # each with the birth date the form asks for
    born = dict(picked.values_list("reference", "person__date_of_birth"))
    assert all(born[ref] == dob for ref, dob in rows)


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_the_status_floor_checks_the_applicant_and_logs_the_try_as_the_page_does(client):
    import datetime as dt

    from casework.models import StatusLookup
    from tests.factories import PersonFactory

    born = dt.date(1990, 3, 15)
    app = ApplicationFactory(person=PersonFactory(date_of_birth=born), state="submitted")
    form = {"reference": app.reference, "day": "15", "month": "3", "year": "1990"}
    assert client.post("/bench/floor/status/", form).text == "<p>submitted</p>\n"
    assert client.post("/bench/floor/status/", {**form, "day": "16"}).text == "<p>-</p>\n"
    assert client.post("/bench/floor/status/", {**form, "month": "13"}).status_code == 400
    assert list(StatusLookup.objects.order_by("id").values_list("outcome", flat=True)) == [
        "found",
        "not_found",
    ]


# --- CPU per request --------------------------------------------------------------------------


@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="CPU is read from /proc")
def test_cpu_seconds_read_from_proc_grow_with_work():
    before = common.cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.3
    while time.process_time() < deadline:
        pass
    after = common.cpu_seconds(os.getpid())
    assert 0.2 <= after - before <= 2.0
    assert common.cpu_seconds(2**22 + 12345) == 0.0  # no such process


def test_cpu_per_request_counts_each_worker_once():
    before = {11: 1.0, 12: 2.0, 13: 5.0}
    after = {11: 1.5, 12: 2.3, 14: 0.2}  # 13 is gone, 14 started during the run
    assert common.cpu_per_request_ms(before, after, 100) == pytest.approx(10.0)
    assert common.cpu_per_request_ms(before, after, 0) == 0.0


def test_a_cpu_ratio_is_the_bare_view_s_cpu_over_ours():
    row = common.Row(
        what="status",
        ours=common.Figure(name="ours", cpu_ms=4.0, throughput=100),
        baseline=common.Figure(name="bare", cpu_ms=1.6, throughput=300),
        target="",
        ratio_kind="cpu",
    )
    assert row.ratio == 0.4
    row.ratio_kind = "per_request"
    assert row.ratio == 3.0


# --- the report's verdicts --------------------------------------------------------------------


def _row(key: str, ratio: float | None, **ours) -> dict:
    return {"key": key, "what": key, "ratio": ratio, "ours": ours, "baseline": {}, "checks": {},
            "target": "", "met": None, "notes": []}  # fmt: skip


def test_the_status_target_needs_the_cpu_ratio_and_the_tail():
    met = report.judge(_row("status", 0.62, p99_ms=31.0))
    assert met["met"] is True and met["missed"] == []
    assert "0.6" in met["target"] and "50 ms" in met["target"]
    slow = report.judge(_row("status", 0.41, p99_ms=73.5))
    assert slow["met"] is False
    assert slow["missed"] == ["CPU ratio 0.41 < 0.6", "p99 73.5 ms ≥ 50 ms"]
    assert report.judge(_row("status", None, p99_ms=10))["met"] is False


def test_the_admin_target_reads_queries_counts_and_time():
    row = _row("admin", 1.8)
    row["checks"] = {"queries": 12, "full_counts": 0}
    assert report.judge(row)["met"] is True
    row["checks"] = {"queries": 13, "full_counts": 1}
    row["ratio"] = 4.2
    judged = report.judge(row)
    assert judged["met"] is False
    assert judged["missed"] == ["13 queries > 12", "1 full COUNT(*)", "time per request 4.2× > 2×"]
    row["checks"] = {"timed_out": 60, "full_counts": 1}
    assert report.judge(row)["missed"] == ["a statement ran past 60 s", "1 full COUNT(*)"]
    row["checks"] = {"queries": 9, "full_counts": 0, "floor_ratio": 2.7}
    assert report.judge(row)["missed"] == [
        "time per request 4.2× > 2×",
        "Django's own ModelAdmin over the same rows: 2.7× the bare view",
    ]


@pytest.mark.parametrize(
    ("row", "met"),
    [
        (_row("api", 0.71), True),
        (_row("api", 0.69), False),
        (_row("statistics", 2.0), True),
        (_row("statistics", 9.5), False),
        ({**_row("name_search", None), "checks": {"search_ms": 4.2}}, True),
        ({**_row("name_search", None), "checks": {"search_ms": 166.0}}, False),
        (_row("sweep_after_import", 11.8), False),
        ({**_row("", None, throughput=348.0), "module": "decisions"}, True),
        ({**_row("", None, throughput=192.0), "module": "decisions"}, False),
        ({**_row("", 1.16), "module": "delivery"}, False),
        (
            {**_row("", 1.7), "what": "reminder e-mails through an SMTP relay: 2 Celery workers"},
            True,
        ),
        (_row("status_all", 0.3), None),
        ({**_row("permit_renewal", 6.5), "checks": {"all_renewed": True}}, True),
        ({**_row("permit_renewal", 11.0), "checks": {"all_renewed": True}}, False),
        ({**_row("permit_renewal", 3.0), "checks": {"all_renewed": False}}, False),
    ],
)
def test_each_target_of_the_table(row, met):
    assert report.judge(row)["met"] is met


def test_a_row_no_target_judges_keeps_its_own_verdict():
    row = {**_row("", 170.0), "what": "intake of 33,000 arrivals", "met": False}
    assert report.judge(row) == row


def test_the_table_shows_why_a_target_is_missed(tmp_path):
    out = {
        "started": "s", "finished": "f",
        "machine": {"nproc": 2, "cpu": "x", "memory_gb": 1, "postgresql": "15", "python": "3"},
        "load_during_run": {"min": 0, "max": 1, "mean": 0.5},
        "dataset": {"scale": 1, "applications": 1, "people": 1, "open_deadlines": 1,
                    "audit_events": 1},
        "settings": {"wrk_seconds": 1, "wrk_connections": 1, "gunicorn_workers": 1},
        "rows": [{**_row("status", 0.41, p99_ms=12.0), "ratio_kind": "cpu", "extra": [],
                  "ours": {"name": "ours", "cpu_ms": 4.0, "throughput": 1.0},
                  "baseline": {"name": "bare", "cpu_ms": 1.6, "throughput": 2.0}}],
    }  # fmt: skip
    text = report.table(out, common.ROOT / "bench" / "results" / "x.json")
    line = text.splitlines()[-1]
    assert "0.41 (by CPU per request)" in line
    assert "**no**: CPU ratio 0.41 < 0.6" in line
    assert "CPU 4.0 ms/request" in line


# --- the staff baselines show the product's rows ----------------------------------------------


@pytest.mark.django_db
def test_the_bare_views_scope_is_the_product_s_for_a_caseworker(
    caseworker, outsider, unit, other_unit
):
    from bench.views import scoped

    mine = ApplicationFactory(unit=unit)
    theirs = ApplicationFactory(unit=other_unit)
    Person.objects.create(given_name="No", family_name="Case", date_of_birth="1990-01-01",
                          registration_number="290190000001")  # fmt: skip
    for app in (mine, theirs):
        ReminderFactory(deadline=DeadlineFactory(application=app, person=app.person))
        AuditEventFactory(application=app, person=app.person)
    for model in (Application, Person, Deadline, Reminder, AuditEvent):
        product = set(visible_to(caseworker, model.objects.all()).values_list("pk", flat=True))
        assert set(scoped(model, caseworker).values_list("pk", flat=True)) == product, model
        assert product  # the caseworker sees something of each
    assert not scoped(Application, outsider).filter(pk=mine.pk).exists()


def test_the_bare_staff_views_exist_only_in_the_bench_urls():
    from django.urls import Resolver404

    for path in ("/bench/bare/admin/casework/deadline/", "/bench/bare/admin/casework/person/1/",
                 "/bench/bare/statistics/", "/bench/floor/admin/casework/person/"):  # fmt: skip
        assert resolve(path, urlconf="bench.urls")
        with pytest.raises(Resolver404):
            resolve(path, urlconf="config.urls")


@pytest.mark.django_db
@pytest.mark.urls("bench.urls")
def test_the_admin_floor_is_django_s_model_admin_over_the_caseworker_s_rows(
    client, caseworker, unit, other_unit
):
    mine = ApplicationFactory(unit=unit)
    theirs = ApplicationFactory(unit=other_unit)
    client.force_login(caseworker)
    listed = client.get("/bench/floor/admin/casework/application/")
    assert listed.status_code == 200
    assert f"/{mine.pk}/change/" in listed.text
    assert f"/{theirs.pk}/change/" not in listed.text
    page = client.get(f"/bench/floor/admin/casework/application/{mine.pk}/change/")
    assert page.status_code == 200
    assert str(mine) in page.text
    for label in ("person", "deadline", "reminder", "auditevent"):
        assert client.get(f"/bench/floor/admin/casework/{label}/").status_code == 200, label
    # another unit's case is not found there, as in the product's admin
    other = client.get(f"/bench/floor/admin/casework/application/{theirs.pk}/change/")
    assert other.status_code == 302


# --- full counts ------------------------------------------------------------------------------


@pytest.mark.services("postgres")
@pytest.mark.django_db
def test_a_full_count_is_one_that_reads_a_growing_number_of_rows():
    from bench.rows.admin import is_full_count

    assert is_full_count("SELECT COUNT(*) FROM generate_series(1, 50000)")
    # the admin's capped count
    assert not is_full_count(
        "SELECT COUNT(*) FROM (SELECT 1 FROM generate_series(1, 50000) LIMIT 10001) subquery"
    )
    # one row's few by an indexed key
    assert not is_full_count(
        'SELECT COUNT(*) AS "__count" FROM "casework_application" WHERE "id" = 1'
    )
    assert not is_full_count("SELECT id FROM casework_application")
