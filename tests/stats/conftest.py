"""A small, hand-counted set of cases whose statistics are known in advance."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory

UTC = dt.UTC


def at(day: str) -> dt.datetime:
    return dt.datetime.combine(dt.date.fromisoformat(day), dt.time(12), tzinfo=UTC)


def _case(
    nat: str,
    sex: str,
    born: str,
    lodged: str,
    *,
    kind: str = "protection",
    track: str = "normal",
    state: str = "submitted",
    decisions: tuple = (),
    is_final: bool = False,
    appeal_deadline: str | None = None,
):
    person = PersonFactory(nationality=nat, sex=sex, date_of_birth=dt.date.fromisoformat(born))
    app = ApplicationFactory(
        person=person,
        kind=kind,
        track=track,
        lodged_on=dt.date.fromisoformat(lodged),
        state=state,
        decided_at=at(decisions[-1][2]) if decisions else None,
        is_final=is_final,
        appeal_deadline=at(appeal_deadline) if appeal_deadline else None,
    )
    for instance, outcome, day in decisions:
        DecisionFactory(application=app, instance=instance, outcome=outcome, decided_at=at(day))
    return app


@pytest.fixture
def known_cases(db):
    """Nine cases; the expected figures are worked out by hand in the tests' docstrings."""
    return [
        _case(
            "SY",
            "male",
            "1990-05-01",
            "2022-01-10",
            state="accepted",
            decisions=[("first", "refugee_convention", "2022-01-20")],
        ),
        # born 1 March 2016, lodged the day before turning six: age band 0-5
        _case(
            "SY",
            "female",
            "2016-03-01",
            "2022-02-28",
            state="accepted",
            decisions=[("first", "humanitarian", "2022-03-30")],
        ),
        # turns 17 on the day of lodging: 11-17
        _case(
            "AF",
            "male",
            "2005-06-15",
            "2022-06-15",
            state="rejected",
            appeal_deadline="2022-07-26",
            decisions=[("first", "minor_limited", "2022-07-05")],
        ),
        _case(
            "AF",
            "male",
            "1980-01-01",
            "2022-03-01",
            state="rejected",
            is_final=True,
            decisions=[("first", "rejected", "2022-04-10"), ("appeal", "rejected", "2022-06-09")],
        ),
        _case(
            "RU",
            "female",
            "1985-01-01",
            "2022-03-05",
            track="dublin",
            state="rejected",
            appeal_deadline="2022-03-27",
            decisions=[("first", "dublin", "2022-03-25")],
        ),
        _case(
            "UA",
            "female",
            "1975-01-01",
            "2022-04-01",
            kind="collective",
            state="accepted",
            decisions=[("first", "collective", "2022-04-03")],
        ),
        _case("SY", "male", "1999-01-01", "2022-12-01"),
        _case(
            "SY",
            "female",
            "1970-01-01",
            "2022-04-01",
            state="withdrawn",
            decisions=[("first", "withdrawn", "2022-05-01")],
        ),
        _case(
            "SY",
            "male",
            "1988-01-01",
            "2021-03-01",
            state="accepted",
            decisions=[("first", "refugee_other", "2021-06-01")],
        ),
    ]
