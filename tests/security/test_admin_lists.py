"""Every list and change page of the admin, as every reader who may open it, by the queries it
makes: none counts or scans a whole table, and the pages of the staff's journeys stay within
their budgets.

The walk reads ``admin.site``'s registry when the test runs, so an admin registered tomorrow,
ours or a library's, is opened here without anyone listing it. A list's count must be the
capped one (``casework.admin.base.CappedCountPaginator``: ``COUNT(*)`` over ``… LIMIT n``);
a ``COUNT`` without a ``LIMIT`` costs a scan of every matching row, on every page view, and a
``SELECT DISTINCT`` without one (a filter's options read from the table, a date hierarchy's
years) scans as much. ``casework.admin.checks`` says the same of the admin's settings before
any page is opened.

Counts are taken at steady state: each reader opens the start page first, which fills the
per-process content-type cache and the per-user role cache (one query each, paid once, not
per page), and the test transaction's savepoints are left out (production runs in
autocommit).
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.intake.models import ImportJob
from casework.status.models import StatusLookup
from integration.models import IntroductionProgramme
from tests.factories import ApplicationFactory, UserFactory
from tests.security.everywhere import person_in_every_app

pytestmark = pytest.mark.django_db

COUNT = re.compile(r"\bCOUNT\(", re.IGNORECASE)
DISTINCT = re.compile(r"\bSELECT\s+DISTINCT\b", re.IGNORECASE)
LIMIT = re.compile(r"\bLIMIT\b", re.IGNORECASE)

# Unbounded reads that stay small however many cases there are, and why.
BOUNDED = {
    # The case page's "status lookups paused" line: one case reference's failed lookups of
    # the last months, by the (reference_hash, at) index.
    re.compile(r'FROM "casework_statuslookup" WHERE .*"reference_hash" = '),
    # Quotas: one row per municipality and year (a few hundred a year); the filter's years.
    re.compile(r'SELECT DISTINCT "reception_municipalityquota"\."year"'),
    # The municipalities that have officers: one row per person a municipality names.
    re.compile(r'SELECT DISTINCT U0\."municipality_id" AS "municipality__pk" FROM "integration_m'),
}


# Pages whose work is not a list's: what each does instead, and what holds its cost.
NOT_LISTS = {
    # The authority's tables sum every case by design; tests/stats hold their cost.
    "casework.Statistics": "the statistics page",
}


def statements(ctx: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in ctx.captured_queries if "SAVEPOINT" not in q["sql"].upper()]


def whole_table_reads(sqls: list[str]) -> list[str]:
    """The statements that read every (matching) row of a table: a count or a distinct list
    that no ``LIMIT`` bounds."""
    return [
        s
        for s in sqls
        if (COUNT.search(s) or DISTINCT.search(s))
        and not LIMIT.search(s)
        and not any(bounded.search(s) for bounded in BOUNDED)
    ]


def get(client: Any, url: str) -> tuple[Any, list[str]]:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    return response, statements(ctx)


@pytest.fixture
def readers(role_users):
    return {"superuser": UserFactory(username="root", is_superuser=True), **role_users}


@pytest.fixture
def world(readers, unit):
    """A person with a record in every app, a case of the caseworker's own (their list opens
    on "my cases"), an import and a status-page lookup."""
    root = readers["superuser"]
    person = person_in_every_app(
        root,
        readers["registrar"],
        unit=unit,
        reception=readers["reception"],
        integration=readers["integration"],
    )
    mine = ApplicationFactory(unit=unit, assigned_to=readers["caseworker"], state="examined")
    ImportJob.objects.create(created_by=readers["registrar"], original_name="arrivals.csv")
    StatusLookup.objects.create(reference_hash="0" * 64, outcome="not_found", language="en")
    return {
        "case": person.applications.get(),
        "mine": mine,
        "number": person.registration_number,
        "programme": IntroductionProgramme.objects.get(person=person),
    }


def may_open(user: Any, model_admin: Any) -> bool:
    request = RequestFactory().get("/admin/")
    request.user = user
    return model_admin.has_view_or_change_permission(request)


def test_no_admin_page_counts_or_scans_a_whole_table(client, readers, world):
    offences = []
    opened = 0
    for role, user in readers.items():
        client.force_login(user)
        client.get("/admin/")  # steady state (the module docstring)
        for model, model_admin in admin.site._registry.items():
            if model._meta.label in NOT_LISTS or not may_open(user, model_admin):
                continue
            prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
            response, sqls = get(client, reverse(f"{prefix}_changelist"))
            assert response.status_code == 200, (model._meta.label, role)
            opened += 1
            offences += [(model._meta.label, role, "list", s) for s in whole_table_reads(sqls)]
            changelist = (getattr(response, "context_data", None) or {}).get("cl")
            if changelist is None or not changelist.result_list:
                continue
            first = changelist.result_list[0]
            response, sqls = get(client, reverse(f"{prefix}_change", args=[first.pk]))
            assert response.status_code == 200, (model._meta.label, role, first.pk)
            offences += [(model._meta.label, role, "change", s) for s in whole_table_reads(sqls)]
    # Every list opened, by one reader at least.
    assert opened >= len(admin.site._registry) - len(NOT_LISTS)
    assert offences == [], "\n".join(f"{m} as {r}, {p}: {s[:300]}" for m, r, p, s in offences)


# --- the staff journeys' pages (tests/browser/test_journeys.py) -----------------------------


# (reader, page, the most queries it may make): every list, change page and form at most 12,
# the case page 15 when the case has letters, notes and documents (its letters panel reads
# the letters, its notes and documents panels each read theirs with their versions: one query
# each, none when the timeline shows no such record written), and 2 more when the case's
# decision gave a residence permit and the reader may read permits (the permits panel's read
# and its access-log row), the start page as measured. The case list and case page also have
# budgets by the number of rows and interviews in tests/casework/test_admin.py.
CASE_PAGE = 17


def _journey_urls(world: dict[str, Any]) -> list[tuple[str, str, int]]:
    case = world["case"]
    mine = world["mine"]
    return [
        *[(role, "/admin/", budget) for role, budget in START_PAGE.items()],
        ("registrar", "/admin/casework/person/add/", 12),
        ("registrar", "/admin/casework/application/add/", 12),
        ("registrar", f"/admin/casework/application/?q={case.reference}", 12),
        ("caseworker", f"/admin/casework/application/?assigned=none&q={case.reference}", 12),
        ("caseworker", change("casework", "application", mine.pk), CASE_PAGE),
        ("caseworker", "/admin/casework/auditevent/", 12),
        ("decider", change("casework", "application", mine.pk), CASE_PAGE),
        ("appeals", change("casework", "application", case.pk), CASE_PAGE),
        ("reception", "/admin/reception/placement/", 12),
        ("reception", "/admin/reception/placement/place/", 12),
        ("reception", f"/admin/reception/placement/?q={world['number']}", 12),
        ("integration", "/admin/integration/introductionprogramme/", 12),
        ("integration", reverse("admin:integration_introductionprogramme_create"), 12),
        ("integration", change("integration", "introductionprogramme", world["programme"].pk), 12),
        ("auditor", "/admin/casework/application/?assigned=all", 12),
        ("auditor", change("casework", "application", case.pk), CASE_PAGE),
        ("auditor", "/admin/reception/placement/", 12),
        ("auditor", "/admin/integration/workpermit/", 12),
        ("auditor", "/admin/casework/person/", 12),
        ("auditor", "/admin/casework/accesslog/", 12),
        ("auditor", "/admin/casework/auditevent/", 12),
    ]


# Each role's start page: a capped count per figure (casework.admin.start), as measured with
# this world; the caseworker's and the auditor's have the most panels (the caseworker's cases
# under the Directorate's review and on hold, the auditor's, one count each).
START_PAGE = {
    "caseworker": 16,
    "decider": 10,
    "appeals": 7,
    "registrar": 8,
    "reception": 11,
    "integration": 11,
    "auditor": 18,
}


def change(app: str, model: str, pk: int) -> str:
    return reverse(f"admin:{app}_{model}_change", args=[pk])


def test_the_journeys_pages_stay_within_their_query_budgets(client, readers, world):
    measured = []
    for role, url, budget in _journey_urls(world):
        client.force_login(readers[role])
        client.get(url)  # steady state (the module docstring)
        response, sqls = get(client, url)
        assert response.status_code == 200, (role, url, response.status_code)
        measured.append((role, url, len(sqls), budget))
    over = [f"{role} {url}: {n} queries, budget {budget}" for role, url, n, budget in measured]
    assert [line for line, m in zip(over, measured, strict=True) if m[2] > m[3]] == []
