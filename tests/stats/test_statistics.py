"""The published statistics on a hand-counted set of cases (``known_cases``)."""

from __future__ import annotations

import csv
import io

import pytest

from casework.statistics import tables as statistics

pytestmark = pytest.mark.django_db


def rows_by(table, key):
    return {r[key]: r for r in table.rows}


def test_applications_by_month_count_each_lodging_month(known_cases):
    t = statistics.applications_by_month(year=2022)
    assert [(r["month"], r["applications"]) for r in t.rows] == [
        (1, 1), (2, 1), (3, 2), (4, 2), (6, 1), (12, 1)
    ]  # fmt: skip
    assert t.total("applications") == 8


def test_asylum_applications_by_nationality_leave_out_collective_protection(known_cases):
    everyone = statistics.applications_by_nationality(year=2022)
    assert {r["code"]: r["applications"] for r in everyone.rows} == {
        "SY": 4, "AF": 2, "RU": 1, "UA": 1
    }  # fmt: skip
    asylum = statistics.applications_by_nationality(year=2022, kind="protection")
    assert asylum.total("applications") == 7
    assert "UA" not in {r["code"] for r in asylum.rows}
    assert asylum.rows[0]["nationality"] == "Syria"


def test_applications_by_kind_and_track(known_cases):
    kinds = statistics.applications_by_kind(year=2022)
    assert {r["code"]: r["applications"] for r in kinds.rows} == {"protection": 7, "collective": 1}
    tracks = statistics.applications_by_track(year=2022)
    assert {r["code"]: r["applications"] for r in tracks.rows} == {"normal": 7, "dublin": 1}


def test_age_bands_use_the_age_on_the_day_of_lodging(known_cases):
    """A girl lodging the day before her 6th birthday is 0-5; a boy on his 17th birthday 11-17."""
    t = rows_by(statistics.applications_by_sex_and_age(year=2022), "age_band")
    assert set(t) == {"0-5", "11-17", "18+"}
    assert (t["0-5"]["female"], t["0-5"]["total"]) == (1, 1)
    assert (t["11-17"]["male"], t["11-17"]["total"]) == (1, 1)
    assert (t["18+"]["male"], t["18+"]["female"], t["18+"]["total"]) == (3, 3, 6)


def test_first_instance_decisions_and_the_two_grant_rates(known_cases):
    """2022, first instance: 2 positive on the merits, 1 rejected, 1 limited minor permit,
    1 Dublin, 1 withdrawn, 1 collective. On the merits 2 / (2+1+1) = 50 %;
    overall (2 + collective) / 7 = 42.9 %."""
    t = statistics.decisions_first(year=2022)
    total = t.rows[-1]
    assert total["nationality"] == "total"
    assert total["total"] == 7
    assert total["merits_decisions"] == 4
    assert total["grant_rate_merits"] == 50.0
    assert total["grant_rate_all"] == 42.9
    by_nat = rows_by(t, "code")
    assert by_nat["SY"]["grant_rate_merits"] == 100.0
    assert by_nat["SY"]["grant_rate_all"] == pytest.approx(66.7)
    assert by_nat["AF"]["grant_rate_merits"] == 0.0  # a limited minor permit counts as a refusal
    assert by_nat["RU"]["grant_rate_merits"] is None  # Dublin only: no decision on the merits
    assert by_nat["RU"]["grant_rate_all"] == 0.0


def test_asylum_decisions_without_collective_protection(known_cases):
    total = statistics.decisions_first(year=2022, kind="protection").rows[-1]
    assert (total["total"], total["grant_rate_merits"], total["grant_rate_all"]) == (6, 50.0, 33.3)


def test_appeal_decisions_are_counted_apart(known_cases):
    t = statistics.decisions_appeal(year=2022)
    assert t.rows[-1]["total"] == 1
    assert t.rows[-1]["rejected"] == 1
    assert t.rows[-1]["grant_rate_merits"] == 0.0


