"""The track and the outcome stay consistent; the request to stay during the appeal is
lodged within the 48 hours, decided by the appeals body, and a granted stay makes the transfer
period run from the final decision on the appeal."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.services import application_decide, application_transition
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.models import Deadline
from casework.dublin.choices import RequestState
from casework.dublin.services import (
    dublin_request_prepare,
    dublin_stay_lodge,
    dublin_stay_transition,
)
from casework.models import Application, AuditEvent, Decision
from tests.dublin.helpers import accepted, at, dublin_case, prepared, sent
from tests.factories import ApplicationFactory

pytestmark = pytest.mark.django_db


def test_a_dublin_outcome_on_a_case_not_in_the_dublin_procedure_is_refused(caseworker, decider):
    app = ApplicationFactory(
        state="examined", assigned_to=caseworker, interview_held_at=timezone.now()
    )
    with pytest.raises(TransitionInvalid) as refused:
        application_decide(actor=decider, application=app, outcome="dublin", grounds="Eurodac.")
    assert "only on a case in the Dublin procedure" in refused.value.message_dict["outcome"][0]
    assert not Decision.objects.exists()
    app.refresh_from_db()
    assert (app.state, app.track) == ("examined", "normal")


def test_a_dublin_outcome_on_a_dublin_case_is_decided(caseworker, decider):
    app = ApplicationFactory(
        track="dublin", state="examined", assigned_to=caseworker, interview_held_at=timezone.now()
    )
    application_decide(actor=decider, application=app, outcome="dublin", grounds="Sweden took it.")
    assert Decision.objects.get(application=app).outcome == "dublin"


def test_no_dublin_request_on_a_normal_case_nor_after_the_decision(caseworker):
    normal = ApplicationFactory(state="examined", assigned_to=caseworker)
    with pytest.raises(TransitionConflict, match="Dublin procedure"):
        dublin_request_prepare(
            actor=caseworker, application=normal, member_state="SE", kind="take_charge",
            legal_ground="art_12",
        )  # fmt: skip
    decided = ApplicationFactory(track="dublin", state="rejected", assigned_to=caseworker)
    with pytest.raises(TransitionConflict, match="before the case is decided"):
        dublin_request_prepare(
            actor=caseworker, application=decided, member_state="SE", kind="take_charge",
            legal_ground="art_12",
        )  # fmt: skip


def _appealed_dublin_case(caseworker, notified_at: dt.datetime):
    app = dublin_case(caseworker, lodged_on=dt.date(2026, 6, 11))
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    request = accepted(caseworker, request, now=at("2026-07-15"))
    Application.objects.filter(pk=app.pk).update(
        state="appealed", decided_at=notified_at, notified_at=notified_at, appealed_at=notified_at
    )
    return Application.objects.get(pk=app.pk), request


def test_the_request_to_stay_is_lodged_within_48_hours_of_notification(caseworker):
    notified = at("2026-08-03", "10:00:00")
    app, _request = _appealed_dublin_case(caseworker, notified)
    too_late = time_machine.travel(notified + dt.timedelta(hours=49), tick=False)
    with too_late, pytest.raises(TransitionConflict, match="48 hours"):
        dublin_stay_lodge(actor=caseworker, application=app)
    with time_machine.travel(notified + dt.timedelta(hours=48), tick=False):
        stay = dublin_stay_lodge(actor=caseworker, application=app)
    assert stay.decision_due_at == notified + dt.timedelta(hours=48, days=6)
    deadline = Deadline.objects.get(source="dublin.stay_decision", object_id=stay.pk)
    assert deadline.due_at == stay.decision_due_at and deadline.recipient_user == caseworker
    again = time_machine.travel(notified + dt.timedelta(hours=47), tick=False)
    with again, pytest.raises(TransitionConflict, match="awaits the appeals body already"):
        dublin_stay_lodge(actor=caseworker, application=app)


def test_a_granted_stay_suspends_the_transfer_until_the_appeal_is_dismissed(caseworker, appeals):
    notified = at("2026-08-03", "10:00:00")
    app, request = _appealed_dublin_case(caseworker, notified)
    with time_machine.travel(notified + dt.timedelta(hours=2), tick=False):
        stay = dublin_stay_lodge(actor=caseworker, application=app)
        with pytest.raises(PermissionDenied):  # the appeals body decides it, not the unit
            dublin_stay_transition(actor=caseworker, stay=stay, name="grant", grounds="x")
        dublin_stay_transition(actor=appeals, stay=stay, name="grant", grounds="Ill; to assess.")
    request.refresh_from_db()
    assert request.transfer_suspended and request.transfer_due_at is None
    transfer = Deadline.objects.get(source="dublin.transfer", object_id=request.pk)
    assert transfer.closed_at is not None
    # The appeals body dismisses the appeal on 1 October: six months from that decision.
    with time_machine.travel(at("2026-10-01"), tick=False):
        application_transition(
            actor=appeals, application=app, name="dismiss_appeal", grounds="Sweden is responsible."
        )
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED and not request.transfer_suspended
    assert request.transfer_due_at == at("2027-04-01", "23:59:59")
    transfer.refresh_from_db()
    assert transfer.closed_at is None and transfer.due_at == request.transfer_due_at
    actions = list(
        AuditEvent.objects.filter(application=app).order_by("id").values_list("action", flat=True)
    )
    assert actions[-5:] == [
        "dublin_stay.lodged",
        "dublin_stay.grant",
        "dublin.suspend_transfer",
        "dismiss_appeal",
        "dublin.restart_transfer",
    ]
