"""Every staff page in a real browser under the real Content-Security-Policy.

Chromium enforces the policy the server sends (no ``bypass_csp``): an inline style attribute,
an inline ``<style>`` or ``<script>`` without the nonce, an ``eval`` — each would fire a
``securitypolicyviolation`` event, which an init script records on every page. The test signs
in as a superuser and visits every admin change list, an add page and a change page per
registered model, the admin's own pages (statistics with its SVG charts, reminders, the
transition and action forms of the three apps, occupancy, person erasure, case assignment),
the API docs (Swagger UI), the browsable API, the status pages and an error page, and checks
that each page still looks right: the admin's header and content are laid out by its
stylesheets, the charts have bars, Swagger UI lists the endpoints. No page holds a ``<form>``
inside a ``<form>``.

One browser, one page, about 120 page loads: well under a minute on two cores.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.management import call_command
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from tests.browser.staff import nested_forms
from tests.factories import ApplicationFactory, PersonFactory, UserFactory
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    municipality_named,
)
from tests.reception.factories import (
    CentreStaffFactory,
    MunicipalityQuotaFactory,
    PlacementFactory,
    ReceptionCentreFactory,
    SettlementFactory,
)
from tests.security.admin_pages import model_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "Correct-Horse-42"  # tests.factories.UserFactory
BORN = dt.date(1990, 5, 17)

# Runs before any script of every page: records what the policy blocked.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => window.__csp.push(
  `${e.violatedDirective} blocked ${e.blockedURI || 'inline'} at line ${e.lineNumber}`
  + (e.sample ? `: ${e.sample}` : '')));
"""

# The admin's stylesheets lay the page out: a flex header, the content column, our classes.
ADMIN_LAID_OUT = """() => {
  const header = document.querySelector('#header');
  const content = document.querySelector('#content');
  const sheets = [...document.styleSheets].map((s) => s.href || '');
  return {
    header: !!header && getComputedStyle(header).display === 'flex'
      && header.getBoundingClientRect().height > 20,
    content: !!content && content.getBoundingClientRect().width > 300,
    ours: sheets.some((h) => h.endsWith('/casework/admin.css')),
  };
}"""
LAID_OUT = {"header": True, "content": True, "ours": True}


def _world() -> dict[str, Any]:
    """A superuser and at least one record behind every admin page worth opening."""
    call_command("seed_demo", "--no-bulk", verbosity=0)  # units, users, 8 cases, deadlines
    bergen = municipality_named("Bergen")
    oslo = municipality_named("Oslo")
    centre = ReceptionCentreFactory(municipality=bergen, capacity=20)
    CentreStaffFactory(centre=centre, user=UserFactory(username="centre-staff"))
    person = PersonFactory(date_of_birth=BORN)
    application = ApplicationFactory(person=person, state="submitted")
    placement = PlacementFactory(person=person, centre=centre)
    MunicipalityQuotaFactory(municipality=oslo, year=timezone.localdate().year)
    settlement = SettlementFactory(municipality=bergen)
    permit = WorkPermitFactory()
    family = FamilyReunificationFactory()
    from integration.models import IntroductionProgramme, MunicipalityOfficer

    today = timezone.localdate()
    programme = IntroductionProgramme.objects.create(
        person=settlement.person,
        settlement=settlement,
        municipality=bergen,
        start_on=today,
        planned_end_on=today + dt.timedelta(days=730),
    )
    MunicipalityOfficer.objects.create(user=UserFactory(username="officer"), municipality=bergen)
    superuser = UserFactory(username="root", is_superuser=True)
    return {
        "superuser": superuser,
        "application": application,
        "placement": placement,
        "permit": permit,
        "family": family,
        "programme": programme,
        "reference": application.display_reference,
    }


