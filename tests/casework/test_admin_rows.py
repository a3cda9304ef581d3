"""The admin's list rows, written by ``casework.admin.rows``, are Django's own, cell for cell.

``casework.admin.rows`` decides once per list what Django's ``items_for_result`` decides for
every cell (docs/performance.md): the columns' kinds, classes and links. Here every registered
admin's list, with a record in every app, as the superuser and as a caseworker, with the
list's filters and sorting kept in the links, is written both ways and must read the same.
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib import admin
from django.contrib.admin.templatetags.admin_list import results as django_results
from django.test import RequestFactory

from casework.admin.rows import results
from tests.factories import ApplicationFactory, UserFactory
from tests.security.everywhere import person_in_every_app
from tests.security.test_admin_lists import NOT_LISTS

pytestmark = pytest.mark.django_db


def rows_both_ways(user: Any, model_admin: Any, query: dict[str, str]) -> tuple[list, list]:
    request = RequestFactory().get("/admin/", query)
    request.user = user
    cl = model_admin.get_changelist_instance(request)
    cl.formset = None  # as changelist_view leaves it for a list without editable columns
    django = ["".join(str(cell) for cell in row) for row in django_results(cl)]
    ours = ["".join(str(cell) for cell in row) for row in results(cl)]
    return django, ours


def test_every_lists_rows_read_as_django_writes_them(role_users, unit):
    root = UserFactory(username="root", is_superuser=True)
    person_in_every_app(
        root,
        role_users["registrar"],
        unit=unit,
        reception=role_users["reception"],
        integration=role_users["integration"],
    )
    ApplicationFactory(unit=unit, assigned_to=role_users["caseworker"], state="examined")
    compared = 0
    for user in (root, role_users["caseworker"]):
        for model, model_admin in admin.site._registry.items():
            if model._meta.label in NOT_LISTS:
                continue
            request = RequestFactory().get("/admin/")
            request.user = user
            if not model_admin.has_view_or_change_permission(request):
                continue
            for query in ({}, {"o": "-1", "q": "a"}):
                try:
                    django, ours = rows_both_ways(user, model_admin, query)
                except admin.options.IncorrectLookupParameters:
                    continue
                assert ours == django, model_admin
                compared += len(ours)
    assert compared > 50  # rows of many lists were written, not empty lists only


def test_a_row_links_to_its_record_with_the_lists_filters(client, role_users, unit):
    case = ApplicationFactory(unit=unit, assigned_to=role_users["caseworker"], state="examined")
    client.force_login(role_users["caseworker"])
    page = client.get("/admin/casework/application/?state=examined").content.decode()
    link = (
        f'href="/admin/casework/application/{case.pk}/change/?_changelist_filters=state%3Dexamined"'
    )
    assert link in page
    assert f'name="_selected_action" value="{case.pk}" class="action-select"' in page


def test_select_boxes_that_write_options_in_place_write_djangos_markup(rf):
    """``casework.admin.widgets``: the person page's select boxes (countries, languages, a
    chosen value among them, optgroups) read the same either way."""
    from django import forms

    from casework.admin.widgets import DJANGO_SELECT, QUICK, QUICK_SELECT
    from casework.models import Person

    request = rf.get("/admin/")
    request.user = UserFactory(username="root", is_superuser=True)
    form_class = admin.site._registry[Person].get_form(request, None)
    selects = {
        name: field
        for name, field in form_class.base_fields.items()
        if getattr(field.widget, "widget", field.widget).template_name == QUICK_SELECT
    }
    assert {"nationality", "other_nationalities", "languages"} <= set(selects)
    grouped = forms.Select(
        choices=[("Nordic", [("no", "Norway"), ("se", "Sweden & co")]), ("x", "<X>"), (3, 1234)]
    )
    chosen = {"nationality": "SY", "other_nationalities": ["IQ"], "languages": ["ar", "ku"]}
    for name, widget in [*((n, f.widget) for n, f in selects.items()), ("grouped", grouped)]:
        inner = getattr(widget, "widget", widget)
        value = chosen.get(name, "se")
        attrs = {"id": f"id_{name}", "data-x": '"quoted"', "required": True, "hidden": False}
        inner.template_name = QUICK_SELECT
        quick = widget.render(name, value, attrs=attrs, renderer=QUICK)
        in_place = widget.render(name, value, attrs=attrs)  # the template, by Django's renderer
        inner.template_name = DJANGO_SELECT
        django = widget.render(name, value, attrs=attrs)
        assert quick == django, name
        assert in_place == django, name
        assert quick.count("<option") >= 2
