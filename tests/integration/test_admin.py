"""The integration admin: scoped lists, transitions through services, permission re-checks."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from casework.models import AuditEvent
from integration import services
from integration.choices import WorkPermitState
from integration.models import FamilyReunification, IntroductionProgramme, WorkPermit
from tests.factories import PersonFactory
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    eligible_case,
    settled,
)

pytestmark = pytest.mark.django_db


def login(client, user):
    client.force_login(user)
    return client


def permit_in(unit, **kw):
    app = eligible_case(unit=unit, **kw)
    return WorkPermitFactory(application=app, person=app.person)


def subject_events(obj) -> int:
    return AuditEvent.objects.filter(changes__subject=obj.audit_subject).count()


# --- Work permits ---------------------------------------------------------------------------


def test_lists_are_scoped_to_the_users_unit(client, unit, other_unit, decider):
    mine, theirs = permit_in(unit), permit_in(other_unit)
    page = login(client, decider).get(reverse("admin:integration_workpermit_changelist"))
    assert page.status_code == 200
    ids = {p.pk for p in page.context["cl"].result_list}
    assert ids == {mine.pk}
    other = client.get(reverse("admin:integration_workpermit_change", args=[theirs.pk]))
    assert other.status_code == 302  # the admin's answer for an object outside the queryset


def test_the_change_page_offers_only_what_the_user_may_do(client, unit, caseworker, decider):
    permit = permit_in(unit)
    url = reverse("admin:integration_workpermit_change", args=[permit.pk])
    grant_url = reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"])
    page = login(client, decider).get(url)
    assert grant_url in page.content.decode()
    assert "Every condition is met." in page.content.decode()
    page = login(client, caseworker).get(url)
    assert page.status_code == 200 and grant_url not in page.content.decode()


def test_granting_through_the_admin_calls_the_service(client, unit, decider):
    permit = permit_in(unit)
    url = reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"])
    response = login(client, decider).post(url, {"months": "4", "valid_from": "2026-12-01"})
    assert response.status_code == 302
    permit.refresh_from_db()
    assert permit.state == WorkPermitState.GRANTED and permit.valid_until == dt.date(2027, 3, 31)
    page = client.get(reverse("admin:integration_workpermit_change", args=[permit.pk]))
    assert "Work permit granted" in page.content.decode()  # the timeline, in words


def test_a_forged_post_is_refused_and_leaves_no_trace(client, unit, caseworker):
    permit = permit_in(unit)
    for name in ("grant", "expire", "delete"):
        url = reverse("admin:integration_workpermit_transition", args=[permit.pk, name])
        assert login(client, caseworker).post(url, {"months": "6"}).status_code == 403
    permit.refresh_from_db()
    assert permit.state == WorkPermitState.REQUESTED and subject_events(permit) == 0


def test_unmet_conditions_are_shown_on_the_form(client, unit, decider):
    permit = permit_in(unit)
    permit.person.documents.update(verified=False)
    url = reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"])
    page = login(client, decider).post(url, {"months": "6"})
    assert page.status_code == 200
    assert "Identity is not documented" in page.content.decode()
    permit.refresh_from_db()
    assert permit.state == WorkPermitState.REQUESTED and subject_events(permit) == 0


def test_the_state_cannot_be_edited_in_the_change_form(client, unit, decider):
    permit = permit_in(unit)
    url = reverse("admin:integration_workpermit_change", args=[permit.pk])
    login(client, decider).post(url, {"state": "granted", "interview_waiver_group": "syria"})
    permit.refresh_from_db()
    assert permit.state == WorkPermitState.REQUESTED and permit.interview_waiver_group == ""


def test_a_request_is_registered_by_case_reference(client, unit, caseworker):
    app = eligible_case(unit=unit)
    url = reverse("admin:integration_workpermit_create")
    response = login(client, caseworker).post(url, {"reference": app.display_reference})
    assert response.status_code == 302
    assert WorkPermit.objects.get().application == app
    collective = eligible_case(unit=unit, kind="collective")
    page = client.post(url, {"reference": collective.reference})
    assert "needs no temporary work permit" in page.content.decode()


# --- Family reunification -------------------------------------------------------------------


def test_family_registration_shows_which_income_rule_applies(client, caseworker):
    sponsor = PersonFactory()
    child = PersonFactory(date_of_birth=timezone.localdate() - dt.timedelta(days=3000))
    response = login(client, caseworker).post(
        reverse("admin:integration_familyreunification_create"),
        {
            "sponsor": sponsor.registration_number,
            "applicant": child.registration_number,
            "relation": "child",
            "sponsor_basis": "residence_permit",
            "sponsor_arrived_on": "2020-01-01",
        },
    )
    assert response.status_code == 302
    r = FamilyReunification.objects.get()
    page = client.get(reverse("admin:integration_familyreunification_change", args=[r.pk]))
    assert "income requirement applies" in page.content.decode()
    assert "not a refugee" in page.content.decode()


def test_an_accept_with_missing_input_shows_field_errors(client, decider):
    r = FamilyReunificationFactory(state="examined")
    url = reverse("admin:integration_familyreunification_transition", args=[r.pk, "accept"])
    page = login(client, decider).post(url, {"grounds": ""})
    assert page.status_code == 200
    errors = page.context["form"].errors
    assert "grounds" in errors and "income_requirement_met" in errors
    r.refresh_from_db()
    assert r.state == "examined" and subject_events(r) == 0


# --- Introduction programme -----------------------------------------------------------------


def test_an_officer_enrols_and_plans_in_their_municipality(client, bergen_officer, oslo_officer):
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    response = login(client, bergen_officer).post(
        reverse("admin:integration_introductionprogramme_create"),
        {
            "settlement": settlement.pk,
            "start_on": start.isoformat(),
            "planned_end_on": (start + dt.timedelta(days=700)).isoformat(),
        },
    )
    assert response.status_code == 302
    programme = IntroductionProgramme.objects.get()
    response = client.post(
        reverse("admin:integration_introductionprogramme_element", args=[programme.pk]),
        {"kind": "norwegian", "hours_per_week": "40", "start_on": start.isoformat()},
        follow=True,
    )
    assert "more than full time" in response.content.decode()

    # The Oslo officer neither sees nor enrols Bergen's people.
    login(client, oslo_officer)
    listing = client.get(reverse("admin:integration_introductionprogramme_changelist"))
    assert list(listing.context["cl"].result_list) == []
    form = client.get(reverse("admin:integration_introductionprogramme_create"))
    assert list(form.context["form"].fields["settlement"].queryset) == []
    element = reverse("admin:integration_introductionprogramme_element", args=[programme.pk])
    assert client.post(element, {}).status_code == 404


def test_an_ineligible_person_is_refused_with_the_reason(client, bergen_officer):
    settlement = settled(outcome="minor_limited")
    page = login(client, bergen_officer).post(
        reverse("admin:integration_introductionprogramme_create"),
        {
            "settlement": settlement.pk,
            "start_on": settlement.settled_on.isoformat(),
            "planned_end_on": (settlement.settled_on + dt.timedelta(days=300)).isoformat(),
        },
    )
    assert page.status_code == 200 and "No qualifying permit" in page.content.decode()
    assert not IntroductionProgramme.objects.exists()


def test_the_enrolment_page_offers_settlements_by_search_not_as_a_list(
    client, bergen_officer, oslo_officer
):
    """However many people are settled, the page renders none of them: the officer types a
    registration number or a municipality and the admin's autocomplete widget asks."""
    mine = [settled() for _ in range(12)]
    theirs = settled(municipality="Oslo")
    enrolled = mine.pop()
    services.programme_enrol(
        actor=bergen_officer,
        settlement=enrolled,
        start_on=enrolled.settled_on,
        planned_end_on=enrolled.settled_on + dt.timedelta(days=700),
    )
    page = login(client, bergen_officer).get(
        reverse("admin:integration_introductionprogramme_create")
    )
    html = page.content.decode()
    assert 'class="admin-autocomplete' in html and "admin/js/autocomplete.js" in html
    assert html.count("<option") <= 1  # the empty choice at most, never the settlements
    assert not any(s.person.registration_number in html for s in mine)

    suggest = reverse("admin:integration_introductionprogramme_settlements")
    everyone = client.get(suggest).json()
    assert {r["id"] for r in everyone["results"]} == {str(s.pk) for s in mine}
    wanted = mine[3]
    number = wanted.person.registration_number
    found = client.get(suggest, {"term": number[:12]}).json()["results"]
    assert found == [{"id": str(wanted.pk), "text": f"{number} — {wanted}"}]
    assert client.get(suggest, {"term": "Berg"}).json()["results"]
    assert client.get(suggest, {"term": "Oslo"}).json()["results"] == []

    # a link from the start page chooses the person: that one option, and only it
    chosen = client.get(
        reverse("admin:integration_introductionprogramme_create"), {"settlement": wanted.pk}
    ).content.decode()
    assert number in chosen and chosen.count("<option") <= 2  # the empty one and it

    # the Oslo officer is offered Oslo's person only; a reception officer nothing at all
    login(client, oslo_officer)
    assert [r["id"] for r in client.get(suggest).json()["results"]] == [str(theirs.pk)]


