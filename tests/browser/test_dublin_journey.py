"""The Dublin unit's day in a real browser: a request prepared and sent, accepted by the
requested state's silence (the sweep), the transfer recorded, and the case's timeline read
from request to transfer.

The officer is the demo's ``dublin`` user (a caseworker of the Dublin unit). The request goes
out on a case lodged 80 days ago, typed with its reference as the case page shows it, and is
sent 70 days ago, so the period the requested state had to answer (one or two months under
the rules of the day the case was lodged) is over: the system's sweep (the task that runs
every few minutes in production) makes the silence acceptance, and the officer then records
the police's transfer. The timeline's times are those of the events' recording, all within
the test's minute. The timeline's screenshot is ``docs/screenshots/dublin-timeline.png``
(with ``make screenshots``).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from tests.browser.staff import (
    PASSWORD,
    SCREENSHOTS,
    Journey,
    fill,
    local_input,
    messages,
    new_staff_page,
    staff_site,  # noqa: F401  (the module's shared site)
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _dublin_case() -> Any:
    """A case on the Dublin track, lodged 80 days ago, examined by the Dublin officer."""
    from casework.applications.choices import ApplicationKind, Track
    from casework.applications.services import (
        application_assign,
        application_lodge,
        application_start_examination,
    )
    from casework.people.services import person_register
    from casework.staff.models import Unit

    users = get_user_model().objects
    officer, registrar = users.get(username="dublin"), users.get(username="registrar")
    officer.set_password(PASSWORD)
    officer.save()
    person = person_register(
        actor=registrar,
        given_name="Yonas",
        family_name="Tesfay",
        date_of_birth=dt.date(1994, 2, 3),
        sex="male",
        nationality="ER",
        preferred_language="ti",
    )
    app = application_lodge(
        actor=registrar,
        person=person,
        kind=ApplicationKind.PROTECTION,
        track=Track.DUBLIN,
        unit=Unit.objects.get(code="dublin"),
        lodged_on=timezone.localdate() - dt.timedelta(days=80),
    )
    app = application_assign(actor=officer, application=app, assignee=officer)
    return application_start_examination(actor=officer, application=app)


def _action(page: Any, label: str) -> None:
    page.locator("#content-main").get_by_role("link", name=label, exact=True).first.click()
    page.wait_for_load_state("load")


def test_a_dublin_case_from_request_to_transfer(browser, axe_script, staff_site):  # noqa: F811
    from casework.dublin.models import DublinRequest
    from casework.dublin.services import dublin_deadlines_sweep

    site = staff_site
    app = _dublin_case()
    reference = app.display_reference
    context, page, watch = new_staff_page(browser, site, "dublin")
    journey = Journey(page, "officer", axe_script, prefix="dublin-")

    # --- The request: prepared on its own page, then sent. ---------------------------------
    page.goto(f"{site.url}/admin/casework/dublinrequest/create/")
    fill(page, "case", reference)
    fill(page, "member_state", "SE")
    fill(page, "kind", "take_charge")
    fill(page, "legal_ground", "art_12")
    journey.step("prepare-form")
    submit(page, "Prepare request")
    assert "Dublin request prepared." in messages(page), page.locator("#content-main").inner_text()
    request_url = page.url
    shown = page.locator("#content-main").inner_text()
    assert "prepared" in shown and "SE" in shown

    _action(page, "Send request")
    fill(page, "sent_at", local_input(timezone.now() - dt.timedelta(days=70)))
    submit(page, "Send request")
    assert "Done: Send request." in messages(page)
    assert "sent" in page.locator("#content-main").inner_text()
    journey.step("request-sent")

    # --- Two months of silence: the sweep accepts on the requested state's behalf. ----------
    assert dublin_deadlines_sweep() == {"accepted_by_silence": 1, "lapsed": 0}
    request = DublinRequest.objects.get(application=app)
    assert request.implicit and request.transfer_due_at > timezone.now()
    page.goto(request_url)
    assert "accepted" in page.locator("#content-main").inner_text()

    # --- The police hand the applicant over; the officer records it. ------------------------
    _action(page, "Record transfer")
    fill(page, "police_reference", "PU-2026-0815")
    journey.step("transfer-form")
    submit(page, "Record transfer")
    assert "Done: Record transfer." in messages(page)
    assert "transferred" in page.locator("#content-main").inner_text()

    # --- The case's timeline, from the request to the transfer. -----------------------------
    page.goto(f"{site.url}/admin/casework/application/{app.pk}/change/")
    summary = page.locator(".case-summary").inner_text()
    assert "Dublin procedure" in summary
    timeline = page.get_by_role("region", name="Timeline", exact=True)
    lines = [t.strip() for t in timeline.locator("li").all_inner_texts()]
    wanted = [
        "Examination started",
        "Dublin request prepared",
        "Dublin request sent",
        "Dublin request accepted by silence (no answer in time)",
        "Transferred by the police",
    ]
    found = [next((i for i, line in enumerate(lines) if w in line), None) for w in wanted]
    assert None not in found, (wanted, lines)
    # newest first: the transfer on top, the request below it
    assert found == sorted(found, reverse=True), lines
    assert re.search(r"Transferred by the police", lines[0]), lines
    timeline.scroll_into_view_if_needed()
    journey.step("case-timeline")
    timeline.screenshot(path=str(SCREENSHOTS / "dublin-timeline.png"))
    assert watch.server_errors == [] and watch.missing == [] and watch.csp == []
    context.close()
