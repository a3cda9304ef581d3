"""A referral's transitions by state and by role: who selects, who records the arrival, what
the arrival opens, and what is refused (403 may not, 409 not now), writing nothing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import Application, AuditEvent
from casework.resettlement import services
from casework.transitions.services import transitions_available

from .conftest import referral

pytestmark = pytest.mark.django_db


def _events(r) -> list[str]:
    return list(
        AuditEvent.objects.filter(changes__subject=r.audit_subject)
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_selected_then_arrived_opens_the_resettlement_case(
    quota, caseworker, decider, registrar, year, unit
):
    r = referral(caseworker)
    assert r.state == "referred" and r.unit == unit and r.person.registration_number
    services.referral_transition(
        actor=decider, referral=r, name="select", quota_year=year, reason="Mission, Beirut."
    )
    arrived_on = timezone.localdate() - dt.timedelta(days=2)
    done = services.referral_transition(
        actor=registrar, referral=r, name="record_arrival", arrived_on=arrived_on
    )
    assert done.state == "arrived" and done.arrived_on == arrived_on
    case = Application.objects.get(resettlement_referral=done)
    assert (case.kind, case.state, case.lodged_on, case.person_id, case.unit_id) == (
        "resettlement",
        "submitted",
        arrived_on,
        r.person_id,
        unit.pk,
    )
    assert _events(r) == [
        "resettlement.referred",
        "resettlement.select",
        "resettlement.record_arrival",
    ]
    quota.refresh_from_db()
    assert quota.taken == 1  # the arrival keeps the place it was selected into


@pytest.mark.parametrize(
    ("name", "who", "values"),
    [
        ("select", "caseworker", {"quota_year": 0}),
        ("select", "registrar", {"quota_year": 0}),
        ("not_select", "caseworker", {"reason": "no"}),
        ("withdraw", "registrar", {"reason": "no"}),
        ("withdraw", "reception_officer", {"reason": "no"}),
    ],
)
def test_roles_that_may_not_are_refused_and_nothing_is_written(
    request, quota, caseworker, year, name, who, values
):
    r = referral(caseworker)
    user = request.getfixturevalue(who)
    values = {k: (year if k == "quota_year" else v) for k, v in values.items()}
    before = AuditEvent.objects.count()
    with pytest.raises(PermissionDenied):
        services.referral_transition(actor=user, referral=r, name=name, **values)
    r.refresh_from_db()
    assert r.state == "referred" and AuditEvent.objects.count() == before


def test_the_arrival_of_a_referral_not_selected_is_refused(quota, caseworker, decider):
    r = referral(caseworker)
    services.referral_transition(actor=decider, referral=r, name="not_select", reason="Criteria.")
    with pytest.raises(TransitionConflict, match="not possible while the referral is not sel"):
        services.referral_transition(
            actor=caseworker, referral=r, name="record_arrival", arrived_on=timezone.localdate()
        )
    with pytest.raises(TransitionConflict):
        services.referral_transition(actor=decider, referral=r, name="select", quota_year=2026)
    assert not Application.objects.filter(person=r.person).exists()


def test_an_arrived_refugee_cannot_be_withdrawn_and_the_place_stays(
    quota, caseworker, decider, year
):
    r = referral(caseworker)
    services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    services.referral_transition(
        actor=caseworker, referral=r, name="record_arrival", arrived_on=timezone.localdate()
    )
    with pytest.raises(TransitionConflict):
        services.referral_transition(actor=caseworker, referral=r, name="withdraw", reason="x")
    quota.refresh_from_db()
    assert quota.taken == 1


def test_an_arrival_before_the_referral_or_in_the_future_is_refused(
    quota, caseworker, decider, year
):
    r = referral(caseworker)
    services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    for day, message in (
        (r.referral_date - dt.timedelta(days=1), "before the referral"),
        (timezone.localdate() + dt.timedelta(days=1), "in the future"),
    ):
        with pytest.raises(TransitionInvalid, match=message):
            services.referral_transition(
                actor=caseworker, referral=r, name="record_arrival", arrived_on=day
            )
    r.refresh_from_db()
    assert r.state == "selected" and r.application_id is None


def test_not_selecting_needs_grounds(quota, caseworker, decider):
    r = referral(caseworker)
    with pytest.raises(TransitionInvalid, match="Grounds is required"):
        services.referral_transition(actor=decider, referral=r, name="not_select", reason=" ")


def test_each_role_is_offered_what_it_may_do_now(
    quota, caseworker, decider, registrar, reception_officer
):
    r = referral(caseworker)
    offered = {
        user.username: transitions_available(workflow=services.REFERRALS, record=r, user=user)
        for user in (caseworker, decider, registrar, reception_officer)
    }
    assert offered == {
        "caseworker": ["withdraw"],
        "decider": ["select", "not_select", "withdraw"],
        "registrar": [],
        "reception": [],
    }


def test_a_unhcr_reference_is_registered_once(caseworker):
    referral(caseworker, unhcr_reference="SYR-1")
    with pytest.raises(TransitionConflict, match="SYR-1 is already registered"):
        referral(caseworker, unhcr_reference="SYR-1")
