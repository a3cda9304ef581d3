"""The decision creates the permit (type and length chosen at the decide transition), its
expiry deadline reminds the holder and the unit, and the migration gives the decisions made
before permits were records their permits."""

from __future__ import annotations

import datetime as dt
import importlib

import pytest
import time_machine
from django.apps import apps
from django.core import mail
from django.forms.models import model_to_dict

from casework.applications.choices import ApplicationKind, State
from casework.applications.services import application_decide
from casework.core.exceptions import TransitionInvalid
from casework.deadlines.reminders import reminder_deliver, sweep
from casework.models import (
    Application,
    AuditEvent,
    Deadline,
    Decision,
    Reminder,
    ResidencePermit,
)
from casework.permits.deadlines import PERMIT_EXPIRY
from tests.casework.reminder_helpers import OSLO
from tests.factories import ApplicationFactory, DecisionFactory, PersonFactory

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 3, 2, 10, 0, tzinfo=OSLO)


def examined(caseworker, unit, **person) -> Application:
    return ApplicationFactory(
        state=State.EXAMINED,
        unit=unit,
        assigned_to=caseworker,
        interview_held_at=T0 - dt.timedelta(days=3),
        person=PersonFactory(**person),
        kind=ApplicationKind.PROTECTION,
    )


def decide(app, decider, **kw) -> Application:
    with time_machine.travel(T0, tick=False):
        return application_decide(actor=decider, application=app, grounds="Grounds.", **kw)


def test_a_refugee_decision_gives_a_three_year_permit_by_default(caseworker, decider, unit):
    app = decide(examined(caseworker, unit), decider, outcome="refugee_convention")
    permit = ResidencePermit.objects.get(application=app)
    decision = Decision.objects.get(application=app)
    assert permit.decision == decision and permit.person == app.person
    assert (permit.permit_type, permit.valid_from, permit.valid_until) == (
        "refugee",
        dt.date(2026, 3, 2),
        dt.date(2029, 3, 1),
    )
    assert permit.permanent_residence_from == dt.date(2029, 3, 2)
    assert (decision.permit_type, decision.permit_months) == ("residence permit, refugee", 36)
    event = AuditEvent.objects.get(action="permit.granted")
    assert event.changes["subject"] == permit.audit_subject
    assert event.actor == decider


def test_the_decision_maker_chooses_a_year_when_the_identity_needs_checks(
    caseworker, decider, unit
):
    app = decide(
        examined(caseworker, unit),
        decider,
        outcome="humanitarian",
        identity_unverified=True,
    )
    permit = ResidencePermit.objects.get(application=app)
    assert (permit.permit_type, permit.valid_until, permit.identity_unverified) == (
        "humanitarian",
        dt.date(2027, 3, 1),
        True,
    )
    assert Decision.objects.get(application=app).permit_months == 12


def test_a_length_out_of_range_is_refused_and_nothing_is_written(caseworker, decider, unit):
    app = examined(caseworker, unit)
    with pytest.raises(TransitionInvalid) as err:
        decide(app, decider, outcome="refugee_convention", permit_months=48)
    assert err.value.message_dict == {
        "permit_months": [
            "A first permit runs 1 to 36 months; 3 years is the normal length "
            "(Immigration Regulations § 10-13)."
        ]
    }
    app.refresh_from_db()
    assert app.state == State.EXAMINED
    assert not ResidencePermit.objects.exists() and not Decision.objects.exists()


def test_a_minors_limited_permit_runs_until_the_18th_birthday(caseworker, decider, unit):
    app = examined(caseworker, unit, date_of_birth=dt.date(2009, 7, 14), unaccompanied_minor=True)
    decide(app, decider, outcome="minor_limited")
    permit = ResidencePermit.objects.get(application=app)
    assert (permit.permit_type, permit.valid_until) == ("minor_limited", dt.date(2027, 7, 13))
    assert permit.permanent_residence_from is None
    app.refresh_from_db()
    assert app.state == State.REJECTED  # counted as a rejection of protection


def test_a_minor_turning_18_on_the_decision_day_gets_no_limited_permit(caseworker, decider, unit):
    app = examined(caseworker, unit, date_of_birth=dt.date(2008, 3, 2))
    with pytest.raises(TransitionInvalid) as err:
        decide(app, decider, outcome="minor_limited")
    assert "18 or older (since 2026-03-02)" in err.value.message_dict["permit_type"][0]


def test_a_rejection_on_the_merits_gives_no_permit(caseworker, decider, unit):
    decide(examined(caseworker, unit), decider, outcome="rejected")
    assert not ResidencePermit.objects.exists()


