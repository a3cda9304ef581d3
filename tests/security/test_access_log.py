"""Every read of personal data leaves one access-log row: who, when, what, and why."""

from __future__ import annotations

import pytest
from django.db import connection, transaction
from django.db.utils import DatabaseError
from django.urls import reverse
from rest_framework import serializers, viewsets
from rest_framework.test import APIRequestFactory, force_authenticate

from casework.models import AccessLog, Application
from casework.privacy.access import AccessLoggedViewSetMixin, access_log

pytestmark = pytest.mark.django_db


def rows() -> list[AccessLog]:
    return list(AccessLog.objects.order_by("id"))


def only_row() -> AccessLog:
    found = rows()
    assert len(found) == 1, [(r.action, r.model, r.query) for r in found]
    return found[0]


def test_opening_a_case_logs_it_and_the_case_page_shows_who(client, caseworker, world):
    caseworker.first_name, caseworker.last_name = "Kari", "Nordmann"
    caseworker.save()
    client.force_login(caseworker)
    page = client.get(reverse("admin:casework_application_change", args=[world.app_here.pk]))
    row = only_row()
    assert (row.user, row.action, row.model, row.object_id, row.via) == (
        caseworker,
        "view",
        "casework.application",
        world.app_here.pk,
        "admin",
    )
    html = page.content.decode()
    assert "Who has looked at this case" in html
    assert "Kari Nordmann" in html.split("Who has looked at this case")[1]


def test_opening_a_person_and_their_history_is_logged(client, caseworker, world):
    client.force_login(caseworker)
    url = reverse("admin:casework_person_change", args=[world.p_here.pk])
    client.get(url)
    client.get(url.replace("/change/", "/history/"))
    views = [(r.action, r.model, r.object_id, r.query) for r in rows()]
    assert views == [
        ("view", "casework.person", world.p_here.pk, ""),
        ("view", "casework.person", world.p_here.pk, "history"),
    ]


def test_a_name_search_logs_its_shape_and_the_ids_never_the_name(client, caseworker, world):
    client.force_login(caseworker)
    client.get(reverse("admin:casework_person_changelist"), {"q": "Rahimi"})
    row = only_row()
    assert row.action == "search"
    assert row.query == "search by name"
    assert row.object_ids == [world.p_here.pk] and row.count == 1
    assert "Rahimi" not in str(row.__dict__)


def test_a_filtered_list_logs_the_filter_names_and_a_reference_search_its_kind(
    client, caseworker, world
):
    client.force_login(caseworker)
    base = reverse("admin:casework_application_changelist")
    client.get(base, {"assigned": "all", "state": "submitted", "nationality": "AF"})
    client.get(base, {"assigned": "all", "q": world.app_here.reference.lower()})
    listed, searched = rows()
    assert (listed.action, listed.query) == ("list", "filters: assigned, nationality, state")
    assert listed.object_ids == [world.app_here.pk]
    assert (searched.action, searched.query) == (
        "search",
        "search by case reference; filters: assigned",
    )
    assert world.app_here.reference not in searched.query


def test_autocomplete_lookups_are_logged(client, caseworker, world):
    client.force_login(caseworker)
    client.get(
        reverse("admin:autocomplete"),
        {
            "term": "Rah",
            "app_label": "casework",
            "model_name": "householdlink",
            "field_name": "relative",
        },
    )
    row = only_row()
    assert (row.action, row.model, row.query) == (
        "search",
        "casework.person",
        "autocomplete search by name",
    )
    assert row.object_ids == [world.p_here.pk]


def test_a_refused_page_logs_nothing(client, caseworker, world):
    client.force_login(caseworker)
    client.get(reverse("admin:casework_application_change", args=[world.app_there.pk]))
    assert rows() == []


def test_a_purpose_is_asked_for_a_case_assigned_to_someone_else(
    client, settings, caseworker, other_caseworker, world
):
    settings.ACCESS_PURPOSE_REQUIRED = True
    Application.objects.filter(pk=world.app_here.pk).update(assigned_to=other_caseworker)
    client.force_login(caseworker)
    url = reverse("admin:casework_application_change", args=[world.app_here.pk])
    page = client.get(url)
    assert "Why are you opening this file?" in page.content.decode()
    assert rows() == []
    response = client.post(url, {"_access_purpose": "Covering for a colleague on leave"})
    assert response.status_code == 302
    client.get(url)
    assert only_row().purpose == "Covering for a colleague on leave"


def test_own_cases_open_without_a_purpose(client, settings, caseworker, world):
    settings.ACCESS_PURPOSE_REQUIRED = True
    Application.objects.filter(pk=world.app_here.pk).update(assigned_to=caseworker)
    client.force_login(caseworker)
    client.get(reverse("admin:casework_application_change", args=[world.app_here.pk]))
    assert only_row().purpose == ""


