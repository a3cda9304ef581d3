"""Each Dublin deadline at its boundary, under Dublin III (an application lodged on 11 June
2026) and under the AMMR (lodged on 12 June 2026): the request, the reply (silence is
acceptance, made once by the sweep), the transfer and its extensions."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine

from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.deadlines.models import Deadline
from casework.dublin.choices import RequestState
from casework.dublin.services import dublin_deadlines_sweep, dublin_request_transition
from casework.models import Application, AuditEvent
from tests.dublin.helpers import accepted, at, dublin_case, prepared, sent

pytestmark = pytest.mark.django_db

DUBLIN_III_DAY = dt.date(2026, 6, 11)
AMMR_DAY = dt.date(2026, 6, 12)


@pytest.mark.parametrize(
    ("lodged_on", "rules", "hit_on", "due_day"),
    [
        (DUBLIN_III_DAY, "Dublin III", None, "2026-09-11"),  # art. 21(1): 3 months
        (DUBLIN_III_DAY, "Dublin III", dt.date(2026, 6, 20), "2026-08-20"),  # 2 months of hit
        (AMMR_DAY, "AMMR", None, "2026-08-12"),  # 2 months of registration [U]
        (AMMR_DAY, "AMMR", dt.date(2026, 6, 20), "2026-07-20"),  # 1 month of the hit [U]
    ],
)
def test_the_request_is_due_by_the_rules_of_the_day_the_application_was_lodged(
    caseworker, lodged_on, rules, hit_on, due_day
):
    app = dublin_case(caseworker, lodged_on=lodged_on)
    request = prepared(caseworker, app, now=at("2026-06-25"), eurodac_hit_on=hit_on)
    assert request.rule_set.name == rules
    assert request.request_due_at == at(due_day, "23:59:59")
    deadline = Deadline.objects.get(source="dublin.request", object_id=request.pk)
    assert deadline.due_at == request.request_due_at
    assert deadline.recipient_user == caseworker  # the Dublin unit's caseworker of the case
    # On the last second it may go; a second later it binds no other state.
    late = at(due_day, "23:59:59") + dt.timedelta(seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(TransitionInvalid) as refused:
        dublin_request_transition(actor=caseworker, request=request, name="send", sent_at=late)
    assert "Norway is responsible" in str(refused.value.message_dict["sent_at"])
    assert sent(caseworker, request, now=at(due_day, "23:59:59")).state == RequestState.SENT


@pytest.mark.parametrize(
    ("lodged_on", "fields", "due_day"),
    [
        (DUBLIN_III_DAY, {}, "2026-09-01"),  # take charge: 2 months (art. 22(1))
        (DUBLIN_III_DAY, {"urgent": True}, "2026-08-01"),  # urgent: 1 month (art. 22(6))
        (DUBLIN_III_DAY, {"kind": "take_back"}, "2026-08-01"),  # take back: 1 month (art. 25)
        (
            DUBLIN_III_DAY,
            {"kind": "take_back", "eurodac_hit_on": dt.date(2026, 6, 20)},
            "2026-07-15",
        ),  # 2 weeks after a Eurodac hit
        (AMMR_DAY, {}, "2026-08-01"),  # AMMR take charge: 1 month [U]
        (AMMR_DAY, {"eurodac_hit_on": dt.date(2026, 6, 20)}, "2026-07-15"),  # 2 weeks [U]
        (AMMR_DAY, {"kind": "take_back"}, "2026-07-15"),  # AMMR take back: 2 weeks [U]
    ],
)
def test_silence_until_the_reply_is_due_is_acceptance_made_once_by_the_sweep(
    caseworker, lodged_on, fields, due_day
):
    app = dublin_case(caseworker, lodged_on=lodged_on)
    request = prepared(caseworker, app, now=at("2026-06-30"), **fields)
    request = sent(caseworker, request, now=at("2026-07-01", "09:00:00"))
    due = at(due_day, "23:59:59")
    assert request.reply_due_at == due
    assert Deadline.objects.get(source="dublin.reply", object_id=request.pk).due_at == due
    with time_machine.travel(due, tick=False):
        assert dublin_deadlines_sweep() == {"accepted_by_silence": 0, "lapsed": 0}
    request.refresh_from_db()
    assert request.state == RequestState.SENT
    after = due + dt.timedelta(seconds=1)
    with time_machine.travel(after, tick=False):
        assert dublin_deadlines_sweep()["accepted_by_silence"] == 1
        assert dublin_deadlines_sweep()["accepted_by_silence"] == 0  # the second run: nothing
    request.refresh_from_db()
    assert request.state == RequestState.ACCEPTED and request.implicit
    assert request.transfer_from == due
    assert AuditEvent.objects.filter(action="dublin.accept_by_silence").count() == 1
    reply = Deadline.objects.get(source="dublin.reply", object_id=request.pk)
    assert reply.closed_at is not None


def test_silence_after_a_reexamination_request_is_not_acceptance(caseworker):
    app = dublin_case(caseworker, lodged_on=DUBLIN_III_DAY)
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    with time_machine.travel(at("2026-07-10"), tick=False):
        dublin_request_transition(
            actor=caseworker, request=request, name="refuse", reason="No visa found."
        )
        request = dublin_request_transition(
            actor=caseworker, request=request, name="request_reexamination", reason="Visa copy."
        )
    assert request.reply_due_at == at("2026-07-24", "23:59:59")  # 2 weeks
    with time_machine.travel(at("2026-09-30"), tick=False):
        assert dublin_deadlines_sweep()["accepted_by_silence"] == 0
    request.refresh_from_db()
    assert request.state == RequestState.REEXAMINATION


@pytest.mark.parametrize(
    ("lodged_on", "extension", "due_day"),
    [
        (DUBLIN_III_DAY, "", "2027-01-15"),  # art. 29(1): 6 months
        (DUBLIN_III_DAY, "imprisoned", "2027-07-15"),  # art. 29(2): 1 year
        (DUBLIN_III_DAY, "absconded", "2028-01-15"),  # art. 29(2): 18 months
        (AMMR_DAY, "", "2027-01-15"),
        (AMMR_DAY, "imprisoned", "2027-07-15"),
        (AMMR_DAY, "absconded", "2029-07-15"),  # AMMR: 3 years [U]
    ],
)
def test_the_transfer_deadline_and_its_extensions(caseworker, lodged_on, extension, due_day):
    app = dublin_case(caseworker, lodged_on=lodged_on)
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    request = accepted(caseworker, request, now=at("2026-07-15"))
    assert request.transfer_due_at == at("2027-01-15", "23:59:59")
    if extension:
        with time_machine.travel(at("2026-12-01"), tick=False):
            request = dublin_request_transition(
                actor=caseworker, request=request, name="extend_transfer", extension=extension
            )
    due = at(due_day, "23:59:59")
    assert request.transfer_due_at == due
    assert Deadline.objects.get(source="dublin.transfer", object_id=request.pk).due_at == due
    late = due + dt.timedelta(seconds=1)
    with time_machine.travel(late, tick=False), pytest.raises(TransitionConflict):
        dublin_request_transition(
            actor=caseworker, request=request, name="transfer", police_reference="PU-1"
        )
    with time_machine.travel(due, tick=False):
        assert dublin_deadlines_sweep()["lapsed"] == 0
        done = dublin_request_transition(
            actor=caseworker, request=request, name="transfer", police_reference="PU-1"
        )
    assert done.state == RequestState.TRANSFERRED


def test_an_extension_never_shortens_the_period(caseworker):
    app = dublin_case(caseworker, lodged_on=DUBLIN_III_DAY)
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    request = accepted(caseworker, request, now=at("2026-07-15"))
    with time_machine.travel(at("2026-08-01"), tick=False):
        request = dublin_request_transition(
            actor=caseworker, request=request, name="extend_transfer", extension="absconded"
        )
        with pytest.raises(TransitionInvalid) as refused:
            dublin_request_transition(
                actor=caseworker, request=request, name="extend_transfer", extension="imprisoned"
            )
    assert "already extended" in str(refused.value.message_dict["extension"])


def test_the_transfer_deadline_passing_makes_norway_responsible_on_the_merits(caseworker, decider):
    app = dublin_case(caseworker, lodged_on=DUBLIN_III_DAY)
    request = sent(
        caseworker, prepared(caseworker, app, now=at("2026-06-30")), now=at("2026-07-01")
    )
    request = accepted(caseworker, request, now=at("2026-07-15"))
    Application.objects.filter(pk=app.pk).update(state="rejected")  # the Dublin decision
    with time_machine.travel(at("2027-01-16", "00:00:01"), tick=False):
        assert dublin_deadlines_sweep() == {"accepted_by_silence": 0, "lapsed": 1}
        assert dublin_deadlines_sweep() == {"accepted_by_silence": 0, "lapsed": 0}
    request.refresh_from_db()
    app.refresh_from_db()
    assert request.state == RequestState.LAPSED
    assert (app.state, app.track) == ("examined", "normal")
    event = AuditEvent.objects.get(action="reopen_on_merits", application=app)
    assert event.changes["track"] == "normal"