def test_other_roles_get_no_enrolment_suggestions(client, reception_officer, caseworker):
    suggest = reverse("admin:integration_introductionprogramme_settlements")
    for user in (reception_officer, caseworker):
        assert login(client, user).get(suggest).status_code == 403


@pytest.mark.parametrize("model", ["workpermit", "familyreunification", "introductionprogramme"])
def test_other_roles_do_not_reach_the_pages(model, client, reception_officer):
    url = reverse(f"admin:integration_{model}_changelist")
    assert login(client, reception_officer).get(url).status_code == 403


def test_a_change_between_opening_and_submitting_is_shown_not_applied(
    client, unit, decider, registrar
):
    """The page was opened while the permit was requested; meanwhile the police refused it."""
    permit = permit_in(unit)
    url = reverse("admin:integration_workpermit_transition", args=[permit.pk, "grant"])
    assert login(client, decider).get(url).status_code == 200
    services.work_permit_transition(actor=registrar, permit=permit, name="refuse", grounds="x")
    page = client.post(url, {"months": "6"})
    assert page.status_code == 200
    assert "not possible while it is refused" in page.content.decode()
    permit.refresh_from_db()
    assert permit.state == WorkPermitState.REFUSED
    assert not AuditEvent.objects.filter(action="work_permit.grant").exists()