def test_the_expiry_deadline_reminds_the_holder_in_their_language_and_the_unit(
    caseworker, decider, unit
):
    app = decide(
        examined(caseworker, unit, preferred_language="uk"),
        decider,
        outcome="refugee_convention",
        permit_months=12,
    )
    permit = ResidencePermit.objects.get(application=app)
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key, object_id=permit.pk)
    assert deadline.due_at == dt.datetime(2027, 3, 1, 23, 59, 59, tzinfo=OSLO)
    assert deadline.person_id == app.person_id and deadline.recipient_user == caseworker
    with time_machine.travel(deadline.due_at - dt.timedelta(days=92), tick=False):
        sweep(enqueue=False)
    assert not Reminder.objects.filter(deadline=deadline).exists()
    with time_machine.travel(deadline.due_at - dt.timedelta(days=90), tick=False):
        sweep(enqueue=False)
        recipients = set(
            Reminder.objects.filter(deadline=deadline).values_list("recipient", flat=True)
        )
        assert recipients == {f"person:{app.person_id}", f"user:{caseworker.pk}"}
        mail.outbox.clear()
        for r in Reminder.objects.filter(deadline=deadline, channel="email"):
            reminder_deliver(reminder_id=r.pk)
    to_holder = next(m for m in mail.outbox if m.to == [app.person.email])
    assert "1 березня 2027" in to_holder.body  # the date in Ukrainian
    assert "Ваш дозвіл на проживання" in to_holder.body
    to_unit = next(m for m in mail.outbox if m.to == [caseworker.email])
    assert "residence permit expiry" in to_unit.subject
    # the permit's deadline is not the case's, but the unit reads which case it belongs to
    assert deadline.application_id is None
    assert f"case {app.display_reference}" in to_unit.subject
    assert f"case {app.display_reference}" in to_unit.body


# --- the decisions made before permits were records -------------------------------------


def test_the_migration_gives_each_decided_case_its_permit_and_changes_nothing_else(
    caseworker, unit
):
    migration = importlib.import_module("casework.migrations.0029_permits")
    accepted = ApplicationFactory(state=State.ACCEPTED, unit=unit, assigned_to=caseworker)
    refugee = DecisionFactory(
        application=accepted,
        outcome="refugee_convention",
        permit_type="residence permit, refugee",
        permit_months=36,
        decided_at=dt.datetime(2025, 1, 31, 9, 0, tzinfo=OSLO),
    )
    old = ApplicationFactory(state=State.ACCEPTED, unit=unit)
    expired = DecisionFactory(
        application=old,
        outcome="collective",
        permit_type="residence permit, collective protection",
        permit_months=12,
        decided_at=dt.datetime(2022, 4, 1, 9, 0, tzinfo=OSLO),
    )
    rejected = ApplicationFactory(state=State.REJECTED, unit=unit)
    DecisionFactory(application=rejected, outcome="rejected", permit_type="", permit_months=None)

    def snapshot():
        return {
            "decisions": [model_to_dict(d) for d in Decision.objects.order_by("pk")],
            "cases": [model_to_dict(a) for a in Application.objects.order_by("pk")],
            "deadlines": list(
                Deadline.objects.exclude(source=PERMIT_EXPIRY.key).order_by("pk").values()
            ),
            "events": AuditEvent.objects.count(),
        }

    before = snapshot()
    with time_machine.travel(dt.datetime(2026, 3, 2, 12, 0, tzinfo=OSLO), tick=False):
        migration.permits_from_decisions(apps, None)
        migration.permits_from_decisions(apps, None)  # again: nothing more
    assert snapshot() == before
    permits = {p.decision_id: p for p in ResidencePermit.objects.all()}
    assert set(permits) == {refugee.pk, expired.pk}
    first = permits[refugee.pk]
    assert (first.permit_type, first.valid_from, first.valid_until) == (
        "refugee",
        dt.date(2025, 1, 31),
        dt.date(2028, 1, 30),
    )
    assert first.permanent_residence_from == dt.date(2028, 1, 31)
    assert permits[expired.pk].permit_type == "collective"
    assert permits[expired.pk].permanent_residence_from is None
    # Still valid: its expiry is reminded to the case's caseworker; the expired one is not.
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key)
    assert (deadline.object_id, deadline.recipient_user_id) == (first.pk, caseworker.pk)


def test_a_granted_family_reunification_gives_the_family_member_a_permit(decider):
    from integration import services
    from integration.choices import FamilyState, IncomeRule
    from tests.integration.factories import FamilyReunificationFactory

    r = FamilyReunificationFactory(state=FamilyState.EXAMINED, income_rule=IncomeRule.APPLIES)
    with time_machine.travel(T0, tick=False):
        r = services.family_transition(
            actor=decider,
            reunification=r,
            name="accept",
            grounds="ok",
            income_requirement_met=True,
        )
    permit = ResidencePermit.objects.get(person=r.applicant)
    assert (permit.permit_type, permit.valid_from, permit.valid_until) == (
        "family",
        dt.date(2026, 3, 2),
        dt.date(2027, 3, 1),
    )
    assert permit.application is None and permit.granted_by_record == r.audit_subject
    assert Deadline.objects.filter(source=PERMIT_EXPIRY.key, object_id=permit.pk).exists()
