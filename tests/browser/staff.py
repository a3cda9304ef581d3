"""What the staff browser tests share: the seeded site, signing in, filling a form as a
person does, and the checks every page must pass.

The live server answers in other threads, so its tests are transactional: each seeds the
small demo world (about two seconds) and leaves empty tables behind.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import tempfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.test import override_settings
from django.utils import timezone

PASSWORD = "Correct-Horse-42"  # tests.factories.UserFactory: the staff of tests/conftest.py
ROLES = (
    "registrar",
    "caseworker",
    "decider",
    "appeals",
    "reception",
    "integration",
    "auditor",
    "lawyer",
)
DESKTOP = {"width": 1366, "height": 900}
TABLET = {"width": 1024, "height": 768}

# With UPDATE_SCREENSHOTS=1 (``make screenshots``) the journeys' screenshots go to
# docs/screenshots/ for the README; otherwise to a temporary folder, leaving the tree as it was.
SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="staff-screenshots-"))
)

# Runs before any script of every page: reports what the Content-Security-Policy blocked
# (to ``Watch.csp`` through an exposed function). Once axe-core has run on a page, whatever
# it does there is its own (it adds a <style> the policy rightly refuses), not the page's.
RECORD_VIOLATIONS = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', (e) => {
  if (window.__axeRan) return;
  const text = `${location.pathname}: ${e.violatedDirective} blocked ${e.blockedURI || 'inline'}`
    + ` at line ${e.lineNumber}` + (e.sample ? `: ${e.sample}` : '');
  window.__csp.push(text);
  if (window.__cspReport) window.__cspReport(text);
});
"""


@dataclass
class Site:
    """The live server of a module and the records its tests start from."""

    url: str
    world: dict[str, Any]


@dataclass
class Watch:
    """Everything that went wrong in a browser context, whichever page it happened on."""

    server_errors: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    csp: list[str] = field(default_factory=list)

    def attach(self, context: Any) -> None:
        context.expose_function("__cspReport", lambda text: self.csp.append(text))
        context.add_init_script(RECORD_VIOLATIONS)

        def on_response(response: Any) -> None:
            if response.status >= 500:
                request = response.request
                self.server_errors.append(f"{response.status} {request.method} {response.url}")
            elif response.status == 404 and response.request.resource_type != "document":
                self.missing.append(response.url)  # a stylesheet, script, image or icon

        context.on("response", on_response)