def test_the_integration_officer_group_holds_its_model_permissions(integration_officer):
    for perm in (
        "integration.view_introductionprogramme",
        "integration.add_introductionprogramme",
        "integration.add_programmeelement",
    ):
        assert integration_officer.has_perm(perm)
    assert not integration_officer.has_perm("integration.view_workpermit")
    from django.contrib.auth.models import Permission

    assert not Permission.objects.filter(codename="manage_programme").exists()


# --- Every role against every integration admin page ----------------------------------------

# Which of the three records each role sees in the admin: its list shows it and its change
# page opens; None: the role may not open the model's pages at all (403).
ADMIN_SCOPE = {
    "caseworker": {"workpermit": True, "familyreunification": True, "introductionprogramme": None},
    "decider": {"workpermit": True, "familyreunification": True, "introductionprogramme": None},
    "appeals": {"workpermit": None, "familyreunification": False, "introductionprogramme": None},
    "registrar": {"workpermit": True, "familyreunification": True, "introductionprogramme": None},
    "reception": {"workpermit": None, "familyreunification": None, "introductionprogramme": None},
    "integration": {"workpermit": None, "familyreunification": None, "introductionprogramme": True},
    "auditor": {"workpermit": True, "familyreunification": True, "introductionprogramme": True},
    "outsider": {"workpermit": False, "familyreunification": True, "introductionprogramme": None},
}


@pytest.mark.parametrize("role", list(ADMIN_SCOPE))
def test_each_role_sees_exactly_its_integration_records_in_the_admin(
    role, client, unit, role_users
):
    from integration.models import MunicipalityOfficer
    from tests.integration.factories import municipality_named

    officer = role_users["integration"]
    MunicipalityOfficer.objects.create(user=officer, municipality=municipality_named("Bergen"))
    settlement = settled()
    start = settlement.settled_on + dt.timedelta(days=1)
    records = {
        "workpermit": permit_in(unit),
        "familyreunification": FamilyReunificationFactory(),
        "introductionprogramme": services.programme_enrol(
            actor=officer,
            settlement=settlement,
            start_on=start,
            planned_end_on=start + dt.timedelta(days=300),
        ),
    }
    login(client, role_users[role])
    for model, obj in records.items():
        sees = ADMIN_SCOPE[role][model]
        listing = client.get(reverse(f"admin:integration_{model}_changelist"))
        change = client.get(reverse(f"admin:integration_{model}_change", args=[obj.pk]))
        if sees is None:
            assert (listing.status_code, change.status_code) == (403, 403), (role, model)
            continue
        assert listing.status_code == 200, (role, model)
        assert [o.pk for o in listing.context["cl"].result_list] == ([obj.pk] if sees else [])
        # Out of scope: the admin's "does not exist" redirect, as for an id never used.
        assert change.status_code == (200 if sees else 302), (role, model)
