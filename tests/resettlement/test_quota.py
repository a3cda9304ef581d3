"""The quota's boundary: the last place is taken, the next selection refused, a withdrawn
selection gives its place back, and a quota is never set below the places taken."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import AuditEvent, ResettlementQuota, ResettlementReferral
from casework.resettlement import services

from .conftest import referral

pytestmark = pytest.mark.django_db


def test_the_last_place_is_taken_and_the_next_selection_is_refused(
    quota, caseworker, decider, year
):
    first, second, third = (referral(caseworker) for _ in range(3))
    services.referral_transition(actor=decider, referral=first, name="select", quota_year=year)
    services.referral_transition(actor=decider, referral=second, name="select", quota_year=year)
    quota.refresh_from_db()
    assert (quota.places, quota.taken, quota.remaining) == (2, 2, 0)
    with pytest.raises(services.QuotaFull) as refused:
        services.referral_transition(actor=decider, referral=third, name="select", quota_year=year)
    assert f"All 2 places of the {year} resettlement quota are taken" in refused.value.message
    third.refresh_from_db()
    assert third.state == "referred" and third.quota_year is None
    assert not AuditEvent.objects.filter(
        action="resettlement.select", changes__subject=third.audit_subject
    ).exists()
    quota.refresh_from_db()
    assert quota.taken == 2


def test_a_withdrawn_selection_gives_its_place_back(quota, caseworker, decider, year):
    first, second, third = (referral(caseworker) for _ in range(3))
    for r in (first, second):
        services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    services.referral_transition(
        actor=caseworker, referral=first, name="withdraw", reason="The refugee declined."
    )
    quota.refresh_from_db()
    assert quota.taken == 1
    services.referral_transition(actor=decider, referral=third, name="select", quota_year=year)
    quota.refresh_from_db()
    assert quota.taken == 2
    counted = ResettlementReferral.objects.filter(
        quota_year=year, state__in=["selected", "arrived"]
    ).count()
    assert counted == quota.taken


def test_a_year_without_a_quota_cannot_be_selected_for(caseworker, decider, year):
    r = referral(caseworker)
    with pytest.raises(TransitionInvalid) as refused:
        services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    assert f"No resettlement quota is set for {year}" in str(refused.value.message_dict)


def test_a_quota_is_never_set_below_the_places_taken(quota, caseworker, decider, year):
    for r in (referral(caseworker), referral(caseworker)):
        services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    with pytest.raises(TransitionConflict, match="2 places of the .* quota are already taken"):
        services.quota_set(actor=decider, year=year, places=1)
    raised = services.quota_set(actor=decider, year=year, places=3, verified=True)
    assert (raised.places, raised.taken, raised.remaining, raised.verified) == (3, 2, 1, True)
    event = AuditEvent.objects.filter(action="resettlement_quota.changed").get()
    assert event.changes["places"] == [2, 3]


def test_a_quota_set_late_counts_the_places_already_taken(caseworker, decider, year):
    services.quota_set(actor=decider, year=year, places=1)
    r = referral(caseworker)
    services.referral_transition(actor=decider, referral=r, name="select", quota_year=year)
    ResettlementQuota.objects.filter(year=year).delete()  # as if the quota was never set
    with pytest.raises(TransitionConflict):
        services.quota_set(actor=decider, year=year, places=0)
    assert services.quota_set(actor=decider, year=year, places=5).taken == 1


def test_only_a_decision_maker_sets_the_quota(caseworker, registrar, year):
    for user in (caseworker, registrar):
        with pytest.raises(PermissionDenied):
            services.quota_set(actor=user, year=year, places=10)
    assert not ResettlementQuota.objects.exists()
