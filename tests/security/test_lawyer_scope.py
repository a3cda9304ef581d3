"""A lawyer's scope over the whole API and the whole admin, read from the URL resolver and the
admin sites (not a hand list): a new route or admin page is walked without anyone adding it.

- their client's records answer as the role's permissions say (200, or 403 for a model the
  role may not read at all);
- every other record answers exactly as a record that does not exist (same status, same body
  in the API; the admin's "does not exist" redirect), and never shows its words;
- lists never name another case's rows;
- no write succeeds anywhere except lodging the client's appeal; the refused writes leave no
  audit event.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.admin.sites import all_sites
from django.db import connection
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from rest_framework.test import APIClient

from casework.lawyers.models import Appointment, Lawyer, Representative
from casework.models import AuditEvent
from casework.privacy.registry import registration
from casework.transitions.services import WORKFLOWS
from tests.factories import (
    ApplicationFactory,
    DecisionFactory,
    InterviewFactory,
    PersonFactory,
    UserFactory,
)
from tests.security.test_every_read_logged import _exempt, _model_of, api_get_routes

pytestmark = pytest.mark.django_db

NEVER = 987_654_321  # an id no row has


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _plain(route: str) -> str:
    return re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).replace("^", "").replace("$", "")


def _path(route: str, values: dict) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path


class Side:
    """One person's case and a row of each of its records."""

    def __init__(self, person, app):
        self.person, self.app = person, app

    def row(self, model):
        if model is None:
            return None
        entry = registration(model)
        if entry is not None:
            rows = entry.rows([self.person.pk])
            if "application" in {f.name for f in model._meta.get_fields()}:
                rows = rows.filter(application=self.app)
            return rows.order_by("-pk").first()
        return None


def _side(lawyer, *, words: str, minor: bool = False) -> Side:
    person = PersonFactory(
        given_name=f"{words}-given", family_name=f"{words}-family", unaccompanied_minor=minor
    )
    app = ApplicationFactory(
        person=person,
        state="rejected",
        interview_held_at=timezone.now() - dt.timedelta(days=9),
        appeal_deadline=timezone.now() + dt.timedelta(days=10),
    )
    DecisionFactory(
        application=app, instance="first", outcome="rejected", grounds=f"{words}-GROUNDS"
    )
    InterviewFactory(application=app, location=f"{words}-ROOM")
    Appointment.objects.create(application=app, lawyer=lawyer, reason="rejection")
    Representative.objects.create(
        person=person, name=f"{words}-verge", appointed_by="Statsforvalteren", phone="1"
    )
    AuditEvent.objects.create(application=app, person=person, action="note", reason=f"{words}-R")
    return Side(person, app)


@pytest.fixture
def sides(lawyer, unit, other_unit):
    """The lawyer's client, and a case of another lawyer in the same unit and another unit."""
    colleague = Lawyer.objects.create(name="Other Lawyer", bar_number="B-OTHER", region="west")
    client = _side(lawyer, words="CLIENTQX", minor=True)
    others = [
        _side(colleague, words="STRANGERQX"),
        Side(*_other_unit_case(colleague, other_unit)),
    ]
    return client, others


def _other_unit_case(colleague, other_unit):
    side = _side(colleague, words="FARQX")
    side.app.unit = other_unit
    side.app.save()
    return side.person, side.app


def _api(user):
    api = APIClient()
    api.force_authenticate(user)
    return api


def test_the_api_shows_the_lawyer_only_their_clients_records(lawyer_user, sides):
    client, others = sides
    api = _api(lawyer_user)
    walked, read = [], set()
    for route, view_class in api_get_routes():
        if _exempt(route):
            continue
        model = _model_of(view_class)
        nested = "application_pk" in route
        detail = "<pk>" in route or "(?P<pk>" in route
        walked.append(route)
        never = api.get(_path(route, {"application_pk": NEVER, "pk": NEVER}))
        for other in others:
            target = other.row(model) if detail else None
            if detail and target is None:
                continue
            got = api.get(
                _path(route, {"application_pk": other.app.pk, "pk": getattr(target, "pk", NEVER)})
            )
            if nested or detail:
                assert (got.status_code, got.json()) == (never.status_code, never.json()), route
            text = got.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, route
        target = client.row(model) if detail else None
        if detail and target is None:
            continue
        mine = api.get(
            _path(route, {"application_pk": client.app.pk, "pk": getattr(target, "pk", NEVER)})
        )
        assert mine.status_code in (200, 403), (route, mine.status_code)
        if mine.status_code == 200:
            read.add(route)
    # What the lawyer reads of their client: the case, the person, the decision, the interview,
    # their appointment and their own register entry.
    for expected in (
        "api/v1/applications/<pk>/",
        "api/v1/people/<pk>/",
        "api/v1/applications/<int:application_pk>/decisions/<pk>/",
        "api/v1/applications/<int:application_pk>/interviews/<pk>/",
        "api/v1/appointments/<pk>/",
    ):
        assert expected in {_plain(r) for r in read}, (expected, sorted(read))
    assert len(walked) > 20


