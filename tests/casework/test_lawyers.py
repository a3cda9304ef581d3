"""The lawyer scheme: each rule of a free lawyer at its boundary, one current lawyer per case,
changing and ending with a reason, the duty list's turn, and who may do what."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.applications.services import application_transition
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.lawyers.models import Appointment, DutyList, Lawyer
from casework.lawyers.services import (
    appointment_change,
    appointment_end,
    appointment_make,
    duty_list_join,
    duty_list_offer,
    lawyer_register,
    lawyer_update,
    representative_appoint,
)
from casework.models import AuditEvent
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def root():
    return UserFactory(username="root", is_superuser=True)


def _lawyer(name: str, bar: str, **kw) -> Lawyer:
    return Lawyer.objects.create(name=name, bar_number=bar, region="east", **kw)


def _case(state: str, *, outcome: str | None = None, minor: bool = False, **kw):
    person = PersonFactory(unaccompanied_minor=minor)
    app = ApplicationFactory(person=person, state=state, **kw)
    if outcome:
        DecisionFactory(application=app, instance="first", outcome=outcome)
    return app


def _appoint(actor, app, reason, lawyer, basis=""):
    return appointment_make(actor=actor, application=app, reason=reason, lawyer=lawyer, basis=basis)


# --- after a rejection ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("state", "outcome", "allowed"),
    [
        ("rejected", "rejected", True),  # rejected on the merits
        ("rejected", "minor_limited", True),  # a limited minor's permit rejects protection
        ("rejected", "dublin", True),  # § 32 first paragraph (b) is not excluded
        ("appealed", "rejected", True),  # a lawyer during the appeal
        ("rejected", "safe_third_country", False),  # § 32 first paragraph (a)/(d)
        ("examined", None, False),  # not rejected yet
        ("accepted", "refugee_convention", False),  # nothing to appeal
    ],
)
def test_a_free_lawyer_after_rejection(caseworker, lawyer, state, outcome, allowed):
    app = _case(state, outcome=outcome)
    if allowed:
        appointment = _appoint(caseworker, app, "rejection", lawyer)
        assert appointment.free and appointment.ends_on is None
    else:
        with pytest.raises(TransitionConflict):
            _appoint(caseworker, app, "rejection", lawyer)
        assert not Appointment.objects.filter(application=app).exists()


def test_no_free_lawyer_after_the_final_rejection(caseworker, lawyer):
    app = _case("rejected", outcome="rejected", is_final=True)
    with pytest.raises(TransitionConflict, match="closed"):
        _appoint(caseworker, app, "rejection", lawyer)


def test_the_safe_third_country_refusal_says_the_rule(caseworker, lawyer):
    app = _case("rejected", outcome="safe_third_country")
    with pytest.raises(TransitionConflict, match=r"§ 32 first paragraph \(a\) or \(d\)"):
        _appoint(caseworker, app, "rejection", lawyer)


# --- before the decision: unaccompanied minors and exclusion ----------------------------------


@pytest.mark.parametrize(
    ("state", "minor", "allowed"),
    [
        ("submitted", True, True),
        ("examined", True, True),  # the last moment: still before the decision
        ("examined", False, False),  # not an unaccompanied minor
        ("rejected", True, False),  # after the decision: the rejection's lawyer instead
    ],
)
def test_a_free_lawyer_for_an_unaccompanied_minor_before_the_decision(
    caseworker, lawyer, state, minor, allowed
):
    app = _case(state, minor=minor, outcome="rejected" if state == "rejected" else None)
    if allowed:
        assert _appoint(caseworker, app, "minor", lawyer).free
    else:
        with pytest.raises(TransitionConflict):
            _appoint(caseworker, app, "minor", lawyer)


@pytest.mark.parametrize(
    ("state", "basis", "allowed"),
    [
        ("examined", "Art. 1 F (b): a serious crime before arrival", True),
        ("submitted", "Art. 1 F (a)", True),
        ("examined", "   ", False),  # the ground considered must be said
        ("accepted", "Art. 1 F (b)", False),  # decided
    ],
)
def test_a_free_lawyer_when_exclusion_is_considered(caseworker, lawyer, state, basis, allowed):
    app = _case(state, outcome="refugee_convention" if state == "accepted" else None)
    if allowed:
        appointment = _appoint(caseworker, app, "exclusion", lawyer, basis=basis)
        assert appointment.free and appointment.basis == basis
    else:
        with pytest.raises(TransitionConflict):
            _appoint(caseworker, app, "exclusion", lawyer, basis=basis)


def test_a_lawyer_the_applicant_chooses_is_not_free_and_has_no_rule(caseworker, lawyer):
    app = _case("rejected", outcome="safe_third_country")
    appointment = _appoint(caseworker, app, "chosen", lawyer)
    assert appointment.free is False


def test_a_remitted_case_keeps_the_safe_third_country_rule(caseworker, lawyer):
    """A first-instance refusal under § 32 (a)/(d) still rules out a free lawyer when the case
    is back under examination before a new decision."""
    app = _case("examined", outcome="safe_third_country", minor=True)
    with pytest.raises(TransitionConflict, match="§ 32"):
        _appoint(caseworker, app, "minor", lawyer)


# --- one lawyer at a time; change and end with a reason ----------------------------------------


def test_one_current_lawyer_per_case(caseworker, lawyer):
    app = _case("rejected", outcome="rejected")
    _appoint(caseworker, app, "rejection", lawyer)
    other = _lawyer("Ejlert Løvborg", "B-2002")
    with pytest.raises(TransitionConflict, match="has a lawyer already"):
        _appoint(caseworker, app, "rejection", other)


def test_changing_the_lawyer_ends_the_first_with_the_reason(caseworker, lawyer):
    app = _case("rejected", outcome="rejected")
    first = _appoint(caseworker, app, "rejection", lawyer)
    other = _lawyer("Ejlert Løvborg", "B-2002")
    second = appointment_change(
        actor=caseworker, appointment=first, lawyer=other, reason="The applicant asked for another."
    )
    first.refresh_from_db()
    assert first.ends_on == timezone.localdate()
    assert first.end_reason == "The applicant asked for another."
    assert second.lawyer == other and second.reason == "rejection" and second.ends_on is None
    actions = list(
        AuditEvent.objects.filter(application=app).order_by("id").values_list("action", flat=True)
    )
    assert actions == ["lawyer_appointed", "lawyer_appointment_ended", "lawyer_appointed"]


def test_ending_needs_a_reason_and_happens_once(caseworker, lawyer):
    app = _case("rejected", outcome="rejected")
    appointment = _appoint(caseworker, app, "rejection", lawyer)
    with pytest.raises(TransitionInvalid):
        appointment_end(actor=caseworker, appointment=appointment, reason="  ")
    appointment_end(actor=caseworker, appointment=appointment, reason="The lawyer withdrew.")
    with pytest.raises(TransitionConflict):
        appointment_end(actor=caseworker, appointment=appointment, reason="again")


def test_a_stale_version_is_refused(caseworker, lawyer):
    app = _case("rejected", outcome="rejected")
    appointment = _appoint(caseworker, app, "rejection", lawyer)
    with pytest.raises(TransitionConflict, match="changed this record first"):
        appointment_end(actor=caseworker, appointment=appointment, reason="x", expected_version=99)


def test_an_inactive_lawyer_is_not_appointed(caseworker, lawyer):
    lawyer.active = False
    lawyer.save()
    with pytest.raises(TransitionInvalid):
        _appoint(caseworker, _case("rejected", outcome="rejected"), "rejection", lawyer)


# --- who may ----------------------------------------------------------------------------------


def test_only_the_cases_unit_appoints(outsider, lawyer_user, lawyer, caseworker):
    app = _case("rejected", outcome="rejected")
    for actor in (outsider, lawyer_user):
        with pytest.raises(PermissionDenied):
            _appoint(actor, app, "rejection", lawyer)
    assert not AuditEvent.objects.filter(application=app).exists()


def test_the_register_is_kept_by_administrators(caseworker, root):
    with pytest.raises(PermissionDenied):
        lawyer_register(actor=caseworker, name="X", bar_number="B-9", region="west")
    entry = lawyer_register(actor=root, name="Nora Helmer", bar_number="B-9", region="west")
    with pytest.raises(TransitionInvalid):
        lawyer_register(actor=root, name="Someone", bar_number="B-9", region="west")
    lawyer_update(actor=root, lawyer=entry, active=False)
    entry.refresh_from_db()
    assert entry.active is False and entry.version == 2


# --- the duty list ----------------------------------------------------------------------------


def test_the_duty_list_offers_each_active_lawyer_in_turn(caseworker, root):
    duty = DutyList.objects.create(kind="48h", region="east")
    a, b, c = (_lawyer(n, f"B-{i}") for i, n in enumerate(("Aase", "Berit", "Cato")))
    for lawyer in (a, b, c):
        duty_list_join(actor=root, duty_list=duty, lawyer=lawyer)
    offered = [duty_list_offer(actor=caseworker, duty_list=duty) for _ in range(4)]
    assert offered == [a, b, c, a]
    b.active = False
    b.save()
    assert [duty_list_offer(actor=caseworker, duty_list=duty) for _ in range(3)] == [c, a, c]


def test_an_appointment_from_the_duty_list_takes_the_next_in_turn(caseworker, root):
    duty = DutyList.objects.create(kind="unfounded", region="east")
    a, b = _lawyer("Aase", "B-1"), _lawyer("Berit", "B-2")
    duty_list_join(actor=root, duty_list=duty, lawyer=a)
    duty_list_join(actor=root, duty_list=duty, lawyer=b)
    first = appointment_make(
        actor=caseworker,
        application=_case("rejected", outcome="rejected"),
        reason="rejection",
        duty_list=duty,
    )
    second = appointment_make(
        actor=caseworker,
        application=_case("rejected", outcome="rejected"),
        reason="rejection",
        duty_list=duty,
    )
    assert (first.lawyer, second.lawyer) == (a, b)
    assert first.duty_list == duty


def test_an_empty_duty_list_says_so(caseworker):
    duty = DutyList.objects.create(kind="regional", region="north")
    with pytest.raises(TransitionConflict, match="No active lawyer"):
        duty_list_offer(actor=caseworker, duty_list=duty)


# --- the lawyer lodges the appeal ---------------------------------------------------------------


def test_the_clients_lawyer_lodges_the_appeal_and_is_recorded(caseworker, lawyer, lawyer_user):
    app = _case("examined", interview_held_at=timezone.now() - dt.timedelta(days=3))
    app = application_transition(
        actor=UserFactory(username="root2", is_superuser=True),
        application=app,
        name="reject",
        outcome="rejected",
        grounds="Not credible.",
    )
    _appoint(caseworker, app, "rejection", lawyer)
    app.refresh_from_db()
    application_transition(actor=lawyer_user, application=app, name="appeal")
    appeal = app.appeals.get()
    assert appeal.lawyer == lawyer
    assert appeal.lodged_by == str(lawyer)


def test_a_lawyer_without_the_appointment_may_not_lodge(caseworker, lawyer, lawyer_user):
    app = _case("rejected", outcome="rejected")
    app.appeal_deadline = timezone.now() + dt.timedelta(days=5)
    app.save()
    with pytest.raises(PermissionDenied):
        application_transition(actor=lawyer_user, application=app, name="appeal")
    appointment = _appoint(caseworker, app, "rejection", lawyer)
    appointment_end(actor=caseworker, appointment=appointment, reason="Withdrew.")
    with pytest.raises(PermissionDenied):  # ended: no longer theirs
        application_transition(actor=lawyer_user, application=app, name="appeal")


# --- representatives ----------------------------------------------------------------------------


def test_only_an_unaccompanied_minor_gets_a_representative(caseworker):
    minor = _case("submitted", minor=True).person
    adult = _case("submitted").person
    rep = representative_appoint(
        actor=caseworker,
        person=minor,
        name="Solveig Dahl",
        appointed_by="Statsforvalteren i Oslo og Viken",
        phone="+4790000000",
    )
    assert rep.ends_on is None
    with pytest.raises(TransitionConflict):
        representative_appoint(
            actor=caseworker, person=adult, name="X", appointed_by="SF", phone="1"
        )
    with pytest.raises(TransitionConflict, match="already"):
        representative_appoint(
            actor=caseworker, person=minor, name="Y", appointed_by="SF", phone="1"
        )


def test_the_representative_is_told_of_the_minors_interview_once(caseworker):
    from django.core import mail

    from casework.applications.services import interview_schedule
    from casework.deadlines.reminders import reminder_deliver, sweep
    from casework.models import Reminder

    app = ApplicationFactory(
        person=PersonFactory(unaccompanied_minor=True), state="submitted", assigned_to=caseworker
    )
    representative_appoint(
        actor=caseworker,
        person=app.person,
        name="Solveig Dahl",
        appointed_by="Statsforvalteren i Oslo og Viken",
        email="verge@example.invalid",
    )
    at = timezone.localtime(timezone.now() + dt.timedelta(days=10)).replace(
        hour=9, minute=30, second=0, microsecond=0
    )
    interview_schedule(
        actor=caseworker, application=app, scheduled_at=at, location="UDI, Oslo", language="tir"
    )
    told = list(Reminder.objects.filter(channel="representative"))
    assert [r.deadline.source for r in told] == ["casework.interview_notice"]
    before = len(mail.outbox)
    assert reminder_deliver(reminder_id=told[0].pk).outcome == "sent"
    (message,) = mail.outbox[before:]
    assert message.to == ["verge@example.invalid"]
    assert "UDI, Oslo" in message.body and app.display_reference in message.body
    sweep(enqueue=False)  # again: nothing more to the representative before the "soon" time
    assert Reminder.objects.filter(channel="representative").count() == 1


def test_no_representative_no_extra_notice(caseworker):
    from casework.applications.services import interview_schedule
    from casework.models import Reminder

    app = ApplicationFactory(state="submitted", assigned_to=caseworker)
    interview_schedule(
        actor=caseworker,
        application=app,
        scheduled_at=timezone.now() + dt.timedelta(days=5),
        location="UDI, Oslo",
        language="tir",
    )
    assert not Reminder.objects.filter(channel="representative").exists()


def test_the_interview_records_the_lawyer_and_the_representative_present(caseworker, lawyer):
    from rest_framework.test import APIClient

    from tests.factories import InterviewFactory

    app = _case("examined", minor=True, assigned_to=caseworker)
    interview = InterviewFactory(application=app)
    api = APIClient()
    api.force_authenticate(caseworker)
    url = f"/api/v1/applications/{app.pk}/interviews/{interview.pk}/attendance/"
    body = {"lawyer_present": True, "representative_present": True}
    assert api.post(url, body, format="json").status_code == 409  # nobody appointed yet
    _appoint(caseworker, app, "minor", lawyer)
    rep = representative_appoint(
        actor=caseworker, person=app.person, name="Solveig Dahl", appointed_by="SF", phone="1"
    )
    response = api.post(url, body, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["lawyer"], response.json()["representative"]) == (lawyer.pk, rep.pk)
    assert response.json()["lawyer_present"] is True
