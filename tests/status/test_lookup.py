"""The status lookup: the right case for the right person, the same answer for every wrong try."""

from __future__ import annotations

import datetime as dt
import re
import statistics
import time
from pathlib import Path

import pytest
from django.test import Client
from django.utils import timezone

from casework.people.identity import format_reference
from casework.status import hooks as status_hooks
from casework.status.services import waiting_figures_refresh
from tests.factories import ApplicationFactory, DecisionFactory, InterviewFactory, staff_user
from tests.status.conftest import BIRTH_DATE, lookup, text_of

pytestmark = pytest.mark.django_db

CSS = Path(__file__).resolve().parents[2] / "casework/static/casework/status.css"


def _normalised(response, typed_reference: str) -> bytes:
    """The page without what differs by construction: the CSRF token and the echoed input."""
    page = response.content.decode()
    page = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "TOKEN", page)
    return page.replace(typed_reference, "TYPED").encode()


def test_right_reference_and_birth_date_show_the_case(client, application):
    response = lookup(client, reference=application.reference)
    assert response.status_code == 200
    page = text_of(response)
    assert format_reference(application.reference) in page
    assert "We have received your application for protection (asylum)." in page
    assert "You will be called to an asylum interview." in page


def test_reference_typed_loosely_still_finds_the_case(client, application):
    typed = format_reference(application.reference).lower().replace("-", " ")
    assert "Where your case is" in text_of(lookup(client, reference=typed))


def test_wrong_reference_and_wrong_birth_date_give_the_same_page(client, application):
    wrong_ref = "7K3M9QXD2F" if application.reference != "7K3M9QXD2F" else "7K3M9QXD2G"
    by_reference = lookup(client, reference=wrong_ref)
    by_birth_date = lookup(
        client, reference=application.reference, born=BIRTH_DATE + dt.timedelta(days=1)
    )
    assert by_reference.status_code == by_birth_date.status_code == 200
    assert "We could not find a case" in text_of(by_reference)
    assert _normalised(by_reference, wrong_ref) == _normalised(by_birth_date, application.reference)
    assert dict(by_reference.headers).keys() == dict(by_birth_date.headers).keys()


def _paired_median_difference(client, application, *, pairs: int) -> float:
    """Median of (wrong-reference time - wrong-birth-date time) over interleaved pairs."""
    wrong_ref = "7K3M9QXD2F" if application.reference != "7K3M9QXD2F" else "7K3M9QXD2G"
    wrong_born = BIRTH_DATE + dt.timedelta(days=1)

    def by_reference() -> float:
        start = time.perf_counter()
        lookup(client, reference=wrong_ref)
        return time.perf_counter() - start

    def by_birth_date() -> float:
        start = time.perf_counter()
        lookup(client, reference=application.reference, born=wrong_born)
        return time.perf_counter() - start

    differences = []
    for i in range(pairs):
        if i % 2:
            a = by_reference()
            b = by_birth_date()
        else:
            b = by_birth_date()
            a = by_reference()
        differences.append(a - b)
    return statistics.median(differences)


def test_wrong_reference_and_wrong_birth_date_take_the_same_time(client, application):
    """Timing, measured: interleaved pairs of tries, compared by the median paired difference,
    which shrugs off the noise of a busy machine. Both paths run the same query and the same
    constant-time comparison, so the true difference is microseconds; the bound (1.5 ms) is
    generous. A real leak would exceed it in every round; noise may in one, so up to three.
    """
    _paired_median_difference(client, application, pairs=10)  # warm-up
    rounds = []
    for _ in range(3):
        rounds.append(abs(_paired_median_difference(client, application, pairs=100)))
        if rounds[-1] < 0.0015:
            break
    print(f"median paired differences (ms): {[round(r * 1000, 3) for r in rounds]}")
    assert min(rounds) < 0.0015


def test_malformed_input_gets_clear_errors_never_a_500(client, application):
    response = client.post("/status/", {"reference": "", "day": "31", "month": "2", "year": "1990"})
    assert response.status_code == 200
    page = text_of(response)
    assert "Enter the case reference." in page
    assert "This date does not exist." in page
    response = client.post(
        "/status/", {"reference": "x" * 500, "day": "a", "month": "", "year": ""}
    )
    assert response.status_code == 200
    assert "Enter your date of birth." in text_of(response)
    # A reference that cannot exist is simply not found, like any wrong one.
    assert "We could not find a case" in text_of(lookup(client, reference="not-a-ref"))


def test_no_case_data_in_urls(client, application):
    form_page = client.get("/status/")
    assert re.search(r'<form method="post" action="/status/"', form_page.content.decode())
    response = lookup(client, reference=application.reference)
    assert response.status_code == 200  # rendered in the POST response: no redirect, no URL
    assert "Location" not in response.headers
    assert "?" not in "".join(re.findall(r'(?:href|action)="([^"]*)"', response.content.decode()))
    # The case cannot be reached with a query string either.
    query = client.get(f"/status/?reference={application.reference}&day=15&month=3&year=1990")
    assert "Where your case is" not in text_of(query)
    assert "no-store" in response["Cache-Control"]


def test_the_form_is_csrf_protected(application):
    strict = Client(enforce_csrf_checks=True)
    assert lookup(strict, reference=application.reference).status_code == 403
    page = strict.get("/status/").content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    response = strict.post(
        "/status/",
        {
            "reference": application.reference,
            "day": "15",
            "month": "3",
            "year": "1990",
            "csrfmiddlewaretoken": token,
        },
    )
    assert "Where your case is" in text_of(response)


