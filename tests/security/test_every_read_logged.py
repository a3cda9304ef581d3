"""Every staff read of personal data leaves an access-log row, in the API and in the admin.

Whole-system on purpose: the routes are read from the URL resolver and the admin sites, not
listed, so a new endpoint, admin, inline or admin page that shows a person's data without
logging the read fails here.

- The API: every ``GET`` route under ``/api/v1/`` is read as every role (and the superuser);
  each answer 200 must add an access-log row of that user, ``via="api"``. Only the routes in
  ``NOT_PERSONAL`` are exempt, each with its reason.
- The admin: every page of every ``ModelAdmin`` on every admin site (lists, change and history
  pages, and each admin's own pages) is opened for the records of one person who has a record
  in every app. A page that shows any of that person's words (names, registration number, case
  reference, grounds, a lawyer's name, reasons, notes) to a user must have logged the read.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.admin.sites import all_sites
from django.db import connection
from django.db.models import Model
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from casework.models import (
    AccessLog,
    Application,
    Appointment,
    Deadline,
    DutyList,
    DutyListMember,
    Interview,
    Lawyer,
    Representative,
)
from casework.privacy.registry import registration
from casework.transitions.services import WORKFLOWS
from tests.factories import ReminderFactory, UserFactory
from tests.security.everywhere import person_in_every_app

pytestmark = pytest.mark.django_db

# API routes that return no personal data, and why.
NOT_PERSONAL = {
    "api/v1/me/": "the staff user's own account, roles and unit",
    "api/v1/statistics/": "the list of published tables",
    "api/v1/statistics/<slug:slug>/": "aggregate figures, no row of a person",
    "api/v1/reception/occupancy/": "beds and counts per centre and county",
    "api/v1/reception/placements-by-county/": "counts per county",
    "api/v1/resettlement-quotas/": "the yearly quota: places by year, no row of a person",
    # (the walk compares routes with their ``^`` taken out, the character class's too)
    "api/v1/resettlement-quotas/(?P<pk>[/.]+)/": "one year's quota: places and counts",
    "api/v1/permit-renewals/": "group renewals: the group's rule, counts and progress, no person",
    "api/v1/permit-renewals/(?P<pk>[/.]+)/": "one group renewal: its rule, counts and progress",
    "transitions/": "the names of the transitions the user may make now",
}


@pytest.fixture
def readers(role_users, lawyer_user):
    root = UserFactory(username="dpo", is_superuser=True)
    return {"superuser": root, **role_users, "lawyer": lawyer_user}


@pytest.fixture
def person(readers, unit):
    person = person_in_every_app(
        readers["superuser"],
        readers["registrar"],
        unit=unit,
        reception=readers["reception"],
        integration=readers["integration"],
    )
    # A reminder to the caseworker about the person's case (the API lists the user's own).
    deadline = Deadline.objects.filter(person=person).first()
    ReminderFactory(deadline=deadline, recipient=f"user:{readers['caseworker'].pk}")
    # The person's lawyer, signed in: their reads are logged like everyone's.
    lawyer = Lawyer.objects.create(
        name="Walk Lawyer", bar_number="B-WALK", region="east", user=readers["lawyer"]
    )
    Appointment.objects.create(
        application=Application.objects.get(person=person), lawyer=lawyer, reason="rejection"
    )
    DutyListMember.objects.create(
        duty_list=DutyList.objects.create(kind="48h", region="east"), lawyer=lawyer, position=1
    )
    Representative.objects.create(
        person=person, name="Walk Verge", appointed_by="Statsforvalteren", phone="1"
    )
    return person


def _patterns(patterns, prefix=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _patterns(p.url_patterns, prefix + str(p.pattern))
        elif isinstance(p, URLPattern):
            yield prefix + str(p.pattern), p


def _model_of(view_class) -> type[Model] | None:
    queryset = getattr(view_class, "queryset", None)
    if queryset is not None:
        return queryset.model
    serializer = getattr(view_class, "serializer_class", None)
    meta = getattr(serializer, "Meta", None)
    return getattr(meta, "model", None)


def _object_of(model: type[Model] | None, person, application=None) -> Model | None:
    """The person's newest row of ``model`` (of ``application``, for routes nested under it)."""
    if model is None:
        return None
    entry = registration(model)
    rows = entry.rows([person.pk]) if entry is not None else model._default_manager.all()
    if application is not None:
        rows = rows.filter(application=application)
    return rows.order_by("-pk").first()


