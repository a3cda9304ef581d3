"""The lifecycle of a case through the API: what is offered, what is refused, and races."""

from __future__ import annotations

import threading

import pytest
from django.db import connection
from django.utils import timezone

from casework.applications.choices import State
from casework.applications.services import APPLICATIONS
from casework.models import AuditEvent, Decision
from tests.factories import ApplicationFactory

from .conftest import client_for


def _names(client, app_id: int) -> list[str]:
    response = client.get(f"/api/v1/applications/{app_id}/transitions/")
    assert response.status_code == 200
    return [t["name"] for t in response.json()]


def _post(client, app_id: int, name: str, body: dict | None = None, **headers):
    return client.post(
        f"/api/v1/applications/{app_id}/transitions/{name}/", body or {}, format="json", **headers
    )


@pytest.mark.django_db
def test_a_case_from_registration_to_final_dismissal(
    api, unit, registrar, caseworker, decider, appeals
):
    police, cw, dm, une = api(registrar), api(caseworker), api(decider), api(appeals)
    person = police.post(
        "/api/v1/people/",
        {
            "given_name": "Amina",
            "family_name": "Rahimi",
            "date_of_birth": "1998-09-30",
            "nationality": "AF",
            "sex": "female",
        },
        format="json",
    ).json()
    assert len(person["registration_number"]) == 12
    app = police.post(
        "/api/v1/applications/", {"person": person["id"], "kind": "protection"}, format="json"
    ).json()
    assert app["state"] == "submitted" and app["track"] == "normal"
    app_id = app["id"]

    # start_examination needs an assigned caseworker
    assert _names(cw, app_id) == ["withdraw", "put_on_hold"]
    assert cw.patch(
        f"/api/v1/applications/{app_id}/", {"assigned_to": caseworker.pk}, format="json"
    ).json()["assigned_to"] == (caseworker.pk)
    assert _names(cw, app_id) == ["start_examination", "withdraw", "put_on_hold"]
    assert _names(dm, app_id) == ["put_on_hold"]
    assert _post(cw, app_id, "start_examination").json()["state"] == "examined"

    # No decision before the interview: offered to nobody, refused with the reason.
    assert _names(dm, app_id) == ["put_on_hold"]
    refused = _post(dm, app_id, "reject", {"outcome": "rejected", "grounds": "No risk."})
    assert refused.status_code == 409
    assert "interview" in refused.json()["detail"]

    interview = cw.post(
        f"/api/v1/applications/{app_id}/interviews/",
        {"scheduled_at": timezone.now().isoformat(), "location": "UDI", "language": "fas"},
        format="json",
    )
    assert interview.status_code == 201
    held = cw.patch(
        f"/api/v1/applications/{app_id}/interviews/{interview.json()['id']}/", {}, format="json"
    )
    assert held.status_code == 200 and held.json()["held_at"]

    offered = dm.get(f"/api/v1/applications/{app_id}/transitions/").json()
    assert [t["name"] for t in offered] == ["accept", "reject", "put_on_hold"]
    reject_fields = {f["name"]: f for f in offered[1]["fields"]}
    assert (
        reject_fields["outcome"]["required"] and "rejected" in reject_fields["outcome"]["choices"]
    )
    assert reject_fields["grounds"]["required"]

    rejected = _post(dm, app_id, "reject", {"outcome": "rejected", "grounds": "No risk."})
    assert rejected.status_code == 200
    # not delivered yet: no appeal deadline runs
    assert rejected.json()["state"] == "rejected" and rejected.json()["appeal_deadline"] is None
    assert _names(cw, app_id) == ["record_notification", "appeal"]
    delivery = {
        "notified_at": timezone.now().isoformat(),
        "channel": "police",
        "confirmed_by": "Officer Berg, Oslo police",
    }
    assert _post(dm, app_id, "record_notification", delivery).status_code == 403
    delivered = _post(cw, app_id, "record_notification", delivery)
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["state"] == "rejected" and delivered.json()["appeal_deadline"]
    assert _post(cw, app_id, "appeal", {"lodged_by": "lawyer"}).json()["state"] == "under_review"
    # The Directorate reviews the appeal first: its decision-maker, not the caseworker nor
    # the appeals body, reverses or forwards it.
    assert _names(cw, app_id) == ["put_on_hold"] and _names(une, app_id) == []
    assert _names(dm, app_id) == ["reverse_on_review", "forward_appeal", "put_on_hold"]
    assert _post(une, app_id, "forward_appeal", {"assessment": "Upheld."}).status_code == 403
    forwarded = _post(dm, app_id, "forward_appeal", {"assessment": "The appeal adds nothing."})
    assert forwarded.json()["state"] == "appealed"
    assert _names(une, app_id) == ["grant_appeal", "dismiss_appeal", "remit", "put_on_hold"]
    final = _post(une, app_id, "dismiss_appeal", {"grounds": "Upheld."})
    assert final.json()["state"] == "rejected" and final.json()["is_final"] is True
    assert _names(cw, app_id) == ["lodge_reversal_request"]

    decisions = cw.get(f"/api/v1/applications/{app_id}/decisions/").json()["results"]
    assert [(d["instance"], d["outcome"]) for d in decisions] == [
        ("first", "rejected"),
        ("appeal", "rejected"),
    ]
    events = cw.get(f"/api/v1/applications/{app_id}/events/").json()["results"]
    assert [e["action"] for e in events] == [
        "lodged",
        "assigned",
        "start_examination",
        "interview_scheduled",
        "interview_held",
        "reject",
        "record_notification",
        "appeal",
        "forward_appeal",
        "dismiss_appeal",
    ]


