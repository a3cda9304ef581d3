"""Dublin cases over the API, per role: the Dublin unit prepares and sends a request and
records the answer, the police record the transfer, the appeals body decides the request to
stay; a reception officer is refused (403, nothing written), a caseworker of another unit does
not see the request (404), and the statistics table counts it by requested state."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from casework.models import AuditEvent, DublinRequest, DublinStayRequest
from casework.statistics.tables import table
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def _case(caseworker, **kw):
    return ApplicationFactory(track="dublin", state="examined", assigned_to=caseworker, **kw)


def _go(client, request_id: int, name: str, body: dict | None = None):
    return client.post(
        f"/api/v1/dublin-requests/{request_id}/transitions/{name}/", body or {}, format="json"
    )


def test_request_answer_and_transfer_by_their_roles(
    api, caseworker, registrar, reception_officer, outsider, appeals
):
    app = _case(caseworker)
    cw, police = api(caseworker), api(registrar)
    made = cw.post(
        "/api/v1/dublin-requests/",
        {
            "application": app.pk,
            "member_state": "SE",
            "kind": "take_charge",
            "legal_ground": "art_12",
            "urgent": True,
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="dublin-1",
    )
    assert made.status_code == 201, made.content
    body = made.json()
    assert (body["state"], body["member_state"], body["rules"]) == ("prepared", "SE", "AMMR")
    assert made["ETag"]
    pk = body["id"]
    # A reception officer may not send it: 403, and no trace.
    events = AuditEvent.objects.count()
    assert _go(api(reception_officer), pk, "send").status_code == 403
    assert AuditEvent.objects.count() == events
    # A caseworker of another unit does not see it at all.
    assert api(outsider).get(f"/api/v1/dublin-requests/{pk}/").status_code == 404
    sent = _go(cw, pk, "send")
    assert sent.status_code == 200, sent.content
    assert sent.json()["state"] == "sent" and sent.json()["reply_due_at"]
    # The system's own transition is documented and refused to everyone.
    assert _go(cw, pk, "accept_by_silence").status_code == 403
    accepted = _go(cw, pk, "accept", {"their_reference": "SE-2026-77"})
    assert accepted.json()["state"] == "accepted"
    assert accepted.json()["transfer_due_at"]
    # The appeals body does not carry out transfers; the police do.
    assert _go(api(appeals), pk, "transfer", {"police_reference": "PU-1"}).status_code in (403, 404)
    missing = _go(police, pk, "transfer", {})
    assert missing.status_code == 400 and "police_reference" in missing.json()
    done = _go(police, pk, "transfer", {"police_reference": "PU-1"})
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "transferred"
    listed = police.get("/api/v1/dublin-requests/?state=transferred").json()
    assert [r["id"] for r in listed["results"]] == [pk]
    stats = table("dublin-requests-by-state", year=timezone.localdate().year)
    sweden = next(r for r in stats.rows if r["member_state"] == "Sweden")
    assert (sweden["sent"], sweden["accepted"], sweden["transferred"]) == (1, 1, 1)


def test_a_dublin_request_on_a_case_not_in_the_dublin_procedure_is_refused(api, caseworker):
    app = ApplicationFactory(state="examined", assigned_to=caseworker)  # normal track
    response = api(caseworker).post(
        "/api/v1/dublin-requests/",
        {
            "application": app.pk,
            "member_state": "DE",
            "kind": "take_back",
            "legal_ground": "art_13",
        },
        format="json",
    )
    assert response.status_code == 409
    assert "Dublin procedure" in response.json()["detail"]
    assert not DublinRequest.objects.exists()


def test_the_request_to_stay_is_lodged_in_48_hours_and_decided_by_the_appeals_body(
    api, caseworker, appeals, reception_officer
):
    from casework.dublin.services import dublin_request_prepare, dublin_request_transition

    app = _case(caseworker)
    request = dublin_request_prepare(
        actor=caseworker, application=app, member_state="DE", kind="take_back",
        legal_ground="art_18_1_b",
    )  # fmt: skip
    request = dublin_request_transition(actor=caseworker, request=request, name="send")
    dublin_request_transition(actor=caseworker, request=request, name="accept")
    notified = timezone.now() - dt.timedelta(hours=47)
    type(app).objects.filter(pk=app.pk).update(
        state="appealed", notified_at=notified, appealed_at=timezone.now()
    )
    late = api(caseworker).post(
        "/api/v1/dublin-stay-requests/",
        {"application": app.pk, "lodged_at": (notified + dt.timedelta(hours=49)).isoformat()},
        format="json",
    )
    assert late.status_code == 400 or late.status_code == 409
    lodged = api(caseworker).post(
        "/api/v1/dublin-stay-requests/", {"application": app.pk}, format="json"
    )
    assert lodged.status_code == 201, lodged.content
    stay = lodged.json()
    assert stay["state"] == "lodged" and stay["decision_due_at"]
    url = f"/api/v1/dublin-stay-requests/{stay['id']}/transitions/grant/"
    grounds = {"grounds": "Health to be assessed."}
    assert api(caseworker).post(url, grounds, format="json").status_code == 403
    assert api(reception_officer).post(url, grounds, format="json").status_code in (403, 404)
    granted = api(appeals).post(url, grounds, format="json")
    assert granted.status_code == 200, granted.content
    assert granted.json()["state"] == "granted"
    request.refresh_from_db()
    assert request.transfer_suspended and request.transfer_due_at is None
    assert DublinStayRequest.objects.get().state == "granted"
