"""The status page in a real browser on a phone-sized screen: fill, read, check accessibility.

With ``UPDATE_SCREENSHOTS=1`` the screenshots go to docs/screenshots/ (committed, so
reviewers see the pages without running anything); otherwise to a temporary folder, so that a
test run leaves the working tree as it found it.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from pathlib import Path

import pytest
from django.conf import settings
from django.utils import timezone, translation

from casework.status.languages import RTL_LANGUAGES
from casework.status.services import waiting_figures_refresh
from tests.factories import ApplicationFactory, DecisionFactory, InterviewFactory, PersonFactory

SCREENSHOTS = (
    Path(__file__).resolve().parents[2] / "docs" / "screenshots"
    if os.environ.get("UPDATE_SCREENSHOTS") == "1"
    else Path(tempfile.mkdtemp(prefix="status-screenshots-"))
)
PHONE = {"width": 360, "height": 740}  # a small Android phone, in CSS pixels
BORN = dt.date(1988, 11, 2)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _axe_violations(page, axe_script: Path) -> list[dict]:
    page.add_script_tag(path=str(axe_script))
    result = page.evaluate(
        "async () => await axe.run(document, {resultTypes: ['violations'],"
        " runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice']})"
    )
    return [
        {"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]]}
        for v in result["violations"]
        if v["impact"] in ("serious", "critical")
    ]


def _case() -> tuple[str, object]:
    today = timezone.localdate()
    for days in (60, 75, 90, 105, 120):  # similar cases decided recently: an estimate exists
        done = ApplicationFactory(state="accepted", lodged_on=today - dt.timedelta(days=days + 3))
        DecisionFactory(application=done, decided_at=timezone.now() - dt.timedelta(days=3))
    ApplicationFactory(state="submitted", lodged_on=today - dt.timedelta(days=40))
    person = PersonFactory(date_of_birth=BORN)
    app = ApplicationFactory(
        person=person, state="examined", lodged_on=today - dt.timedelta(days=20)
    )
    InterviewFactory(
        application=app,
        scheduled_at=timezone.make_aware(dt.datetime.combine(today, dt.time(10, 0)))
        + dt.timedelta(days=9),
        location="UDI, Hausmanns gate 21, Oslo",
    )
    waiting_figures_refresh()  # as beat does: a lookup only reads the figures
    return app.display_reference, app


def _fill_and_submit(page, reference: str, button: str) -> None:
    page.locator("#id_reference").fill(reference)
    page.locator("#id_day").fill(str(BORN.day))
    page.locator("#id_month").fill(str(BORN.month))
    page.locator("#id_year").fill(str(BORN.year))
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def _fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_applicant_checks_their_case_on_a_phone(live_server, browser, axe_script):
    reference, _app = _case()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="en-GB",
        bypass_csp=True,  # bypass only so the test can inject axe-core
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/status/")
    assert page.locator("h1").inner_text() == "Check your case"
    assert _fits_the_screen(page)
    assert _axe_violations(page, axe_script) == []
    page.screenshot(path=str(SCREENSHOTS / "status-form-en.png"), full_page=True)

    # The form is usable from the keyboard alone: the label names the field it belongs to.
    page.get_by_label("Case reference").focus()
    assert page.evaluate("document.activeElement.id") == "id_reference"

    _fill_and_submit(page, reference, "Show my case")
    assert page.url == f"{live_server.url}/status/"  # nothing about the case in the URL
    body = page.locator("main").inner_text()
    assert "We are examining your application for protection." in body
    assert "Your asylum interview is on" in body and "UDI, Hausmanns gate 21, Oslo" in body
    assert "An interpreter will be there." in body
    assert "you will get a decision by" in body
    assert "1 older case is still waiting before yours." in body
    assert _fits_the_screen(page)
    assert _axe_violations(page, axe_script) == []
    page.screenshot(path=str(SCREENSHOTS / "status-result-en.png"), full_page=True)
    context.close()

    # An Arabic-speaking applicant: the browser's language leads to the Arabic page, RTL.
    context = browser.new_context(
        viewport=PHONE,
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale="ar",
        bypass_csp=True,
    )
    page = context.new_page()
    page.goto(f"{live_server.url}/status/")
    assert page.url == f"{live_server.url}/ar/status/"
    assert page.evaluate("document.documentElement.dir") == "rtl"
    assert page.evaluate("document.documentElement.lang") == "ar"
    _fill_and_submit(page, reference, "اعرض قضيتي")
    assert "نحن ندرس طلب الحماية الخاص بك." in page.locator("main").inner_text()
    assert _fits_the_screen(page)
    assert _axe_violations(page, axe_script) == []
    page.screenshot(path=str(SCREENSHOTS / "status-result-ar.png"), full_page=True)
    context.close()


def test_the_status_page_in_each_of_the_nine_languages(live_server, browser, axe_script):
    """Each applicant language, chosen by the phone's language: the page comes in it (the
    lookup's first sentence as the catalogue translates it, never the English), in the
    script's direction, fits the screen and is axe-clean; a screenshot per language."""
    reference, _app = _case()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    english = (
        "We are examining your application for protection. This includes your asylum interview."
    )
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            expected = translation.gettext(english)
        assert code == "en" or expected != english, f"{code}: no translation"
        context = browser.new_context(
            viewport=PHONE, device_scale_factor=2, is_mobile=True, has_touch=True,
            locale=code, bypass_csp=True,  # bypass only so the test can inject axe-core
        )  # fmt: skip
        page = context.new_page()
        page.goto(f"{live_server.url}/status/")
        assert page.evaluate("document.documentElement.lang") == code
        expected_dir = "rtl" if code in RTL_LANGUAGES else "ltr"
        assert page.evaluate("document.documentElement.dir") == expected_dir, code
        page.locator("#id_reference").fill(reference)
        page.locator("#id_day").fill(str(BORN.day))
        page.locator("#id_month").fill(str(BORN.month))
        page.locator("#id_year").fill(str(BORN.year))
        page.locator("main form button[type=submit]").first.click()
        page.wait_for_load_state()
        assert expected in page.locator("main").inner_text(), code
        assert _fits_the_screen(page), code
        assert _axe_violations(page, axe_script) == [], code
        page.screenshot(path=str(SCREENSHOTS / f"status-result-{code}.png"), full_page=True)
        context.close()