def _api_path(route: str, values: dict[str, int]) -> str:
    path = route.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), path)
    path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), path)
    return "/" + path


def api_get_routes():
    """Every route under /api/v1/ that answers GET: (route, view class)."""
    for route, pattern in _patterns(get_resolver().url_patterns):
        if not route.startswith("api/v1/"):
            continue
        callback = pattern.callback
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if actions is not None:
            if "get" in actions:
                yield route, view_class
        elif view_class is not None and hasattr(view_class, "get"):
            yield route, view_class


def _exempt(route: str) -> bool:
    clean = route.replace("^", "").replace("$", "")
    return any(clean == r or (r.endswith("/") and clean.endswith("/" + r)) for r in NOT_PERSONAL)


def test_every_api_read_of_personal_data_is_logged(client, readers, person):
    from rest_framework.test import APIClient

    app = Application.objects.get(person=person)
    unlogged, read_by_someone, routes = [], set(), []
    for route, view_class in api_get_routes():
        if _exempt(route):
            continue
        routes.append(route)
        model = _model_of(view_class)
        target = _object_of(model, person, app if "application_pk" in route else None)
        values = {"application_pk": app.pk, "pk": getattr(target, "pk", 0)}
        path = _api_path(route, values)
        for role, user in readers.items():
            api = APIClient()
            api.force_authenticate(user)
            before = AccessLog.objects.filter(user=user, via="api").count()
            response = api.get(path)
            if response.status_code != 200:
                continue
            read_by_someone.add(route)
            if AccessLog.objects.filter(user=user, via="api").count() <= before:
                unlogged.append(f"{role} GET {path}")
    assert unlogged == []
    # The walk read every route as someone: otherwise it would prove nothing.
    assert sorted(set(routes) - read_by_someone) == []
    assert any("decisions" in r for r in routes) and any("reminders" in r for r in routes)


def _admin_urls(person):
    """Every admin page for the person's records: (label, url)."""
    app = Application.objects.get(person=person)
    interview = Interview.objects.filter(application=app).first()
    tables = set(connection.introspection.table_names())
    for site in all_sites:
        for model, model_admin in site._registry.items():
            if registration(model) is not None:
                objects = [_object_of(model, person)]
            elif model._meta.db_table in tables:  # reference data: a row may list residents
                objects = list(model._default_manager.order_by("-pk")[:3])
            else:  # a page without a table of its own (statistics)
                objects = []
            workflow = WORKFLOWS.get(model._meta.label)
            names = list(workflow.transitions) if workflow is not None else [""]
            for pattern in model_admin.get_urls():
                if not getattr(pattern, "name", None):
                    continue
                params = set(pattern.pattern.converters) | set(pattern.pattern.regex.groupindex)
                for obj in objects if params & {"object_id", "pk"} else [None]:
                    if params & {"object_id", "pk"} and obj is None:
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
                        url = reverse(f"{site.name}:{pattern.name}", kwargs=kwargs)
                        yield f"{pattern.name}", url


def test_every_admin_page_that_shows_personal_data_logs_the_read(client, readers, person):
    words = [w.casefold() for w in (*person.words.values(), person.reference)]
    unlogged, shown = [], set()
    for name, url in _admin_urls(person):
        client.force_login(readers["superuser"])
        page = client.get(url)
        if page.status_code != 200 or not any(w in page.content.decode().casefold() for w in words):
            continue  # shows none of the person's data even to the superuser
        for role, user in readers.items():
            client.force_login(user)
            before = AccessLog.objects.filter(user=user).count()
            page = client.get(url)
            if page.status_code != 200:
                continue
            text = page.content.decode().casefold()
            if not any(w in text for w in words):
                continue
            shown.add(name)
            if AccessLog.objects.filter(user=user).count() <= before:
                unlogged.append(f"{role} {url} ({name})")
    assert unlogged == [], "\n".join(unlogged)
    for expected in (
        "casework_person_change",
        "casework_application_change",
        "casework_auditevent_change",
        "reception_placement_changelist",
        "integration_workpermit_change",
    ):
        assert expected in shown, sorted(shown)