def test_pages_need_no_javascript_are_small_and_have_a_strict_csp(client, application):
    for response in (client.get("/status/"), lookup(client, reference=application.reference)):
        html = response.content
        assert b"<script" not in html
        assert b" style=" not in html
        assert len(html) + CSS.stat().st_size < 50 * 1024
        policy = response["Content-Security-Policy"]
        assert "script-src 'none'" in policy
        assert "style-src 'self'" in policy and "unsafe-inline" not in policy
        assert "http" not in policy  # nothing from another origin: no fonts, no CDN


def test_result_shows_nothing_but_what_the_applicant_needs(client, caseworker):
    app = ApplicationFactory(
        person__date_of_birth=BIRTH_DATE,
        person__given_name="Zahra",
        person__health_needs="insulin",
        state="accepted",
        assigned_to=caseworker,
    )
    DecisionFactory(application=app, grounds="SECRET GROUNDS of the decision")
    staff_user(username="decider-named-olsen", role="Decision-maker", unit=None)
    page = text_of(lookup(client, reference=app.reference))
    assert "You have been granted a residence permit in Norway." in page
    for secret in ("SECRET GROUNDS", "insulin", caseworker.username, "Zahra", "olsen"):
        assert secret not in page


def test_interview_appointment_with_place_and_interpreter(client, application):
    when = timezone.make_aware(dt.datetime(2031, 5, 7, 9, 30))
    InterviewFactory(application=application, scheduled_at=when, location="UDI, Oslo")
    page = text_of(lookup(client, reference=application.reference))
    assert "Your asylum interview is on 7 May 2031 at 09:30." in page
    assert "Place: UDI, Oslo" in page
    assert "An interpreter will be there." in page


def test_appeal_deadline_is_shown_after_a_rejection(client, applicant):
    deadline = timezone.make_aware(dt.datetime(2031, 3, 14, 23, 59, 59))
    app = ApplicationFactory(person=applicant, state="rejected")
    type(app).objects.filter(pk=app.pk).update(appeal_deadline=deadline)
    page = text_of(lookup(client, reference=app.reference))
    assert "Your application for protection has been rejected." in page
    assert "You can appeal until 14 March 2031." in page


def test_dublin_case_shows_the_request_to_stay_deadline(client, applicant):
    deadline = timezone.make_aware(dt.datetime(2031, 3, 14, 10, 0))
    app = ApplicationFactory(person=applicant, state="rejected", track="dublin")
    type(app).objects.filter(pk=app.pk).update(appeal_deadline=deadline)
    page = text_of(lookup(client, reference=app.reference))
    assert "ask to stay in Norway during the appeal by 14 March 2031." in page


def test_a_final_rejection_says_so_and_offers_no_appeal(client, applicant):
    app = ApplicationFactory(person=applicant, state="rejected")
    type(app).objects.filter(pk=app.pk).update(
        is_final=True, appeal_deadline=timezone.now() + dt.timedelta(days=3)
    )
    page = text_of(lookup(client, reference=app.reference))
    assert "This decision is final." in page
    assert "You can appeal until" not in page


def test_where_you_live_comes_from_registered_providers(client, application):
    def residence(*, application):
        return [f"You live at Test reception centre ({application.kind})."]

    def broken(*, application):
        raise RuntimeError("reception app bug")

    status_hooks.register_residence_provider("test.residence", residence)
    status_hooks.register_residence_provider("test.broken", broken)
    try:
        page = text_of(lookup(client, reference=application.reference))
    finally:
        status_hooks.unregister_residence_provider("test.residence")
        status_hooks.unregister_residence_provider("test.broken")
    assert "Where you live" in page
    assert "You live at Test reception centre (protection)." in page


def test_expected_waiting_time_and_cases_ahead(client, applicant):
    today = timezone.localdate()
    for days in (100, 110, 120, 130, 140):  # p80 of these: 132 days
        done = ApplicationFactory(state="accepted", lodged_on=today - dt.timedelta(days=days + 5))
        DecisionFactory(application=done, decided_at=timezone.now() - dt.timedelta(days=5))
    ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=90))
    ApplicationFactory(state="examined", lodged_on=today - dt.timedelta(days=80))
    mine = ApplicationFactory(
        person=applicant, state="submitted", lodged_on=today - dt.timedelta(days=30)
    )
    waiting_figures_refresh()
    page = text_of(lookup(client, reference=mine.reference))
    expected = mine.lodged_on + dt.timedelta(days=132)
    assert f"you will get a decision by {expected.day} {expected:%B %Y}." in page
    assert "8 out of 10" in page
    assert "2 older cases are still waiting before yours." in page


def test_no_estimate_without_enough_similar_cases(client, application):
    page = text_of(lookup(client, reference=application.reference))
    assert "We do not have enough similar cases yet" in page
    assert "0 older cases are still waiting before yours." in page


def test_an_appealed_case_shows_the_appeals_boards_published_time(client, applicant, settings):
    settings.APPEALS_BOARD_WAITING_DAYS = 120
    settings.APPEALS_BOARD_WAITING_SOURCE = "une.no"
    appealed_at = timezone.now() - dt.timedelta(days=20)
    mine = ApplicationFactory(person=applicant, state="appealed", appealed_at=appealed_at)
    page = text_of(lookup(client, reference=mine.reference))
    expected = timezone.localtime(appealed_at).date() + dt.timedelta(days=120)
    assert "Expected waiting time" in page
    assert (
        "The Immigration Appeals Board expects to decide appeals like yours within 120 days: "
        f"by {expected.day} {expected:%B %Y}." in page
    )
    assert "(une.no)" in page
    assert "older cases are still waiting" not in page


def test_no_appeals_board_time_when_none_is_published(client, applicant, settings):
    settings.APPEALS_BOARD_WAITING_DAYS = None
    mine = ApplicationFactory(person=applicant, state="appealed")
    page = text_of(lookup(client, reference=mine.reference))
    assert "Expected waiting time" not in page