def test_the_lawyer_reads_the_clients_decision_with_its_grounds(lawyer_user, sides):
    client, _others = sides
    api = _api(lawyer_user)
    page = api.get(f"/api/v1/applications/{client.app.pk}/decisions/")
    assert page.status_code == 200
    assert [d["grounds"] for d in page.json()["results"]] == ["CLIENTQX-GROUNDS"]
    listed = api.get("/api/v1/applications/").json()["results"]
    assert [a["id"] for a in listed] == [client.app.pk]
    people = api.get("/api/v1/people/").json()["results"]
    assert [p["id"] for p in people] == [client.person.pk]


def _api_write_routes():
    for route, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        actions = getattr(pattern.callback, "actions", None) or {}
        view_class = getattr(pattern.callback, "cls", None) or getattr(
            pattern.callback, "view_class", None
        )
        methods = {m for m in actions if m in ("post", "patch", "put", "delete")}
        if not actions and view_class is not None:
            methods = {m for m in ("post", "patch", "put", "delete") if hasattr(view_class, m)}
        if methods:
            yield route, view_class, methods


def test_the_lawyer_writes_nothing_but_the_clients_appeal(lawyer_user, sides):
    client, others = sides
    api = _api(lawyer_user)
    events = AuditEvent.objects.count()
    allowed = []
    for route, view_class, methods in _api_write_routes():
        if route.endswith("auth/token/"):
            continue
        model = _model_of(view_class)
        for side in (client, *others):
            target = side.row(model)
            path = _path(route, {"application_pk": side.app.pk, "pk": getattr(target, "pk", NEVER)})
            for method in methods:
                response = getattr(api, method)(path, {}, format="json")
                if response.status_code < 300:
                    allowed.append((method, route, side is client))
    # The one write that is theirs: the client's appeal (walked before the other routes'
    # writes on the same case, which all failed), with the register's lawyer on it.
    assert [(m, _plain(r), mine) for m, r, mine in allowed] == [
        ("post", "api/v1/applications/<pk>/transitions/appeal/", True)
    ]
    assert AuditEvent.objects.count() == events + 1
    assert client.app.appeals.get().lawyer.user == lawyer_user
    for other in others:
        refused = api.post(f"/api/v1/applications/{other.app.pk}/transitions/appeal/", {})
        assert refused.status_code == 404
        assert not other.app.appeals.exists()


def _admin_pages(side: Side):
    """Every admin URL of every site for ``side``'s records (and pages without a record):
    (name, kwargs)."""
    interview = side.app.interviews.first()
    tables = set(connection.introspection.table_names())
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if registration(model) is not None:
                objects = [side.row(model) or side.row(model)]
                if model._meta.label_lower == "casework.application":
                    objects = [side.app]
                if model._meta.label_lower == "casework.person":
                    objects = [side.person]
            elif model._meta.db_table in tables:
                objects = []  # reference data: not a case's record
            else:
                objects = []
            workflow = WORKFLOWS.get(model._meta.label)
            names = list(workflow.transitions) if workflow is not None else [""]
            for pattern in model_admin.get_urls():
                if not getattr(pattern, "name", None):
                    continue
                params = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
                if not params & {"object_id", "pk"}:
                    continue
                for obj in objects:
                    if obj is None:
                        continue
                    for name in names if "name" in params else [""]:
                        kwargs = {}
                        if "object_id" in params:
                            kwargs["object_id"] = obj.pk
                        if "pk" in params:
                            kwargs["pk"] = obj.pk
                        if "interview_pk" in params:
                            kwargs["interview_pk"] = interview.pk
                        if "name" in params:
                            kwargs["name"] = name
                        if params - {"object_id", "pk", "interview_pk", "name"}:
                            continue
                        yield f"{site.name}:{pattern.name}", kwargs


