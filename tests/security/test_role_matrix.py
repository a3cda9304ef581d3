"""Every role against every casework admin page: what it lists, what it opens, what it may not.

A record outside the role's scope is never shown: not in a list, not on its change or history
page (the admin's "does not exist" redirect, exactly as for an id that was never used), not
in an autocomplete answer. Pages of models the role has no permission for are 403.
"""

from __future__ import annotations

import pytest
from django.db.models import Q
from django.urls import reverse

from casework.models import AuditEvent
from casework.privacy import scopes
from casework.staff.choices import Role

pytestmark = pytest.mark.django_db

# Which of the world's people each role may see (cases follow: a person's one application).
VISIBLE_PEOPLE = {
    "caseworker": {"p_here", "p_intake"},
    "decider": {"p_here", "p_intake"},
    "appeals": {"p_appealed"},
    "registrar": {"p_here", "p_there", "p_appealed", "p_intake"},
    "reception": set(),
    "integration": set(),
    "auditor": {"p_here", "p_there", "p_appealed", "p_intake"},
    "outsider": {"p_there", "p_appealed", "p_intake"},
    "coordinator": set(),  # bookings and the calendar, not the people's files
    "lawyer": {"p_there"},  # their client's (a current appointment), nobody else
}
CASE_OF = {"p_here": "app_here", "p_there": "app_there", "p_appealed": "app_appealed"}
FLAG_OF = {"p_here": "flag_here", "p_there": "flag_there"}
EVENT_OF = {"p_here": "event_here", "p_there": "event_there"}
# Model pages each role may open at all (the group's view permission).
MAY_OPEN = {
    "caseworker": {"person", "application", "duplicateflag", "auditevent"},
    "decider": {"person", "application", "auditevent"},
    "appeals": {"person", "application", "auditevent"},
    "registrar": {"person", "application"},
    "reception": {"person"},
    "integration": {"person"},
    "auditor": {"person", "application", "duplicateflag", "auditevent", "accesslog"},
    "outsider": {"person", "application", "duplicateflag", "auditevent"},
    "coordinator": set(),
    "lawyer": {"person", "application"},
}
ROLES = list(VISIBLE_PEOPLE)


def change(model: str, pk: int) -> str:
    return reverse(f"admin:casework_{model}_change", args=[pk])


def listed(client, model: str, query: str = "") -> set[int] | int:
    response = client.get(reverse(f"admin:casework_{model}_changelist") + query)
    if response.status_code != 200:
        return response.status_code
    return {obj.pk for obj in response.context["cl"].result_list}


@pytest.mark.parametrize("role", ROLES)
def test_lists_show_exactly_the_roles_scope(role, client, role_users, world):
    client.force_login(role_users[role])
    people = VISIBLE_PEOPLE[role]
    cases = {getattr(world, CASE_OF[p]).pk for p in people if p in CASE_OF}
    flags = {getattr(world, FLAG_OF[p]).pk for p in people if p in FLAG_OF}
    events = {getattr(world, EVENT_OF[p]).pk for p in people if p in EVENT_OF}
    expected = {
        "person": {getattr(world, p).pk for p in people},
        "application": cases,
        "duplicateflag": flags,
        "auditevent": events,
    }
    for model, pks in expected.items():
        query = "?assigned=all" if model == "application" else ""
        got = listed(client, model, query)
        if model in MAY_OPEN[role]:
            assert got == pks, (role, model)
        else:
            assert got == 403, (role, model)


