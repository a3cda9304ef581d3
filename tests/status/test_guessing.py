"""A status page no one can use against the applicant.

Someone holding a case reference (a lost receipt, a photographed letter) and any number of
addresses tries birth dates. Three promises, one test each:

1. they need years, not days: from new devices a reference gets ``STATUS_REFERENCE_RATE_LIMIT``
   (10 a year) tries; a whole year of guessing, timed to straddle two windows, gets 20 dates
   evaluated, and a birth date known to the year (day 74 of 365 here) is not found;
2. the applicant is not locked out by them: the applicant's own phone, which has opened the
   case before, still gets the page while the guesser is refused, even with the right date;
   and a new device is told the lookups are paused, never that it is the applicant's fault;
3. the caseworker sees it: the case page counts the unsuccessful lookups and says lookups
   from new devices are paused, and the pause is an audit event on the case, once.
"""

from __future__ import annotations

import datetime as dt
import itertools

import pytest
import time_machine
from django.test import Client

from casework.audit.models import AuditEvent
from casework.status.views import parse_rate
from tests.status.conftest import BIRTH_DATE, lookup, text_of

pytestmark = pytest.mark.django_db

_addresses = (f"10.{n // 250 % 250}.{n % 250}.7" for n in itertools.count(1))


def guess(reference: str, born: dt.date, **extra: str):
    """One try from a device never seen before, from an address never seen before."""
    return lookup(Client(), reference=reference, born=born, REMOTE_ADDR=next(_addresses), **extra)


def _dates_of_the_year(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


@pytest.fixture
def real_limits(settings):
    """The limits as configured (``config/settings.py``), not the suite's generous ones."""
    from config import settings as configured

    settings.STATUS_RATE_LIMIT = configured.STATUS_RATE_LIMIT
    settings.STATUS_REFERENCE_RATE_LIMIT = configured.STATUS_REFERENCE_RATE_LIMIT


def test_a_year_of_guessing_from_any_number_of_addresses_does_not_find_a_known_birth_year(
    real_limits, settings, application
):
    assert dt.date(1990, 3, 15) == BIRTH_DATE  # day 74 of its year
    limit, period = parse_rate(settings.STATUS_REFERENCE_RATE_LIMIT)
    # Start a day before a window ends: the worst case, two windows' budgets in one year.
    start = (dt.datetime.now(dt.UTC).timestamp() // period + 1) * period - 86400
    dates = _dates_of_the_year(1990)
    evaluated = refused = 0
    with time_machine.travel(start, tick=False) as clock:
        for day in range(366):
            for _ in range(40 if day in (0, 1) else 1):  # bursts, then one a day
                response = guess(application.reference, next(dates, BIRTH_DATE))
                assert "Where your case is" not in text_of(response)
                if response.status_code == 429:
                    refused += 1
                else:
                    assert "We could not find a case" in text_of(response)
                    evaluated += 1
            clock.shift(dt.timedelta(days=1))
    assert evaluated == 2 * limit == 20
    assert refused == 424
    assert (limit, period) == (10, 365 * 86400)  # the figures in docs/reliability.md


def test_the_applicants_own_phone_still_works_while_the_guesser_is_refused(
    real_limits, application
):
    phone = Client()
    first = lookup(phone, reference=application.reference, REMOTE_ADDR="192.0.2.10")
    assert "Where your case is" in text_of(first)

    for n in range(15):  # someone else tries the reference from many places
        guess(application.reference, BIRTH_DATE + dt.timedelta(days=n + 1))

    # The guesser, even with the right date, is refused: no answer is evaluated.
    refused = guess(application.reference, BIRTH_DATE, language="nb")
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) > 0
    page = text_of(refused)
    assert "Oppslag i denne saken er satt på pause" in page
    assert "Dette skyldes ikke noe du har gjort" in page  # "not because of anything you did"
    assert "Du har prøvd for mange ganger" not in page  # not "you have tried too many times"

    # The applicant's phone is not: again and again, from another address too.
    for address in ("192.0.2.10", "198.51.100.20", "192.0.2.10"):
        again = lookup(phone, reference=application.reference, REMOTE_ADDR=address)
        assert again.status_code == 200
        assert "Where your case is" in text_of(again)
    # A wrong date on the phone is an ordinary "not found", not a pause.
    wrong = lookup(phone, reference=application.reference, born=dt.date(1990, 3, 16))
    assert wrong.status_code == 200
    assert "We could not find a case" in text_of(wrong)


def test_a_right_answer_from_a_new_device_gives_its_try_back(real_limits, application):
    """The applicant's own right answers do not spend the reference's budget: ten lookups
    from ten new devices, then ten wrong tries, and the guesser is only then refused."""
    for _ in range(10):
        assert "Where your case is" in text_of(guess(application.reference, BIRTH_DATE))
    for n in range(10):
        assert guess(application.reference, dt.date(1991, 1, n + 1)).status_code == 200
    assert guess(application.reference, dt.date(1991, 2, 1)).status_code == 429


def test_the_caseworker_sees_the_attack_on_the_case_page(real_limits, admin_client, application):
    case_page = f"/admin/casework/application/{application.pk}/change/"
    assert "unsuccessful lookup" not in text_of(admin_client.get(case_page))

    for n in range(14):
        guess(application.reference, BIRTH_DATE + dt.timedelta(days=n + 1))

    page = text_of(admin_client.get(case_page))
    assert (
        "Status page: 10 unsuccessful lookups of this case's reference in the last 90 days" in page
    )
    assert "Lookups from devices that have not opened the case before are paused" in page
    events = AuditEvent.objects.filter(application=application, action="status_lookups_paused")
    assert events.count() == 1  # the first refusal of the window, not every one
    assert events.get().actor is None
    assert "Status-page lookups from new devices paused after failed tries" in page  # timeline
