"""The permit rules (``casework.permits.terms``): type and length within the legal options."""

from __future__ import annotations

import datetime as dt

import pytest

from casework.core.exceptions import TransitionInvalid
from casework.permits.terms import eighteenth_birthday, permit_terms, until_after

DAY = dt.date(2026, 3, 1)


def refused(**kwargs) -> dict[str, str]:
    with pytest.raises(TransitionInvalid) as err:
        permit_terms(valid_from=DAY, **kwargs)
    return {k: v[0] for k, v in err.value.message_dict.items()}


@pytest.mark.parametrize(
    ("outcome", "permit_type", "months", "until", "permanent"),
    [
        ("refugee_convention", "refugee", 36, dt.date(2029, 2, 28), dt.date(2029, 3, 1)),
        ("refugee_other", "refugee", 36, dt.date(2029, 2, 28), dt.date(2029, 3, 1)),
        ("humanitarian", "humanitarian", 36, dt.date(2029, 2, 28), dt.date(2029, 3, 1)),
        ("collective", "collective", 12, dt.date(2027, 2, 28), None),
        ("family", "family", 12, dt.date(2027, 2, 28), dt.date(2029, 3, 1)),
    ],
)
def test_the_defaults_follow_the_outcome(outcome, permit_type, months, until, permanent):
    terms = permit_terms(outcome=outcome, valid_from=DAY)
    assert terms is not None
    assert (terms.permit_type, terms.months, terms.valid_until) == (permit_type, months, until)
    assert terms.permanent_residence_from == permanent


@pytest.mark.parametrize("outcome", ["rejected", "dublin", "safe_third_country", "withdrawn"])
def test_an_outcome_without_a_permit_gives_none_and_refuses_a_chosen_one(outcome):
    assert permit_terms(outcome=outcome, valid_from=DAY) is None
    errors = refused(outcome=outcome, months=12)
    assert errors == {"permit_type": "This decision gives no residence permit: leave it empty."}


def test_identity_to_check_gives_one_year_by_default_and_at_most():
    terms = permit_terms(outcome="refugee_convention", valid_from=DAY, identity_unverified=True)
    assert (terms.months, terms.valid_until) == (12, dt.date(2027, 2, 28))
    shorter = permit_terms(
        outcome="humanitarian", valid_from=DAY, identity_unverified=True, months=6
    )
    assert shorter.valid_until == dt.date(2026, 8, 31)
    errors = refused(outcome="refugee_convention", identity_unverified=True, months=13)
    assert errors == {
        "permit_months": "While the identity needs further checks, a permit runs 1 to 12 "
        "months (Immigration Regulations § 10-13)."
    }


def test_a_length_out_of_range_is_refused_with_the_rule():
    assert refused(outcome="refugee_convention", months=37) == {
        "permit_months": "A first permit runs 1 to 36 months; 3 years is the normal length "
        "(Immigration Regulations § 10-13)."
    }
    assert refused(outcome="collective", months=24) == {
        "permit_months": "A collective-protection permit is given for 1 to 12 months at a time "
        "(Immigration Act § 34)."
    }
    assert permit_terms(outcome="refugee_convention", valid_from=DAY, months=24).valid_until == (
        dt.date(2028, 2, 29)
    )


def test_a_type_the_outcome_does_not_give_is_refused_naming_the_one_it_gives():
    errors = refused(outcome="collective", permit_type="refugee")
    assert errors == {
        "permit_type": "This outcome gives a permit of this type only: collective protection "
        "(Immigration Act § 34)."
    }


@pytest.mark.parametrize(
    ("born", "until"),
    [
        # 18 tomorrow: the permit runs today only.
        (dt.date(2008, 3, 2), dt.date(2026, 3, 1)),
        # 18 in a year and a day.
        (dt.date(2009, 3, 2), dt.date(2027, 3, 1)),
        # 15: three years, whatever the normal length is.
        (dt.date(2011, 6, 30), dt.date(2029, 6, 29)),
    ],
)
def test_a_minors_limited_permit_runs_to_the_day_before_the_18th_birthday(born, until):
    terms = permit_terms(outcome="minor_limited", valid_from=DAY, date_of_birth=born)
    assert (terms.permit_type, terms.valid_until, terms.months) == ("minor_limited", until, None)
    assert terms.permanent_residence_from is None


def test_no_limited_permit_until_18_for_someone_18_on_the_first_day():
    errors = refused(outcome="minor_limited", date_of_birth=dt.date(2008, 3, 1))
    assert errors == {
        "permit_type": "The applicant is 18 or older (since 2026-03-01): a limited permit "
        "until 18 cannot be given."
    }


def test_a_minors_permit_takes_no_length_and_identity_doubt_caps_it_at_a_year():
    errors = refused(outcome="minor_limited", date_of_birth=dt.date(2011, 6, 30), months=12)
    assert errors["permit_months"].startswith("A minor's limited permit runs until the day")
    terms = permit_terms(
        outcome="minor_limited",
        valid_from=DAY,
        date_of_birth=dt.date(2011, 6, 30),
        identity_unverified=True,
    )
    assert terms.valid_until == dt.date(2027, 2, 28)


def test_months_end_on_the_day_before_and_leap_days_fall_back():
    assert until_after(dt.date(2026, 1, 31), 1) == dt.date(2026, 2, 28)
    assert until_after(dt.date(2026, 1, 15), 1) == dt.date(2026, 2, 14)
    assert until_after(dt.date(2024, 2, 29), 12) == dt.date(2025, 2, 28)
    assert eighteenth_birthday(dt.date(2008, 2, 29)) == dt.date(2026, 2, 28)