@pytest.mark.parametrize("role", ROLES)
def test_change_and_history_pages_open_only_in_scope(role, client, role_users, world):
    """Guessing ids: an out-of-scope record gives the same answer as one that never existed."""
    client.force_login(role_users[role])
    for name in ("p_here", "p_there", "p_appealed", "p_intake"):
        person = getattr(world, name)
        targets = [("person", person.pk, str(person))]
        if name in CASE_OF:
            app = getattr(world, CASE_OF[name])
            targets.append(("application", app.pk, str(app)))
        if name in FLAG_OF:
            flag = getattr(world, FLAG_OF[name])
            targets.append(("duplicateflag", flag.pk, str(flag)))
        for model, pk, marker in targets:
            for url in (change(model, pk), change(model, pk).replace("/change/", "/history/")):
                response = client.get(url, follow=False)
                visible = name in VISIBLE_PEOPLE[role] and model in MAY_OPEN[role]
                if visible:
                    assert response.status_code == 200, (role, model, name, url)
                    assert marker in response.content.decode()
                else:
                    assert response.status_code in (302, 403, 404), (role, model, name, url)
                    assert marker not in response.content.decode()
    never = change("person", 999_999)
    assert client.get(never).status_code in (302, 403)


@pytest.mark.parametrize("role", ROLES)
def test_autocomplete_answers_only_in_scope(role, client, role_users, world):
    client.force_login(role_users[role])
    response = client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Ra",
            "app_label": "casework",
            "model_name": "householdlink",
            "field_name": "relative",
        },
    )
    if "person" not in MAY_OPEN[role]:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    got = {int(r["id"]) for r in response.json()["results"]}
    # Every world person's family name starts with "Ra".
    assert got == {getattr(world, p).pk for p in VISIBLE_PEOPLE[role]}, role


@pytest.mark.parametrize("role", ["auditor", "reception", "integration", "coordinator", "lawyer"])
def test_read_only_roles_change_nothing(role, client, role_users, world):
    client.force_login(role_users[role])
    person = world.p_here
    before = AuditEvent.objects.count()
    assert client.get(reverse("admin:casework_person_add")).status_code in (403, 200)
    response = client.post(change("person", person.pk), {"given_name": "Changed"})
    assert response.status_code in (302, 403)
    response = client.post(reverse("admin:casework_person_delete", args=[person.pk]), {"post": 1})
    assert response.status_code in (302, 403)
    for name in ("start_examination", "withdraw", "accept"):
        url = reverse("admin:casework_application_transition", args=[world.app_here.pk, name])
        client.post(url, {"version": world.app_here.version, "reason": "x"})
    person.refresh_from_db()
    world.app_here.refresh_from_db()
    assert person.given_name == "Amina"
    assert world.app_here.state == "submitted"
    assert AuditEvent.objects.count() == before


def test_the_auditor_may_add_nothing_even_if_granted(client, auditor, world):
    from django.contrib.auth.models import Permission

    auditor.user_permissions.add(Permission.objects.get(codename="change_person"))
    client.force_login(auditor)
    assert client.get(reverse("admin:casework_person_add")).status_code == 403
    page = client.get(change("person", world.p_here.pk)).content.decode()
    assert 'name="given_name"' not in page  # shown read-only
    response = client.post(change("person", world.p_here.pk), {"given_name": "Changed"})
    assert response.status_code == 403


@pytest.fixture
def reception_scope(world, monkeypatch):
    """Instead of what the reception app registers: residents of the officer's centres."""
    monkeypatch.setitem(
        scopes._person_scopes, Role.RECEPTION.value, [lambda user: Q(pk=world.p_here.pk)]
    )


def test_reception_sees_its_residents_but_no_case_or_grounds(
    client, reception_officer, world, reception_scope
):
    from django.contrib.auth.models import Permission

    client.force_login(reception_officer)
    assert listed(client, "person") == {world.p_here.pk}
    page = client.get(change("person", world.p_here.pk)).content.decode()
    assert world.p_here.registration_number in page
    assert world.app_here.display_reference not in page  # no case in the person's page
    # Even with the permission to read events, the grounds written in them stay hidden.
    reception_officer.user_permissions.add(Permission.objects.get(codename="view_auditevent"))
    page = client.get(change("auditevent", world.event_here.pk)).content.decode()
    assert "GROUNDS-HERE" not in page
    assert client.get(change("auditevent", world.event_there.pk)).status_code == 302
    client.force_login(reception_officer)