def _custom_pages(world: dict[str, Any]) -> list[str]:
    """The admin pages we added: transition and action forms of each app, occupancy, …"""
    app, placement = world["application"], world["placement"]
    names = [
        ("admin:casework_application_transition", [app.pk, "withdraw"]),
        ("admin:casework_application_interview", [app.pk]),
        ("admin:reception_occupancy", []),
        ("admin:reception_placement_place", []),
        ("admin:reception_placement_transfer", [placement.pk]),
        ("admin:reception_placement_discharge", [placement.pk]),
        ("admin:integration_workpermit_create", []),
        ("admin:integration_workpermit_transition", [world["permit"].pk, "grant"]),
        ("admin:integration_familyreunification_create", []),
        ("admin:integration_familyreunification_documents", [world["family"].pk]),
        ("admin:integration_introductionprogramme_create", []),
        ("admin:integration_introductionprogramme_element", [world["programme"].pk]),
        ("admin:integration_introductionprogramme_test", [world["programme"].pk]),
    ]
    pages = []
    for name, args in names:
        try:
            pages.append(reverse(name, args=args))
        except NoReverseMatch as exc:  # a renamed page must be renamed here too, not skipped
            pytest.fail(f"no admin page {name}: {exc}")
    return pages


def _visit(page: Any, url: str) -> tuple[int, list[str]]:
    response = page.goto(url, wait_until="load")
    # A <form> inside a <form> is gone from the DOM (the browser drops the inner tag and its
    # button submits the outer form): only the HTML as sent shows it.
    if "text/html" in response.headers.get("content-type", ""):
        assert nested_forms(response.text()) == 0, url
    return response.status, page.evaluate("window.__csp")


def _run_action(page: Any, changelist: str, action: str) -> list[str]:
    """Tick the first row of a change list and run a bulk action: its intermediate page."""
    page.goto(changelist, wait_until="load")
    page.locator("#result_list tbody input.action-select").first.check()
    page.select_option("select[name=action]", action)
    page.locator("button[name=index]").click()
    page.wait_for_load_state("load")
    assert page.locator("#content form").count() >= 1, action
    return page.evaluate("window.__csp")


