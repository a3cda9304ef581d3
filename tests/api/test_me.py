"""``GET /api/v1/me/``: a client learns who it is, and can then act as itself."""

from __future__ import annotations

import pytest

from casework.applications.choices import State
from casework.models import AuditEvent
from tests.factories import ApplicationFactory, InterviewFactory

pytestmark = pytest.mark.django_db


def test_me_names_the_user_their_roles_and_unit(api, caseworker, decider, unit):
    me = api(caseworker).get("/api/v1/me/")
    assert me.status_code == 200
    assert me.json() == {
        "id": caseworker.pk,
        "username": "caseworker",
        "name": caseworker.get_full_name() or "caseworker",
        "roles": ["Caseworker"],
        "is_superuser": False,
        "unit": {"id": unit.pk, "code": unit.code, "name": unit.name},
    }
    assert api(decider).get("/api/v1/me/").json()["roles"] == ["Decision-maker"]


def test_me_is_refused_without_credentials(api):
    response = api(None).get("/api/v1/me/")
    assert response.status_code == 401
    assert "id" not in response.json()


def test_a_client_assigns_a_case_to_itself_with_its_own_id(api, caseworker, unit):
    app = ApplicationFactory(unit=unit)
    client = api(caseworker)
    own_id = client.get("/api/v1/me/").json()["id"]
    response = client.patch(
        f"/api/v1/applications/{app.pk}/", {"assigned_to": own_id}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["assigned_to"] == caseworker.pk


def test_the_interview_is_waived_through_the_api(api, decider, caseworker, unit):
    app = ApplicationFactory(state=State.EXAMINED, unit=unit, assigned_to=caseworker)
    booked = InterviewFactory(application=app)
    client = api(decider)
    url = f"/api/v1/applications/{app.pk}/interview-waiver/"
    assert client.post(url, {"reason": " "}, format="json").status_code == 400
    stale = client.post(url, {"reason": "Too ill."}, format="json", HTTP_IF_MATCH='"999"')
    assert stale.status_code == 412
    done = client.post(url, {"reason": "Too ill."}, format="json")
    assert done.status_code == 200
    assert done.json()["interview_waived_reason"] == "Too ill."
    booked.refresh_from_db()
    assert booked.cancelled
    offered = [t["name"] for t in client.get(f"/api/v1/applications/{app.pk}/transitions/").json()]
    assert offered == ["accept", "reject", "put_on_hold"]
    again = client.post(url, {"reason": "Again."}, format="json")
    assert again.status_code == 409 and "already waived" in again.json()["detail"]
    assert AuditEvent.objects.filter(application=app, action="interview_waived").count() == 1