class _FormNesting(HTMLParser):
    """Counts ``<form>`` elements opened inside another, in the HTML as the server sent it
    (a browser's DOM no longer shows them: the parser drops the inner form's tag)."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.nested = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "form":
            if self.depth:
                self.nested += 1
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self.depth:
            self.depth -= 1


def nested_forms(html: str) -> int:
    parser = _FormNesting()
    parser.feed(html)
    return parser.nested


def seed_world() -> dict[str, Any]:
    """The demo world in small (seed_demo without the bulk figures, the reception demo) and
    what each journey starts from that the demo lacks."""
    from integration.models import MunicipalityOfficer
    from tests.factories import PersonFactory
    from tests.integration.factories import municipality_named, settled

    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        call_command("seed_demo", "--no-bulk", verbosity=0)
        call_command("seed_reception_demo", verbosity=0)
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    bergen = municipality_named("Bergen")
    MunicipalityOfficer.objects.get_or_create(
        user=users.get(username="integration"), municipality=bergen
    )
    newcomer = PersonFactory(given_name="Samira", family_name="Idris", nationality="ER")
    refugee = settled(settled_on=timezone.localdate() - dt.timedelta(days=20))
    return {
        "newcomer_number": newcomer.registration_number,
        "settled_number": refugee.person.registration_number,
    }


@pytest.fixture
def staff_site(live_server: Any, transactional_db: None) -> Site:
    """The live server with the seeded world (emptied again after the test, as every
    transactional test's tables are)."""
    return Site(url=live_server.url, world=seed_world())


def new_staff_page(
    browser: Any, site: Site, username: str, viewport: dict | None = None
) -> tuple[Any, Any, Watch]:
    """A fresh browser context signed in as ``username`` at the admin's start page."""
    context = browser.new_context(
        locale="en-GB", timezone_id="Europe/Oslo", viewport=viewport or DESKTOP
    )
    watch = Watch()
    watch.attach(context)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.goto(f"{site.url}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.locator("#login-form [type=submit]").click()
    page.wait_for_load_state("load")
    assert page.locator("#user-tools").is_visible(), f"{username} could not sign in"
    return context, page, watch


def fill(page: Any, name: str, value: str) -> None:
    """Fill the field ``name`` as a person would: type into a box, pick from a list (by the
    option's text, else its value), tick a box for "yes"."""
    field = page.locator(f"#content-main [name='{name}']").first
    tag = field.evaluate("e => e.tagName.toLowerCase() + ':' + (e.type || '')")
    if tag.startswith("select") and "admin-autocomplete" in (field.get_attribute("class") or ""):
        # The admin's autocomplete (select2): open it, type, pick the first match.
        page.locator(f"#content-main [name='{name}'] + .select2 .select2-selection").click()
        page.locator(".select2-container--open .select2-search__field").fill(value)
        page.locator(".select2-results__option", has_text=value).first.click()
    elif tag.startswith("select"):
        options = field.evaluate("e => [...e.options].map(o => [o.value, o.text.trim()])")
        wanted = next(
            (v for v, text in options if value in (v, text)),
            next((v for v, text in options if value.lower() in text.lower()), None),
        )
        assert wanted is not None, f"no choice {value!r} for {name}: {options[:20]}"
        field.select_option(wanted)
    elif tag == "input:checkbox":
        field.set_checked(value == "yes")
    else:
        field.fill(value)


def submit(page: Any, label: str | None = None) -> None:
    """Click the page's submit button (the one named ``label``) and wait for the next page."""
    main = page.locator("#content-main")
    button = (
        main.get_by_role("button", name=label).first
        if label
        else main.locator("[type=submit]").first
    )
    button.click()
    page.wait_for_load_state("load")


def messages(page: Any) -> str:
    return page.locator(".messagelist").inner_text() if page.locator(".messagelist").count() else ""


def local_input(when: dt.datetime) -> str:
    """A moment as a ``datetime-local`` box takes it (local time, to the minute)."""
    return timezone.localtime(when).strftime("%Y-%m-%dT%H:%M")


def axe_violations(page: Any, axe_script: Path) -> list[dict]:
    """axe-core's serious and critical findings on the page as it is now.

    axe-core comes in through the DevTools protocol (``evaluate``), which the page's
    Content-Security-Policy does not govern: the policy stays on, and a violation by the
    page itself is still reported."""
    page.evaluate("window.__axeRan = true")
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(axe_script.read_text() + "\n;0")
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


class Journey:
    """One person's steps: a screenshot and an accessibility check after each one, and the
    record of what axe found on which page (written beside the screenshots)."""

    results: dict[str, list] = {}

    def __init__(self, page: Any, role: str, axe_script: Path, prefix: str = "journey-") -> None:
        self.page, self.role, self.axe_script = page, role, axe_script
        self.prefix = prefix
        self.number = 0
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def step(self, name: str) -> None:
        self.number += 1
        label = f"{self.prefix}{self.role}-{self.number}-{name}"
        found = axe_violations(self.page, self.axe_script)
        path = self.page.url.split("//", 1)[-1].split("/", 1)[-1]
        Journey.results[label] = [f"/{path}", found]
        self.page.screenshot(path=str(SCREENSHOTS / f"{label}.png"), full_page=False)
        (SCREENSHOTS / "axe-journeys.json").write_text(json.dumps(Journey.results, indent=1))
        assert found == [], f"{label}: {found}"