def test_every_staff_page_renders_under_the_strict_policy(live_server, browser):
    world = _world()
    pages = model_pages(world["superuser"])
    with_objects = {label for label, kind, _path in pages if kind == "change"}
    # The records made above: every model of ours has a change page in the run.
    for label in (
        "casework.Person",
        "casework.Application",
        "casework.Deadline",
        "casework.Reminder",
        "casework.AuditEvent",
        "reception.ReceptionCentre",
        "reception.Placement",
        "reception.Settlement",
        "reception.MunicipalityQuota",
        "integration.WorkPermit",
        "integration.FamilyReunification",
        "integration.IntroductionProgramme",
        "integration.MunicipalityOfficer",
    ):
        assert label in with_objects, label

    context = browser.new_context(locale="en-GB", viewport={"width": 1280, "height": 900})
    context.add_init_script(RECORD_VIOLATIONS)
    policies: dict[str, str] = {}
    context.on(
        "response",
        lambda r: (
            policies.setdefault(r.url, r.headers.get("content-security-policy", ""))
            if r.request.resource_type == "document"
            else None
        ),
    )
    page = context.new_page()
    page.set_default_timeout(20_000)
    base = live_server.url

    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "root")
    page.fill("#id_password", PASSWORD)
    page.locator("input[type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("#user-tools").is_visible()

    violations: dict[str, list[str]] = {}
    broken: dict[str, Any] = {}
    admin_pages = ["/admin/", *(path for _l, _k, path in pages), *_custom_pages(world)]
    for path in admin_pages:
        status, blocked = _visit(page, base + path)
        assert status == 200, path
        if blocked:
            violations[path] = blocked
        layout = page.evaluate(ADMIN_LAID_OUT)
        if layout != LAID_OUT:
            broken[path] = layout

    # The bulk actions' own pages: assignment and erasure of personal data.
    for changelist, action in (
        ("admin:casework_application_changelist", "assign_to_caseworker"),
        ("admin:casework_person_changelist", "erase_personal_data"),
    ):
        blocked = _run_action(page, base + reverse(changelist), action)
        if blocked:
            violations[action] = blocked
        if page.evaluate(ADMIN_LAID_OUT) != LAID_OUT:
            broken[action] = page.evaluate(ADMIN_LAID_OUT)

    # Statistics: the SVG charts have bars with a width, once beat's refresh has published
    # the figures (before it, the page says they are being computed).
    from casework.statistics.services import statistics_refresh

    statistics_refresh()
    _visit(page, base + reverse("admin:casework_statistics_changelist"))
    bars = page.locator("figure svg rect")
    assert bars.count() > 0
    assert bars.first.bounding_box()["width"] >= 1
    # Reminders: the status badge is coloured by its class, not by a style attribute.
    _visit(page, base + reverse("admin:casework_reminder_changelist"))
    badge = page.locator("#result_list td.field-status_badge strong").first
    assert badge.is_visible()

    # The case page: the deadline panel and the actions panel are there and styled.
    _visit(
        page, base + reverse("admin:casework_application_change", args=[world["application"].pk])
    )
    assert page.locator(".case-panel").first.is_visible()
    assert (
        page.evaluate("getComputedStyle(document.querySelector('.case-panel')).borderTopStyle")
        == "solid"
    )

    # A resident's person page: reception's panel (where they live) among the fieldsets.
    person = world["placement"].person
    status, blocked = _visit(page, base + reverse("admin:casework_person_change", args=[person.pk]))
    assert status == 200
    assert page.locator("fieldset h2", has_text="Other services").is_visible()
    assert page.locator("fieldset", has_text=world["placement"].centre.name).first.is_visible()
    if blocked:
        violations["person panels"] = blocked

    # Swagger UI from the sidecar: the start-up script ran and listed the endpoints.
    status, blocked = _visit(page, f"{base}/api/docs/")
    assert status == 200
    # Swagger UI lists the API's resources as closed groups (one per resource, not all two
    # hundred operations under "v1"); opening one shows its operations: the start-up script
    # ran under the policy and the user can reach an endpoint.
    page.locator(".opblock-tag").first.wait_for(state="visible")
    assert page.locator(".opblock-tag").count() > 20
    assert page.locator(".opblock-summary-path").count() == 0
    page.locator(".opblock-tag", has_text="people").first.click()
    page.locator(".opblock-summary-path", has_text="/api/v1/people/").first.wait_for(
        state="visible"
    )
    assert page.evaluate("getComputedStyle(document.body).margin") == "0px"  # our page CSS
    blocked = page.evaluate("window.__csp")
    if blocked:
        violations["/api/docs/"] = blocked

    # The browsable API (DRF): Bootstrap laid out, the filter button floated by its class.
    status, blocked = _visit(page, f"{base}/api/v1/applications/")
    assert status == 200
    assert page.locator(".page-header h1").is_visible()
    assert page.evaluate("getComputedStyle(document.querySelector('.navbar')).display") == "block"
    if blocked:
        violations["/api/v1/applications/"] = blocked

    # An error page (plain stylesheet), then sign out: the status pages are for anyone.
    status, blocked = _visit(page, f"{base}/no-such-page/")
    assert status == 404
    assert page.evaluate("getComputedStyle(document.body).maxWidth") != "none"
    if blocked:
        violations["/no-such-page/"] = blocked
    context.clear_cookies()

    status, blocked = _visit(page, f"{base}/status/")
    assert status == 200 and page.locator("#id_reference").is_visible()
    page.fill("#id_reference", world["reference"])
    page.fill("#id_day", str(BORN.day))
    page.fill("#id_month", str(BORN.month))
    page.fill("#id_year", str(BORN.year))
    page.get_by_role("button", name="Show my case").click()
    page.wait_for_load_state("load")
    assert "We have received your application" in page.locator("main").inner_text()
    blocked += page.evaluate("window.__csp")
    if blocked:
        violations["/status/"] = blocked
    status, blocked = _visit(page, f"{base}/ar/status/")
    assert page.evaluate("document.documentElement.dir") == "rtl"
    if blocked:
        violations["/ar/status/"] = blocked
    context.close()

    assert violations == {}
    assert broken == {}
    # The server sent a policy on every page, and none of them loosened it.
    assert len(policies) >= len(admin_pages) + 6
    for url, policy in policies.items():
        assert "script-src" in policy and "style-src" in policy, url
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, url
