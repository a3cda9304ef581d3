"""ETag / If-Match (412 when stale) and Idempotency-Key (a retry acts once)."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from django.utils import timezone

from casework.applications.choices import State
from casework.models import Application, AuditEvent, IdempotencyKey, Person
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

from .conftest import client_for

PERSON = {
    "given_name": "Olena",
    "family_name": "Kovalenko",
    "date_of_birth": "1979-06-05",
    "nationality": "UA",
    "sex": "female",
}


@pytest.mark.django_db
def test_every_object_has_an_etag_that_changes_with_it(api, unit, caseworker):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    # booked for an hour ago: it may be recorded as held now (never before its day)
    interview = InterviewFactory(
        application=app, scheduled_at=timezone.now() - dt.timedelta(hours=1)
    )
    client = api(caseworker)
    urls = [
        f"/api/v1/applications/{app.pk}/",
        f"/api/v1/people/{app.person_id}/",
        f"/api/v1/applications/{app.pk}/interviews/{interview.pk}/",
    ]
    etags = {url: client.get(url)["ETag"] for url in urls}
    assert all(tag.startswith('"') for tag in etags.values())
    assert client.get(urls[0], HTTP_IF_NONE_MATCH=etags[urls[0]]).status_code == 304

    client.patch(urls[1], {"phone": "+4799999999"}, format="json")
    client.post(f"/api/v1/applications/{app.pk}/transitions/start_examination/")
    client.patch(urls[2], {}, format="json")
    for url in urls:
        assert client.get(url)["ETag"] != etags[url], url


@pytest.mark.django_db
def test_a_stale_if_match_is_412_and_changes_nothing(api, unit, caseworker, other_caseworker):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    client = api(caseworker)
    seen = client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    # A colleague reassigns the case meanwhile.
    api(other_caseworker).patch(
        f"/api/v1/applications/{app.pk}/", {"assigned_to": other_caseworker.pk}, format="json"
    )
    before = AuditEvent.objects.count()
    stale = client.post(
        f"/api/v1/applications/{app.pk}/transitions/withdraw/",
        {"reason": "Left."},
        format="json",
        HTTP_IF_MATCH=seen,
    )
    assert stale.status_code == 412
    assert Application.objects.get(pk=app.pk).state == State.SUBMITTED
    assert AuditEvent.objects.count() == before

    fresh = client.get(f"/api/v1/applications/{app.pk}/")["ETag"]
    ok = client.post(
        f"/api/v1/applications/{app.pk}/transitions/withdraw/",
        {"reason": "Left."},
        format="json",
        HTTP_IF_MATCH=fresh,
    )
    assert ok.status_code == 200 and ok["ETag"] != fresh


@pytest.mark.django_db
def test_if_match_on_a_person_and_on_an_assignment(api, unit, caseworker):
    app = ApplicationFactory(unit=unit)
    client = api(caseworker)
    person_url = f"/api/v1/people/{app.person_id}/"
    seen = client.get(person_url)["ETag"]
    assert (
        client.patch(
            person_url, {"phone": "912 34 567"}, format="json", HTTP_IF_MATCH=seen
        ).status_code
        == 200
    )
    assert (
        client.patch(
            person_url, {"phone": "+4791234568"}, format="json", HTTP_IF_MATCH=seen
        ).status_code
        == 412
    )
    assert Person.objects.get(pk=app.person_id).phone == "+4791234567"  # stored as E.164
    assigned = client.patch(
        f"/api/v1/applications/{app.pk}/",
        {"assigned_to": caseworker.pk},
        format="json",
        HTTP_IF_MATCH='"999"',
    )
    assert assigned.status_code == 412


@pytest.mark.django_db
def test_if_match_can_be_required(api, unit, caseworker, settings):
    settings.API_REQUIRE_IF_MATCH = True
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    response = api(caseworker).post(f"/api/v1/applications/{app.pk}/transitions/start_examination/")
    assert response.status_code == 428


@pytest.mark.django_db
def test_a_retried_post_returns_the_first_response_and_acts_once(api, registrar):
    client = api(registrar)
    first = client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    again = client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    assert first.status_code == again.status_code == 201
    assert again.json() == first.json()
    assert again["Idempotent-Replayed"] == "true"
    assert again["ETag"] == first["ETag"]
    assert Person.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    # A new key is a new action; no key at all is too.
    client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k-2")
    client.post("/api/v1/people/", PERSON, format="json")
    assert Person.objects.count() == 3


@pytest.mark.django_db
def test_the_same_key_with_another_body_is_422(api, registrar):
    client = api(registrar)
    client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k-1")
    other = client.post(
        "/api/v1/people/", {**PERSON, "sex": "male"}, format="json", HTTP_IDEMPOTENCY_KEY="k-1"
    )
    assert other.status_code == 422
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_keys_are_per_user(api, registrar, caseworker):
    api(registrar).post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k")
    api(caseworker).post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert Person.objects.count() == 2


@pytest.mark.django_db
def test_a_retried_transition_is_replayed_not_refused(api, unit, caseworker, decider):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    client = api(decider)
    url = f"/api/v1/applications/{app.pk}/transitions/accept/"
    body = {"outcome": "humanitarian", "grounds": "Serious illness."}
    first = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")
    again = client.post(url, body, format="json", HTTP_IDEMPOTENCY_KEY="decide-1")
    assert first.status_code == again.status_code == 200
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(application=app, action="accept").count() == 1
    # Without the key, the second attempt is what it is: a conflict.
    assert client.post(url, body, format="json").status_code == 409


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_retries_act_once(registrar):
    barrier = threading.Barrier(2)
    responses: list = []

    def send() -> None:
        try:
            client = client_for(registrar)
            barrier.wait(timeout=10)
            responses.append(
                client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="race")
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert [r.status_code for r in responses] == [201, 201]
    assert responses[0].json() == responses[1].json()
    assert Person.objects.count() == 1
    assert AuditEvent.objects.filter(action="person_registered").count() == 1
    assert IdempotencyKey.objects.count() == 1


@pytest.mark.django_db
def test_people_writes_keep_the_unchanged_and_refuse_the_unknown(api, caseworker):
    person = PersonFactory()
    client = api(caseworker)
    # A person without a case is in the intake queue, visible to caseworkers.
    response = client.patch(
        f"/api/v1/people/{person.pk}/",
        {"registration_number": "000000000000", "date_of_birth": "2999-01-01"},
        format="json",
    )
    assert response.status_code == 400
    assert "date_of_birth" in response.json()
    assert Person.objects.get(pk=person.pk).registration_number == person.registration_number


@pytest.mark.django_db
def test_a_refused_request_keeps_no_key_so_the_corrected_one_may_reuse_it(api, registrar):
    client = api(registrar)
    bad = client.post(
        "/api/v1/people/", {**PERSON, "sex": "dragon"}, format="json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    good = client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="k")
    assert good.status_code == 201
    assert Person.objects.count() == 1


@pytest.mark.django_db
def test_expired_keys_are_purged_and_may_be_reused(api, registrar, settings):
    import datetime as dt

    import time_machine

    from casework.api.base import idempotency_keys_purge

    settings.API_IDEMPOTENCY_TTL = 3600
    client = api(registrar)
    client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="old")
    with time_machine.travel(timezone.now() + dt.timedelta(hours=2)):
        again = client.post("/api/v1/people/", PERSON, format="json", HTTP_IDEMPOTENCY_KEY="old")
        assert again.status_code == 201 and "Idempotent-Replayed" not in again
        assert Person.objects.count() == 2
    with time_machine.travel(timezone.now() + dt.timedelta(hours=4)):
        assert idempotency_keys_purge() == 1
    assert not IdempotencyKey.objects.exists()