def test_a_caseworker_sees_the_grounds_of_their_units_events(client, caseworker, world):
    client.force_login(caseworker)
    page = client.get(change("auditevent", world.event_here.pk)).content.decode()
    assert "GROUNDS-HERE" in page


def test_the_person_page_lists_only_the_cases_in_scope(client, caseworker, other_unit, world):
    from tests.factories import ApplicationFactory

    elsewhere = ApplicationFactory(person=world.p_here, unit=other_unit)
    client.force_login(caseworker)
    page = client.get(change("person", world.p_here.pk)).content.decode()
    assert world.app_here.display_reference in page
    assert elsewhere.display_reference not in page


def test_an_unscoped_model_is_hidden_rather_than_leaked(caseworker, auditor):
    from casework.models import Unit

    assert scopes.visible_to(caseworker, Unit.objects.all()).query.is_empty()
    assert not scopes.visible_to(auditor, Unit.objects.all()).query.is_empty()


def test_simple_history_pages_are_scoped_too(rf, caseworker, world):
    """django-simple-history's history view falls back to the newest historical row when the
    admin's queryset does not hold the object; the scoped mixin refuses first."""
    from django.contrib.admin import AdminSite
    from django.contrib.messages.storage.fallback import FallbackStorage
    from simple_history.admin import SimpleHistoryAdmin

    from casework.admin.base import ScopedAdminMixin
    from casework.models import Person

    class HistoryAdmin(ScopedAdminMixin, SimpleHistoryAdmin):
        pass

    world.p_there.given_name = "Changed"
    world.p_there.save()  # a history row for an out-of-scope person
    model_admin = HistoryAdmin(Person, AdminSite())

    def get(url: str, *args: str):
        request = rf.get(url)
        request.user = caseworker
        request.session = {}
        request._messages = FallbackStorage(request)
        return request

    response = model_admin.history_view(get("/h/"), str(world.p_there.pk))
    assert response.status_code == 302
    version = Person.history.filter(id=world.p_there.pk).latest("history_date").history_id
    response = model_admin.history_form_view(get("/h/"), str(world.p_there.pk), str(version))
    assert response.status_code == 302
    assert response["Location"] == "/admin/"  # the admin's "does not exist", nothing shown


def test_deadlines_and_reminders_follow_their_case(caseworker, appeals, auditor, world):
    """For the reminders admin: ``ScopedAdminMixin`` on it gives exactly this."""
    from casework.models import Deadline, Reminder
    from tests.factories import DeadlineFactory, ReminderFactory

    here = DeadlineFactory(application=world.app_here, person=world.p_here)
    there = DeadlineFactory(application=world.app_there, person=world.p_there)
    reminder_here, reminder_there = ReminderFactory(deadline=here), ReminderFactory(deadline=there)
    assert list(scopes.visible_to(caseworker, Deadline.objects.all())) == [here]
    assert list(scopes.visible_to(caseworker, Reminder.objects.all())) == [reminder_here]
    assert list(scopes.visible_to(appeals, Reminder.objects.all())) == []
    assert set(scopes.visible_to(auditor, Reminder.objects.all())) == {
        reminder_here,
        reminder_there,
    }


@pytest.mark.parametrize("role", ROLES)
def test_administrative_pages_are_closed_to_every_role_but_the_auditors_log(
    role, client, role_users, world
):
    client.force_login(role_users[role])
    for model in ("unit", "staffprofile", "accesslog"):
        url = reverse(f"admin:casework_{model}_changelist")
        expected = 200 if role == "auditor" else 403  # the auditor reads, nobody else
        assert client.get(url).status_code == expected, (role, model)
    assert client.get("/admin/auth/user/").status_code == 403


def test_the_case_timeline_shows_grounds_only_to_roles_that_need_them(
    client, caseworker, registrar, auditor, world
):
    url = reverse("admin:casework_application_change", args=[world.app_here.pk])
    for user, sees in ((caseworker, True), (auditor, True), (registrar, False)):
        client.force_login(user)
        page = client.get(url).content.decode()
        assert ("GROUNDS-HERE persecution" in page) is sees, user
