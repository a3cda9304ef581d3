"""Each role's day in a real browser: the real buttons clicked, what the person sees asserted.

Chromium at 1366×900 under the site's real Content-Security-Policy. After every step: a
screenshot (``make screenshots`` keeps them in docs/screenshots/ for the README) and axe-core,
which must find no serious or critical violation. Across a journey: no server error, no
policy violation, no missing file (a stylesheet, a script, the icon).

The asylum case goes through five hands in one test, as it does at the authority: the
registrar registers the person and lodges the application; the caseworker takes the case,
starts the examination, schedules the interview and records it as held; the decision-maker
rejects it; the caseworker records the day the decision reached the applicant's lawyer (the
appeal deadline appears) and lodges the appeal; the appeals body grants it. Reception,
integration and the auditor have their own journeys.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.browser.staff import (
    SCREENSHOTS,
    TABLET,
    Journey,
    fill,
    local_input,
    messages,
    new_staff_page,
    staff_site,  # noqa: F401  (the module's shared site)
    submit,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _done(page: Any, watch: Any, context: Any) -> None:
    assert watch.server_errors == []
    assert watch.missing == []
    assert watch.csp == []
    context.close()


def _state(page: Any) -> str:
    return page.locator(".case-summary .case-state").inner_text()


def _search(page: Any, words: str) -> None:
    page.get_by_label(re.compile("case reference", re.IGNORECASE)).fill(words)
    page.locator("#changelist-search [type=submit]").click()
    page.wait_for_load_state("load")


def _action(page: Any, label: str) -> None:
    """Click an action of the case page (a link to its form, or a button that posts)."""
    page.locator(".case-panel").get_by_role("link", name=label, exact=True).or_(
        page.locator(".case-panel").get_by_role("button", name=label, exact=True)
    ).first.click()
    page.wait_for_load_state("load")


def test_an_asylum_case_from_registration_to_appeal(browser, axe_script, staff_site):  # noqa: F811
    site = staff_site
    # --- The registrar (police registration): the person, then the application. -------
    context, page, watch = new_staff_page(browser, site, "registrar")
    journey = Journey(page, "registrar", axe_script)
    page.goto(f"{site.url}/admin/casework/person/add/")
    fill(page, "given_name", "Meron")
    fill(page, "family_name", "Habte")
    fill(page, "date_of_birth", "1996-03-14")
    fill(page, "sex", "female")
    fill(page, "nationality", "Eritrea")
    fill(page, "preferred_language", "ti")
    journey.step("person-form")
    submit(page, "Save")
    assert "was added successfully" in messages(page)
    journey.step("person-registered")

    page.goto(f"{site.url}/admin/casework/application/add/")
    fill(page, "person", "Habte")
    fill(page, "kind", "protection (asylum)")
    fill(page, "unit", "Asylum unit Oslo")
    journey.step("application-form")
    submit(page, "Save")
    lodged = messages(page)
    assert "was added successfully" in lodged
    reference = re.search(r"“([0-9A-Z-]+)”", lodged).group(1)  # the new case's reference
    _search(page, reference)
    row = page.locator("#result_list tbody tr")
    assert row.count() == 1 and "Habte, Meron" in row.inner_text()
    assert "submitted" in row.inner_text()
    journey.step("application-lodged")
    _done(page, watch, context)

    # --- The caseworker: takes the case, examines, holds the interview. ----------------
    context, page, watch = new_staff_page(browser, site, "caseworker")
    journey = Journey(page, "caseworker", axe_script)
    page.goto(f"{site.url}/admin/casework/application/?assigned=none")
    _search(page, reference)
    journey.step("unassigned-cases")
    page.get_by_role("link", name=reference).click()
    page.wait_for_load_state("load")
    case_url = page.url
    assert "not assigned" in page.locator(".case-summary").inner_text()
    journey.step("case-unassigned")
    _action(page, "Assign to me")
    assert "The case is now yours." in messages(page)
    assert "assigned to" in page.locator(".case-summary").inner_text()
    journey.step("case-assigned")

    _action(page, "Start examination")
    journey.step("start-examination-form")
    submit(page, "Confirm")
    assert "Start examination: done. The case is now under examination." in messages(page)
    assert _state(page) == "under examination"

    _action(page, "Schedule interview")
    held_at = (timezone.now() - dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    fill(page, "scheduled_at", local_input(held_at))
    fill(page, "location", "UDI, Hausmanns gate 21, Oslo")
    fill(page, "language", "Tigrinya")
    journey.step("interview-form")
    submit(page, "Confirm")
    assert "Interview scheduled" in messages(page)
    interviews = page.locator(".case-panel li", has_text="Hausmanns gate 21")
    assert interviews.count() == 1
    assert "Tigrinya, interpreter" in interviews.inner_text()
    journey.step("interview-scheduled")

    _action(page, "Record as held")
    assert "The interview is recorded as held." in messages(page)
    assert "held" in interviews.inner_text()
    assert page.locator(".case-panel").get_by_role("button", name="Record as held").count() == 0
    journey.step("interview-held")
    _done(page, watch, context)

    # --- The decision-maker rejects; the decision is then delivered. --------------------
    context, page, watch = new_staff_page(browser, site, "decider")
    journey = Journey(page, "decider", axe_script)
    page.goto(case_url)
    journey.step("case-to-decide")
    _action(page, "Reject")
    fill(page, "outcome", "rejected")
    fill(page, "grounds", "The account of persecution is not credible on the essential points.")
    assert page.locator("#content-main [name='notified_at']").count() == 0  # delivered later
    journey.step("reject-form")
    submit(page, "Confirm")
    assert "Reject: done. The case is now rejected." in messages(page)
    assert _state(page) == "rejected"
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    assert "Decision: rejected" in timeline
    assert "Not recorded yet: the appeal deadline starts" in page.content()
    journey.step("rejected")
    _done(page, watch, context)

    # --- The caseworker records the delivery, then lodges the appeal, in time. ---------
    context, page, watch = new_staff_page(browser, site, "caseworker")
    journey = Journey(page, "caseworker-appeal", axe_script)
    page.goto(case_url)
    _action(page, "Record delivery")
    # a minute ahead: the form keeps minutes, and it cannot be delivered before it was made
    told = (timezone.now() + dt.timedelta(minutes=2)).replace(second=0, microsecond=0)
    fill(page, "notified_at", local_input(told))
    fill(page, "channel", "handed to the lawyer")
    fill(page, "confirmed_by", "Advokat Nilsen, the applicant's lawyer")
    journey.step("delivery-form")
    submit(page, "Confirm")
    assert "Record delivery: done." in messages(page)
    assert "Decision delivered" in page.get_by_role("region", name="Timeline").inner_text()
    assert "appeal deadline" in page.locator(".case-panel").inner_text().lower()
    journey.step("delivered")
    _action(page, "Lodge appeal")
    fill(page, "lodged_by", "Advokat Nilsen for the applicant")
    journey.step("appeal-form")
    submit(page, "Confirm")
    assert (
        "Lodge appeal: done. The case is now under the Directorate's review of the appeal."
        in messages(page)
    )
    assert _state(page) == "under the Directorate's review of the appeal"
    assert "Appeal lodged" in page.get_by_role("region", name="Timeline").inner_text()
    journey.step("appeal-lodged")
    _done(page, watch, context)

    # --- The Directorate reviews the appeal, upholds its decision and forwards it. ------
    context, page, watch = new_staff_page(browser, site, "decider")
    journey = Journey(page, "decider-review", axe_script)
    page.goto(case_url)
    journey.step("appeal-to-review")
    _action(page, "Forward to the appeals board")
    fill(page, "assessment", "The appeal repeats the account; the decision stands.")
    journey.step("forward-form")
    submit(page, "Confirm")
    assert "Forward to the appeals board: done. The case is now appealed." in messages(page)
    assert _state(page) == "appealed"
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    assert "Appeal forwarded to the appeals board" in timeline
    journey.step("appeal-forwarded")
    _done(page, watch, context)

    # --- The appeals body grants the appeal. --------------------------------------------
    context, page, watch = new_staff_page(browser, site, "appeals")
    journey = Journey(page, "appeals", axe_script)
    page.goto(case_url)
    journey.step("appeal-to-decide")
    _action(page, "Grant appeal")
    fill(page, "outcome", "refugee")
    fill(page, "grounds", "New country information supports the account.")
    journey.step("grant-form")
    submit(page, "Confirm")
    assert "Grant appeal: done. The case is now accepted." in messages(page)
    assert _state(page) == "accepted"
    assert "Appeal granted" in page.get_by_role("region", name="Timeline").inner_text()
    journey.step("appeal-granted")
    _done(page, watch, context)


def test_the_reception_officer_places_transfers_and_discharges(browser, axe_script, staff_site):  # noqa: F811
    site = staff_site
    number = site.world["newcomer_number"]
    context, page, watch = new_staff_page(browser, site, "reception")
    journey = Journey(page, "reception", axe_script)
    page.goto(f"{site.url}/admin/reception/placement/")
    journey.step("placements")
    page.get_by_role("link", name="Place a person").or_(
        page.get_by_role("link", name="Add placement")
    ).first.click()
    page.wait_for_load_state("load")
    fill(page, "registration_number", number)
    fill(page, "centre", "Bergen mottak")
    journey.step("place-form")
    submit(page)
    assert "Placed in Bergen mottak." in messages(page)
    journey.step("placed")

    page.goto(f"{site.url}/admin/reception/placement/?q={number}")
    row = page.locator("#result_list tbody tr", has_text="Bergen mottak")
    assert row.count() == 1
    row.get_by_role("link", name="transfer").click()
    page.wait_for_load_state("load")
    fill(page, "to_centre", "Trondheim integreringsmottak")
    fill(page, "reason", "Closer to the family's relatives.")
    journey.step("transfer-form")
    submit(page)
    assert "Trondheim integreringsmottak" in messages(page)
    journey.step("transferred")

    page.goto(f"{site.url}/admin/reception/placement/?q={number}")
    row = page.locator("#result_list tbody tr", has_text="Trondheim integreringsmottak")
    row.get_by_role("link", name="discharge").click()
    page.wait_for_load_state("load")
    fill(page, "reason", "settled")
    journey.step("discharge-form")
    submit(page)
    assert "ischarged" in messages(page)
    page.goto(f"{site.url}/admin/reception/placement/?q={number}")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() == 2 and rows.get_by_role("link", name="discharge").count() == 0
    journey.step("discharged")
    _done(page, watch, context)


def test_the_integration_officer_enrols_a_settled_refugee(browser, axe_script, staff_site):  # noqa: F811
    site = staff_site
    number = site.world["settled_number"]
    context, page, watch = new_staff_page(browser, site, "integration")
    journey = Journey(page, "integration", axe_script)
    page.goto(f"{site.url}/admin/integration/introductionprogramme/")
    journey.step("programmes")
    page.get_by_role("link", name="Add introduction programme").click()
    page.wait_for_load_state("load")
    fill(page, "settlement", number)
    today = timezone.localdate()
    fill(page, "start_on", today.isoformat())
    fill(page, "planned_end_on", (today + dt.timedelta(days=730)).isoformat())
    journey.step("enrol-form")
    submit(page)
    assert "Enrolled." in messages(page)
    assert number in page.locator("#content").inner_text()
    journey.step("enrolled")
    _done(page, watch, context)


def test_the_auditor_reads_and_is_offered_no_action(browser, axe_script, staff_site):  # noqa: F811
    site = staff_site
    context, page, watch = new_staff_page(browser, site, "auditor")
    journey = Journey(page, "auditor", axe_script)
    page.goto(f"{site.url}/admin/casework/application/?assigned=all")
    rows = page.locator("#result_list tbody tr")
    assert rows.count() >= 8  # the demo cases: the auditor reads every unit's
    assert page.get_by_role("link", name="Add application").count() == 0
    assert page.locator("select[name=action]").count() == 0
    journey.step("cases")
    rows.first.locator("th a, td a").first.click()
    page.wait_for_load_state("load")
    panel = page.locator(".case-panel").inner_text()
    assert "There is nothing you can do on this case now." in panel
    # Nothing that writes: the one button is the notes' search, a form that only reads (GET).
    assert page.locator("#content-main [type=submit]:not([form=case-notes-search])").count() == 0
    assert page.locator("form#case-notes-search").get_attribute("method") == "get"
    assert page.locator(".case-panel a.button").count() == 0
    assert page.locator(".case-timeline li").count() >= 1
    journey.step("case-read-only")
    for path in ("reception/placement/", "integration/workpermit/", "casework/person/"):
        page.goto(f"{site.url}/admin/{path}")
        assert page.locator("#changelist").count() == 1, path
        assert page.locator(".object-tools .addlink").count() == 0, path
    journey.step("people-read-only")
    _done(page, watch, context)


def test_the_case_list_fits_a_laptop_and_a_tablet(browser, staff_site):  # noqa: F811
    """Every column of the case list and the placement list in view, at 1366 and 1024 px."""
    site = staff_site
    for user, path, last in (
        ("caseworker", "casework/application/?assigned=all", "Next deadline"),
        ("reception", "reception/placement/", None),
    ):
        context, page, _watch = new_staff_page(browser, site, user)
        for viewport in ({"width": 1366, "height": 900}, TABLET):
            page.set_viewport_size(viewport)
            page.goto(f"{site.url}/admin/{path}")
            box = page.evaluate(
                """() => { const r = document.querySelector('#changelist-form .results');
                const cells = [...document.querySelectorAll('#result_list thead th')];
                return {page: document.documentElement.scrollWidth - window.innerWidth,
                  results: r.scrollWidth - r.clientWidth,
                  last: cells[cells.length - 1].innerText.trim()}; }"""
            )
            where = f"{path} at {viewport['width']} px"
            assert box["page"] <= 0, where
            assert box["results"] <= 1, where  # no column scrolled out of sight
            if last:
                assert box["last"].lower() == last.lower(), where
                assert page.get_by_role("columnheader", name=last).is_visible(), where
            links = page.locator("#result_list td a", has_text="discharge")
            assert user != "reception" or links.count() > 0
            for i in range(min(links.count(), 3)):
                link_box = links.nth(i).bounding_box()
                assert link_box["x"] + link_box["width"] <= viewport["width"], where
        context.close()


def test_the_lawyer_finds_the_clients_decision_and_lodges_the_appeal(
    browser,
    axe_script,
    staff_site,  # noqa: F811
):
    """The demo lawyer's day: only their clients' cases are listed, another case is "does not
    exist", the client's rejection is read with its grounds, a document is uploaded to the
    client's case file, and the appeal is lodged from the case page, the timeline naming the
    lawyer (screenshots ``docs/screenshots/lawyer-*.png``)."""
    from casework.models import Application

    site = staff_site
    client = Application.objects.get(is_demo=True, person__given_name="Dmitry")
    stranger = Application.objects.get(is_demo=True, person__given_name="Mohammed")
    context, page, watch = new_staff_page(browser, site, "lawyer")
    journey = Journey(page, "lawyer", axe_script, prefix="")
    page.goto(f"{site.url}/admin/casework/application/")
    rows = page.locator("#result_list tbody tr")
    listed = rows.all_inner_texts()
    assert len(listed) == 3, listed  # the three demo clients, nobody else
    assert any("Sokolov" in row for row in listed)
    assert not any("Al-Hassan" in row for row in listed)
    journey.step("my-clients")

    page.goto(f"{site.url}/admin/casework/application/{stranger.pk}/change/")
    assert "doesn’t exist" in messages(page) or "doesn't exist" in messages(page)
    journey.step("another-case-does-not-exist")

    page.goto(f"{site.url}/admin/casework/application/")
    page.get_by_role("link", name=client.display_reference).click()
    page.wait_for_load_state("load")
    assert _state(page) == "rejected"
    decisions = page.get_by_role("region", name="Decisions").inner_text()
    assert "rejected on the merits" in decisions
    assert "not credible on the essential points" in decisions  # the grounds, to answer them
    assert "Marte Kirkerud" in page.locator(".case-lawyer").inner_text()
    journey.step("client-decision")

    # The client's statement, uploaded on the case page: shared with the lawyer, the only
    # readers the form offers them.
    documents = page.locator("#case-documents")
    documents.locator("input[type=file]").set_input_files(
        files=[
            {
                "name": "statement-for-the-appeal.pdf",
                "mimeType": "application/pdf",
                "buffer": b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n",
            }
        ]
    )
    documents.locator("[name=source]").fill("Dmitry Sokolov, through his lawyer")
    documents.locator("[name=title]").fill("Statement for the appeal")
    readers = documents.locator("[name=visibility] option").all_inner_texts()
    assert readers == ["shared with the applicant's lawyer"], readers
    documents.get_by_role("button", name="Add document").click()
    page.wait_for_load_state("load")
    assert "The document is added to the case file." in messages(page)
    listed = page.locator("#case-documents").inner_text()
    assert "Statement for the appeal" in listed
    page.locator("#case-documents").scroll_into_view_if_needed()
    journey.step("document-uploaded")

    _action(page, "Lodge appeal")
    journey.step("appeal-form")
    submit(page, "Confirm")
    assert (
        "Lodge appeal: done. The case is now under the Directorate's review of the appeal."
        in messages(page)
    )
    assert _state(page) == "under the Directorate's review of the appeal"
    timeline = page.get_by_role("region", name="Timeline").inner_text()
    assert "Appeal lodged" in timeline
    assert "by the lawyer Marte Kirkerud" in timeline
    assert "by the applicant" not in timeline
    journey.step("appeal-lodged")
    _done(page, watch, context)
    client.refresh_from_db()
    appeal = client.appeals.get()
    assert appeal.lawyer.bar_number == "DEMO-1001"
    document = client.case_documents.get(title="Statement for the appeal")
    assert document.visibility == "lawyer" and document.created_by.username == "lawyer"


def test_the_decision_maker_selects_within_the_quota_until_it_is_full(
    browser,
    axe_script,
    staff_site,  # noqa: F811
):
    """The decision-maker's resettlement day: a UNHCR referral waiting for a selection is
    selected within this year's quota; with the quota set to the places taken, the next
    selection is refused on the form with the quota's words; the statistics table shows the
    year's places used and none remaining (screenshots ``docs/screenshots/resettlement-*``)."""
    from casework.models import ResettlementQuota
    from casework.statistics.services import statistics_refresh

    site = staff_site
    year = timezone.localdate().year
    context, page, watch = new_staff_page(browser, site, "decider")
    journey = Journey(page, "decider", axe_script, prefix="resettlement-")
    page.get_by_role("link", name="UNHCR referrals waiting for a selection").click()
    page.wait_for_load_state("load")
    journey.step("referrals-waiting")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Select for resettlement").click()
    page.wait_for_load_state("load")
    fill(page, "quota_year", str(year))
    fill(page, "reason", "Selection mission interview held.")
    journey.step("select-form")
    submit(page, "Select for resettlement")
    assert "Done: Select for resettlement." in messages(page)
    assert "selected" in page.locator("#content-main").inner_text()
    taken = ResettlementQuota.objects.get(year=year).taken

    page.goto(f"{site.url}/admin/casework/resettlementquota/")
    page.get_by_role("link", name=str(year)).first.click()
    page.wait_for_load_state("load")
    fill(page, "places", str(taken))
    submit(page, "Save")
    assert ResettlementQuota.objects.get(year=year).places == taken

    page.goto(f"{site.url}/admin/casework/resettlementreferral/?state__exact=referred")
    page.locator("#result_list tbody tr th a").first.click()
    page.wait_for_load_state("load")
    page.get_by_role("link", name="Select for resettlement").click()
    page.wait_for_load_state("load")
    fill(page, "quota_year", str(year))
    submit(page, "Select for resettlement")
    refusal = page.locator("#content-main").inner_text()
    assert f"All {taken} places of the {year} resettlement quota are taken" in refusal
    journey.step("quota-full")

    statistics_refresh()
    page.goto(f"{site.url}/admin/casework/statistics/#resettlement-quota")
    section = page.locator("section#resettlement-quota")
    row = section.locator("tbody tr").first.inner_text().split("\t")
    assert row[:6] == [str(year), str(taken), *row[2:4], str(taken), "0"], row
    section.scroll_into_view_if_needed()
    journey.step("quota-table")
    section.screenshot(path=str(SCREENSHOTS / "resettlement-quota-table.png"))
    _done(page, watch, context)