def _never(kwargs: dict) -> dict:
    return {
        k: (NEVER if k in ("object_id", "pk", "interview_pk") else v) for k, v in kwargs.items()
    }


def test_the_admin_shows_another_case_as_one_that_does_not_exist(client, lawyer_user, sides):
    mine, others = sides
    client.force_login(lawyer_user)
    opened = set()
    for side in others:
        for name, kwargs in _admin_pages(side):
            got = client.get(reverse(name, kwargs=kwargs))
            never = client.get(reverse(name, kwargs=_never(kwargs)))
            assert got.status_code == never.status_code, (name, got.status_code, never.status_code)
            if got.status_code == 302:
                assert got["Location"] == never["Location"], name
            text = got.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, name
    for name, kwargs in _admin_pages(mine):
        page = client.get(reverse(name, kwargs=kwargs))
        if page.status_code == 200:
            opened.add(name)
    assert {"admin:casework_application_change", "admin:casework_person_change"} <= opened
    page = client.get(reverse("admin:casework_application_change", args=[mine.app.pk]))
    assert "CLIENTQX-GROUNDS" in page.content.decode()  # the decision, to answer on appeal


def test_admin_lists_name_only_the_clients_rows(client, lawyer_user, sides):
    mine, _others = sides
    client.force_login(lawyer_user)
    for site in all_sites:
        for model, _model_admin in site._registry.items():
            if not model._meta.managed:
                continue
            url = reverse(
                f"{site.name}:{model._meta.app_label}_{model._meta.model_name}_changelist"
            )
            page = client.get(url)
            assert page.status_code in (200, 403), (url, page.status_code)
            text = page.content.decode()
            assert "STRANGERQX" not in text and "FARQX" not in text, url
    listed = client.get(reverse("admin:casework_application_changelist"))
    assert [a.pk for a in listed.context["cl"].result_list] == [mine.app.pk]


def test_the_lawyer_changes_nothing_in_the_admin(client, lawyer_user, sides):
    mine, others = sides
    client.force_login(lawyer_user)
    events = AuditEvent.objects.count()
    for side in (mine, *others):
        for name, kwargs in _admin_pages(side):
            if "transition" in name and kwargs.get("name") == "appeal" and side is mine:
                continue  # the one write that is theirs: below
            client.post(reverse(name, kwargs=kwargs), {"post": "yes", "version": side.app.version})
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if not model._meta.managed:
                continue
            prefix = f"{site.name}:{model._meta.app_label}_{model._meta.model_name}"
            url = reverse(f"{prefix}_add")
            assert client.get(url).status_code in (403, 302), (url, model_admin)
    assert AuditEvent.objects.count() == events
    for side in (mine, *others):
        side.app.refresh_from_db()
        assert side.app.state == "rejected"
    # Lodging the client's appeal on the case page's form.
    url = reverse("admin:casework_application_transition", args=[mine.app.pk, "appeal"])
    assert client.get(url).status_code == 200
    response = client.post(url, {"version": mine.app.version, "lodged_by": "", "late_reason": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    mine.app.refresh_from_db()
    assert mine.app.state == "under_review"


def test_an_ended_appointment_closes_the_case_to_the_lawyer(lawyer_user, sides):
    mine, _others = sides
    api = _api(lawyer_user)
    assert api.get(f"/api/v1/applications/{mine.app.pk}/").status_code == 200
    Appointment.objects.filter(application=mine.app).update(ends_on=timezone.localdate())
    assert api.get(f"/api/v1/applications/{mine.app.pk}/").status_code == 404


def test_a_user_without_the_lawyer_role_sees_nothing_through_a_register_entry(lawyer, sides):
    """The role, not the register's link alone, opens the clients' cases."""
    plain = UserFactory(username="linked-but-no-role")
    lawyer.user = plain
    lawyer.save()
    assert _api(plain).get("/api/v1/applications/").status_code == 403