def test_the_log_is_append_only_in_code_and_admin(client, auditor, caseworker):
    row = access_log(user=caseworker, action="view", objects=[1], model=Application)
    with pytest.raises(RuntimeError):
        row.save()
    with pytest.raises(RuntimeError):
        row.delete()
    client.force_login(auditor)
    assert client.get(reverse("admin:casework_accesslog_changelist")).status_code == 200
    change = reverse("admin:casework_accesslog_change", args=[row.pk])
    page = client.get(change).content.decode()
    assert 'name="_save"' not in page and "Delete" not in page
    assert client.post(change, {"purpose": "edited"}).status_code == 403
    delete = reverse("admin:casework_accesslog_delete", args=[row.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert AccessLog.objects.get(pk=row.pk).purpose == ""


def test_staff_see_only_their_own_access_rows_and_auditors_all(caseworker, auditor):
    from casework.privacy.scopes import visible_to

    mine = access_log(user=caseworker, action="view", objects=[1], model=Application)
    theirs = access_log(user=auditor, action="view", objects=[2], model=Application)
    assert list(visible_to(caseworker, AccessLog.objects.all())) == [mine]
    assert set(visible_to(auditor, AccessLog.objects.all())) == {mine, theirs}


@pytest.mark.services("postgres")
@pytest.mark.django_db(transaction=True)
def test_postgresql_refuses_update_and_delete_of_access_rows(caseworker):
    row = access_log(user=caseworker, action="view", objects=[1], model=Application)
    for sql in (
        "UPDATE casework_accesslog SET purpose = 'x' WHERE id = %s",
        "DELETE FROM casework_accesslog WHERE id = %s",
    ):
        with (
            pytest.raises(DatabaseError, match="append-only"),
            transaction.atomic(),
            connection.cursor() as cursor,
        ):
            cursor.execute(sql, [row.pk])
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        AccessLog.objects.filter(pk=row.pk).update(purpose="x")
    assert AccessLog.objects.get(pk=row.pk).purpose == ""


# --- the DRF mixin the API adopts ----------------------------------------------------------


class _ApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = ("id", "reference", "state")


class _ApplicationViewSet(AccessLoggedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pagination_class = None
    queryset = Application.objects.all()
    serializer_class = _ApplicationSerializer


def _call(user, action: str, **kwargs):
    factory = APIRequestFactory()
    request = factory.get("/api/v1/applications/", {"state": "submitted"})
    force_authenticate(request, user=user)
    view = _ApplicationViewSet.as_view({"get": action})
    return view(request, **kwargs)


def test_the_api_mixin_scopes_and_logs_retrieve_and_list(caseworker, world):
    response = _call(caseworker, "retrieve", pk=world.app_here.pk)
    assert response.status_code == 200
    assert _call(caseworker, "retrieve", pk=world.app_there.pk).status_code == 404
    response = _call(caseworker, "list")
    assert [r["id"] for r in response.data] == [world.app_here.pk]
    viewed, listed = rows()
    assert (viewed.action, viewed.object_id, viewed.via) == ("view", world.app_here.pk, "api")
    assert (listed.action, listed.object_ids, listed.query) == (
        "list",
        [world.app_here.pk],
        "filters: state",
    )


class _EventSerializer(serializers.ModelSerializer):
    class Meta:
        from casework.models import AuditEvent

        model = AuditEvent
        fields = ("id", "action", "reason", "changes")


class _EventViewSet(AccessLoggedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pagination_class = None
    from casework.models import AuditEvent

    queryset = AuditEvent.objects.all()
    serializer_class = _EventSerializer


def test_the_api_mixin_hides_grounds_from_roles_without_need(registrar, caseworker, world):
    view = _EventViewSet.as_view({"get": "list"})
    for user, sees_reason in ((registrar, False), (caseworker, True)):
        request = APIRequestFactory().get("/api/v1/events/")
        force_authenticate(request, user=user)
        data = view(request).data
        assert data, user
        assert all(("reason" in row) is sees_reason for row in data), user


def test_an_autocomplete_by_registration_number_is_logged_too(client, caseworker, world):
    client.force_login(caseworker)
    client.get(
        reverse("admin:autocomplete"),
        {
            "term": world.p_here.registration_number,
            "app_label": "casework",
            "model_name": "householdlink",
            "field_name": "relative",
        },
    )
    row = only_row()
    assert row.query == "autocomplete search by registration number"
    assert row.object_ids == [world.p_here.pk]


def test_an_auditors_reads_are_not_announced_to_the_caseworker(client, caseworker, auditor, world):
    auditor.first_name = "Inspector"
    auditor.save()
    url = reverse("admin:casework_application_change", args=[world.app_here.pk])
    client.force_login(auditor)
    client.get(url)
    client.force_login(caseworker)
    page = client.get(url).content.decode().split("Who has looked at this case")[1]
    assert "Inspector" not in page
    client.force_login(auditor)
    page = client.get(url).content.decode().split("Who has looked at this case")[1]
    assert "Inspector" in page