def test_processing_time_median_and_80th_percentile(known_cases):
    """Protection, normal track, first decisions in 2022 after 10, 20, 30, 30, 40 days:
    median 30, 80th percentile 30 + 0.2 x 10 = 32. Final decisions after 10, 20, 30, 30 and
    100 days (the appeal): median 30, 80th percentile 30 + 0.2 x 70 = 44."""
    t = statistics.processing_time(year=2022)
    rows = {(r["kind"], r["track"]): r for r in t.rows}
    normal = rows[("protection (asylum)", "normal procedure")]
    assert (normal["first_n"], normal["first_median"], normal["first_p80"]) == (5, 30.0, 32.0)
    assert (normal["final_n"], normal["final_median"], normal["final_p80"]) == (5, 30.0, 44.0)
    dublin = rows[("protection (asylum)", "Dublin procedure")]
    assert (dublin["first_median"], dublin["final_median"]) == (20.0, 20.0)
    collective = rows[("collective temporary protection", "normal procedure")]
    assert collective["first_median"] == 2.0


def test_processing_time_leaves_out_open_cases_and_other_years(known_cases):
    everything = statistics.processing_time()
    normal = next(r for r in everything.rows if r["kind"] == "protection (asylum)"
                  and r["track"] == "normal procedure")  # fmt: skip
    assert normal["first_n"] == 6  # the 2021 case joins; the open case never counts


def test_every_table_downloads_as_csv_with_its_header(known_cases):
    statistics.discover()  # every app's tables, as the pages load them (run alone, none are yet)
    assert {"reception-residents-by-centre", "work-permits-granted"} <= set(statistics.TABLES)
    for slug in statistics.TABLES:
        t = statistics.table(slug, year=2022)
        parsed = list(csv.reader(io.StringIO(t.as_csv())))
        assert parsed[0] == [str(c.label) for c in t.columns]
        assert len(parsed) == len(t.rows) + 1


def test_csv_cells_never_start_a_formula():
    t = statistics.Table("x", "x", [statistics.Column("a", "a")], [{"a": "=HYPERLINK()"}])
    assert t.as_csv().splitlines()[1] == "'=HYPERLINK()"


@pytest.mark.parametrize("n,fraction,expected", [(1, 0.5, 7), (4, 0.5, 2.5), (5, 0.8, 4.2)])
def test_percentile_of_counts_interpolates_like_percentile_cont(n, fraction, expected):
    values = [7] if n == 1 else list(range(1, n + 1))
    counts = [(v, 1) for v in values]
    assert statistics.percentile_of_counts(counts, fraction) == pytest.approx(expected)
    # the same values counted twice each: the same median
    if fraction == 0.5:
        assert statistics.percentile_of_counts([(v, 2) for v in values], 0.5) == pytest.approx(
            expected
        )


def test_reversals_are_counted_apart_by_nationality_and_outcome(db):
    """Two reversals in 2023 (the Directorate's after reviewing an appeal, and one on
    request) are in the reversal table, not in the first-instance or appeal tables."""
    import datetime as dt

    from django.utils import timezone

    from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory

    when = timezone.make_aware(dt.datetime(2023, 5, 2, 10, 0))
    for nationality, outcome in (("SY", "refugee_convention"), ("AF", "humanitarian")):
        app = ApplicationFactory(
            person=PersonFactory(nationality=nationality), state="accepted", kind="protection"
        )
        DecisionFactory(application=app, instance="first", outcome="rejected", decided_at=when)
        DecisionFactory(application=app, instance="reversal", outcome=outcome, decided_at=when)
    t = statistics.decisions_reversal(year=2023)
    assert t.slug == "decisions-reversal" and "reversal" in str(t.title)
    by_nat = rows_by(t, "code")
    assert (by_nat["SY"]["refugee_convention"], by_nat["AF"]["humanitarian"]) == (1, 1)
    assert (t.rows[-1]["total"], t.rows[-1]["grant_rate_all"]) == (2, 100.0)
    assert statistics.decisions_first(year=2023).rows[-1]["total"] == 2  # the rejections
    assert statistics.decisions_appeal(year=2023).rows[-1]["total"] == 0
    assert "decisions-reversal" in statistics.TABLES
