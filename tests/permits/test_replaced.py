"""A later decision on the case ends the permit an earlier decision gave: the Directorate's
reversal after review, the appeals board's grant, a reversal on request, a new decision after
the case was sent back. The earlier permit ends on the new decision's day (status, day, the
decision that ended it), audited, its expiry reminders stopped, and the new decision's permit
is the holder's; a dismissed appeal (the decision upheld) ends nothing."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from casework.applications.services import (
    application_appeal,
    application_decide,
    application_transition,
)
from casework.models import AuditEvent, Deadline, ResidencePermit
from casework.permits.choices import PermitStatus
from casework.permits.deadlines import PERMIT_EXPIRY
from tests.factories import deliver
from tests.permits.test_decisions import T0, examined

pytestmark = pytest.mark.django_db

LATER = T0 + dt.timedelta(days=40)


def _limited_then_appealed(unit, caseworker, decider):
    """An unaccompanied minor refused protection with the limited permit until 18, who
    appeals: the case is with the Directorate's review, the limited permit running."""
    app = examined(caseworker, unit, date_of_birth=dt.date(2009, 7, 14), unaccompanied_minor=True)
    with time_machine.travel(T0, tick=False):
        app = application_decide(
            actor=decider, application=app, outcome="minor_limited", grounds="No protection."
        )
        app = deliver(app, by=caseworker)
        app = application_appeal(actor=caseworker, application=app)
    limited = ResidencePermit.objects.get(application=app)
    assert limited.permit_type == "minor_limited" and limited.status_on(T0.date()) == "valid"
    return app, limited


def _assert_replaced(app, limited, *, actor, outcome_type: str) -> ResidencePermit:
    limited.refresh_from_db()
    new = ResidencePermit.objects.get(application=app, ended_on=None)
    decision = app.decisions.order_by("-decided_at", "-pk").first()
    assert new.decision == decision and new.permit_type == outcome_type
    assert (limited.ended_on, limited.ended_by) == (LATER.date(), decision)
    assert limited.status_on(LATER.date()) == PermitStatus.ENDED
    assert limited.valid_until == dt.date(2027, 7, 13)  # the dates as granted stay
    assert limited.version == 2
    event = AuditEvent.objects.get(action="permit.ended")
    assert event.actor == actor and event.person == app.person
    assert event.changes["subject"] == limited.audit_subject
    assert event.changes["ended_on"] == LATER.date().isoformat()
    assert event.changes["ended_by"] == decision.pk
    # no more expiry reminders for the ended permit; the new permit has its own
    expiry = Deadline.objects.filter(source=PERMIT_EXPIRY.key)
    assert expiry.get(object_id=limited.pk).closed_at is not None
    assert expiry.get(object_id=new.pk).closed_at is None
    return new


def test_the_directorates_reversal_ends_the_earlier_permit(unit, caseworker, decider):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(LATER, tick=False):
        app = application_transition(
            actor=decider,
            application=app,
            name="reverse_on_review",
            outcome="refugee_convention",
            grounds="The appeal's documents prove the account.",
        )
    new = _assert_replaced(app, limited, actor=decider, outcome_type="refugee")
    assert (new.valid_from, new.valid_until) == (LATER.date(), dt.date(2029, 4, 10))


def test_the_appeals_boards_grant_ends_the_earlier_permit(unit, caseworker, decider, appeals):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(LATER, tick=False):
        app = application_transition(
            actor=decider, application=app, name="forward_appeal", assessment="Upheld."
        )
        app = application_transition(
            actor=appeals,
            application=app,
            name="grant_appeal",
            outcome="humanitarian",
            grounds="Strong humanitarian considerations.",
        )
    _assert_replaced(app, limited, actor=appeals, outcome_type="humanitarian")


def test_a_dismissed_appeal_upholds_the_decision_and_its_permit(unit, caseworker, decider, appeals):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(LATER, tick=False):
        app = application_transition(
            actor=decider, application=app, name="forward_appeal", assessment="Upheld."
        )
        app = application_transition(
            actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
        )
    limited.refresh_from_db()
    assert limited.ended_on is None and limited.status_on(LATER.date()) == "valid"
    assert not AuditEvent.objects.filter(action="permit.ended").exists()


def test_a_granted_reversal_request_ends_the_earlier_permit(unit, caseworker, decider, appeals):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(T0 + dt.timedelta(days=20), tick=False):
        app = application_transition(
            actor=decider, application=app, name="forward_appeal", assessment="Upheld."
        )
        app = application_transition(
            actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
        )
        app = application_transition(
            actor=caseworker,
            application=app,
            name="lodge_reversal_request",
            new_information="A new medical report.",
        )
    with time_machine.travel(LATER, tick=False):
        app = application_transition(
            actor=appeals,
            application=app,
            name="grant_reversal_request",
            outcome="humanitarian",
            grounds="The new report shows a serious illness.",
        )
    _assert_replaced(app, limited, actor=appeals, outcome_type="humanitarian")


def test_a_new_decision_after_the_case_was_sent_back_ends_the_earlier_permit(
    unit, caseworker, decider, appeals
):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(LATER, tick=False):
        app = application_transition(
            actor=decider, application=app, name="forward_appeal", assessment="Upheld."
        )
        app = application_transition(
            actor=appeals, application=app, name="remit", reason="Examine the new documents."
        )
        limited.refresh_from_db()
        assert limited.ended_on is None  # sent back: the permit runs until the new decision
        app = application_decide(
            actor=decider, application=app, outcome="refugee_convention", grounds="Proven."
        )
    _assert_replaced(app, limited, actor=decider, outcome_type="refugee")


def test_an_ended_permit_is_neither_renewed_nor_shown_as_valid(unit, caseworker, decider):
    app, limited = _limited_then_appealed(unit, caseworker, decider)
    with time_machine.travel(LATER, tick=False):
        application_transition(
            actor=decider,
            application=app,
            name="reverse_on_review",
            outcome="refugee_convention",
            grounds="Proven.",
        )
        ended = ResidencePermit.objects.filter(ended_on__isnull=False)
        assert [p.status for p in ended] == ["ended"]
        assert [p.get_status_display() for p in ended] == ["ended by a later decision"]