@pytest.mark.django_db
def test_wrong_state_is_409_and_writes_nothing(api, unit, caseworker, decider):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    before = AuditEvent.objects.count()
    response = _post(api(decider), app.pk, "accept", {"outcome": "humanitarian", "grounds": "x"})
    assert response.status_code == 409
    assert response.json()["current_state"] == "submitted"
    assert AuditEvent.objects.count() == before
    assert not Decision.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"outcome": "rejected", "grounds": "x"}, "outcome"),  # a rejection outcome for accept
        ({"outcome": "collective", "grounds": "x"}, "outcome"),  # only for collective cases
        ({"outcome": "humanitarian"}, "grounds"),
        ({"outcome": "humanitarian", "grounds": "   "}, "grounds"),
        ({"outcome": ["a"], "grounds": {"x": 1}}, "outcome"),
    ],
)
def test_invalid_decision_input_is_400_by_field(api, unit, caseworker, decider, body, field):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    before = AuditEvent.objects.count()
    response = _post(api(decider), app.pk, "accept", body)
    assert response.status_code == 400
    assert field in response.json()
    assert AuditEvent.objects.count() == before


@pytest.mark.django_db
def test_malformed_body_is_400_not_500(api, unit, caseworker):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    response = api(caseworker).post(
        f"/api/v1/applications/{app.pk}/transitions/withdraw/",
        data="{not json",
        content_type="application/json",
    )
    assert response.status_code == 400


def test_each_transition_takes_exactly_the_inputs_its_declaration_lists():
    from casework.api.views import ApplicationViewSet

    # Every declared transition, the system's too (documented, answering 403).
    offered = dict(APPLICATIONS.transitions)
    assert set(ApplicationViewSet.transition_inputs) == set(offered)
    for name, declaration in offered.items():
        body = ApplicationViewSet.transition_inputs[name]().fields
        assert list(body) == [i.name for i in declaration.inputs], name
        assert [f.required for f in body.values()] == [
            i.required and i.kind != "boolean" for i in declaration.inputs
        ], name


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_two_decisions_at_once_one_wins_one_gets_409(unit, caseworker, decider):
    app = ApplicationFactory(
        state=State.EXAMINED, unit=unit, assigned_to=caseworker, interview_held_at=timezone.now()
    )
    etag = client_for(decider).get(f"/api/v1/applications/{app.pk}/")["ETag"]
    barrier = threading.Barrier(2)
    codes: list[int] = []

    def decide(body: dict) -> None:
        try:
            client = client_for(decider)
            barrier.wait(timeout=10)
            codes.append(
                _post(client, app.pk, body.pop("name"), body, HTTP_IF_MATCH=etag).status_code
            )
        finally:
            connection.close()  # each thread had its own real connection

    bodies = [
        {"name": "accept", "outcome": "refugee_convention", "grounds": "Assessed."},
        {"name": "reject", "outcome": "rejected", "grounds": "Assessed."},
    ]
    threads = [threading.Thread(target=decide, args=(b,)) for b in bodies]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert sorted(codes) == [200, 409]
    assert Decision.objects.filter(application=app).count() == 1
    assert AuditEvent.objects.filter(application=app, action__in=["accept", "reject"]).count() == 1


def test_the_transitions_mixin_gives_any_viewset_one_operation_per_transition():
    """Reception and integration adopt the mixin: declare names and inputs, get the actions."""
    from rest_framework import serializers, viewsets

    from casework.api.base import ApiViewSetMixin, TransitionsMixin

    class Payload(serializers.Serializer):
        reason = serializers.CharField()

    class PermitViewSet(ApiViewSetMixin, TransitionsMixin, viewsets.GenericViewSet):
        serializer_class = Payload
        perms_by_method = {"GET": "integration.view_workpermit"}
        transition_names = ("grant", "refuse")
        transition_inputs = {"grant": Payload, "refuse": Payload}

    actions = {a.__name__: a for a in PermitViewSet.get_extra_actions()}
    assert set(actions) == {"transitions", "transition_grant", "transition_refuse"}
    assert actions["transition_refuse"].url_path == "transitions/refuse"
    assert actions["transition_refuse"].mapping == {"post": "transition_refuse"}
    assert PermitViewSet.perms_by_action["transition_grant"] == "integration.view_workpermit"
