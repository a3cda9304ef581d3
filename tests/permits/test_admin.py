"""Permits and group renewals in the admin: the list by status with a bounded number of
queries, the permit's page with its renewals (access-logged), the card's day through the
service, and a group renewal started from its page and followed on its progress bar."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from casework.models import AccessLog, RenewalRun
from casework.permits.services import renewal_run_execute
from tests.admin_forms import post_form
from tests.permits.helpers import collective_permit

pytestmark = pytest.mark.django_db


def test_the_list_filters_by_status_in_a_bounded_number_of_queries(
    client, caseworker, unit, django_assert_max_num_queries
):
    old = collective_permit(unit=unit, granted=dt.date(2022, 3, 20))
    for _ in range(5):
        collective_permit(unit=unit, granted=dt.date.today() - dt.timedelta(days=30))
    client.force_login(caseworker)
    url = reverse("admin:casework_residencepermit_changelist")
    with django_assert_max_num_queries(14):
        page = client.get(url + "?status=expired")
    assert page.status_code == 200
    html = page.content.decode()
    assert html.count('class="field-valid_until') == 1
    assert str(old.person) in html and "expired" in html
    valid = client.get(url + "?status=valid").content.decode()
    assert valid.count('class="field-valid_until') == 5


def test_the_caseworker_records_the_card_day_on_the_permits_page(client, caseworker, unit):
    permit = collective_permit(unit=unit)
    client.force_login(caseworker)
    url = reverse("admin:casework_residencepermit_change", args=[permit.pk])
    page = client.get(url)
    assert page.status_code == 200
    assert "collective protection (Immigration Act § 34)" in page.content.decode()
    logged = AccessLog.objects.filter(user=caseworker).values_list("object_ids", flat=True)
    assert any(permit.pk in (ids or []) for ids in logged)
    post_form(client, url, {"card_issued_on": "2024-01-01"})  # refused: back to the page
    assert "before the permit&#x27;s first day" in client.get(url).content.decode()
    post_form(client, url, {"card_issued_on": "2025-03-05"})
    permit.refresh_from_db()
    assert permit.card_issued_on == dt.date(2025, 3, 5)


def test_a_decision_maker_starts_a_renewal_and_follows_its_progress(
    client, decider, caseworker, unit, monkeypatch
):
    from casework.permits import services

    monkeypatch.setattr(services, "on_commit_enqueue", lambda task, *args: None)
    for _ in range(3):
        collective_permit(unit=unit)
    client.force_login(caseworker)
    add = reverse("admin:casework_renewalrun_add")
    assert client.get(add).status_code == 403
    client.force_login(decider)
    form = client.get(add)
    assert form.status_code == 200 and "Start the renewal" in form.content.decode()
    refused = client.post(add, {"label": "Ukraine", "legal_basis": "Decree.", "months": 12})
    assert "Name the group" in refused.content.decode()
    started = client.post(
        add,
        {"label": "Ukraine 2026", "legal_basis": "Decree.", "group": "Ukraine 2022", "months": 12},
    )
    run = RenewalRun.objects.get()
    assert started["Location"] == reverse("admin:casework_renewalrun_change", args=[run.pk])
    waiting = client.get(started["Location"]).content.decode()
    assert '<progress max="100" value="0">' in waiting
    assert '<meta http-equiv="refresh" content="3">' in waiting
    assert "0 of 3 permits renewed (0 %)" in waiting
    renewal_run_execute(run_id=run.pk)
    done = client.get(started["Location"]).content.decode()
    assert '<progress max="100" value="100">' in done and "3 of 3 permits renewed" in done
    assert 'http-equiv="refresh"' not in done
    listed = client.get(reverse("admin:casework_renewalrun_changelist")).content.decode()
    assert "Ukraine 2026" in listed


def test_the_case_page_shows_the_cases_permits_and_logs_the_read(client, caseworker, unit, decider):
    """The case page lists the permits its decisions gave (type, from, until, status, card,
    permanent residence), newest first, an ended one as ended; the read is access-logged."""
    import time_machine

    from casework.applications.services import application_appeal, application_transition
    from tests.factories import deliver
    from tests.permits.test_decisions import T0, decide, examined

    app = examined(caseworker, unit, date_of_birth=dt.date(2009, 7, 14), unaccompanied_minor=True)
    app = decide(app, decider, outcome="minor_limited")
    with time_machine.travel(T0, tick=False):
        app = deliver(app, by=caseworker)
        app = application_appeal(actor=caseworker, application=app)
    with time_machine.travel(T0 + dt.timedelta(days=40), tick=False):
        app = application_transition(
            actor=decider,
            application=app,
            name="reverse_on_review",
            outcome="refugee_convention",
            grounds="Proven.",
        )
    refugee, limited = app.permits.order_by("-valid_from", "-pk")
    client.force_login(caseworker)
    url = reverse("admin:casework_application_change", args=[app.pk])
    client.get(url)
    before = set(AccessLog.objects.values_list("pk", flat=True))  # the warm-up's reads
    with CaptureQueriesContext(connection) as statements:
        page = client.get(url)
    assert page.status_code == 200
    # The permits' read is logged with the case's own: one INSERT, the page within 12.
    inserts = [q["sql"] for q in statements if q["sql"].startswith("INSERT")]
    assert len(inserts) == 1 and '"casework_accesslog"' in inserts[0], inserts
    assert len(statements) <= 12, "\n".join(q["sql"][:120] for q in statements)
    read = AccessLog.objects.exclude(pk__in=before)
    assert read.filter(model="casework.application", object_id=app.pk).count() == 1
    html = page.content.decode()
    panel = html[html.index('id="case-permits"') :]
    panel = panel[: panel.index("</section>")]
    assert panel.index("refugee (Immigration Act § 28)") < panel.index("limited permit until 18")
    assert "ended by a later decision" in panel and "11 Apr 2026" in panel  # the ended day
    assert "13 Jul 2027" in panel and "10 Apr 2029" in panel  # until: limited, refugee
    assert "11 Apr 2029" in panel  # permanent residence may be applied for from
    assert reverse("admin:casework_residencepermit_change", args=[refugee.pk]) in panel
    logged = read.filter(user=caseworker, model="casework.residencepermit")
    assert sorted(logged.get().object_ids) == sorted([refugee.pk, limited.pk])


def test_the_staff_deadline_lists_name_the_case_of_a_permits_expiry(
    client, caseworker, unit, decider
):
    """A permit's expiry deadline is on the permit, not the case; the caseworker's deadline
    panel, the deadline list and the reminder list name the case the permit's decision was
    made on, and link it where the panel links cases."""
    import time_machine

    from casework.deadlines.reminders import sweep
    from casework.models import Deadline
    from casework.permits.deadlines import PERMIT_EXPIRY
    from tests.permits.test_decisions import decide, examined

    app = decide(examined(caseworker, unit), decider, outcome="humanitarian", permit_months=12)
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key)
    assert deadline.application_id is None
    reference = app.display_reference
    with time_machine.travel(deadline.due_at - dt.timedelta(days=60), tick=False):
        sweep(enqueue=False)
        client.force_login(caseworker)
        start = client.get(reverse("admin:index")).content.decode()
        panel = start[start.index('id="deadline-panel"') :]
        case_url = reverse("admin:casework_application_change", args=[app.pk])
        assert f'<a href="{case_url}">{reference}</a>' in panel
        deadlines = client.get(reverse("admin:casework_deadline_changelist") + "?recipient=all")
        assert f'<td class="field-case">{reference}</td>' in deadlines.content.decode()
        assert '<td class="field-case">-</td>' not in deadlines.content.decode()
        reminders = client.get(reverse("admin:casework_reminder_changelist") + "?recipient=all")
        html = reminders.content.decode()
        assert html.count(f'<td class="field-case">{reference}</td>') >= 2  # holder and unit
        assert '<td class="field-case">-</td>' not in html


def test_searching_the_deadline_lists_by_a_case_reference_finds_its_permits_expiry(
    client, caseworker, unit, decider
):
    """The search box of the deadline and reminder lists takes the reference as the lists show
    it, and finds the deadlines on the case's records (a permit's expiry) as well as the
    case's own; another case's reference, or a word, finds none of them."""
    import time_machine

    from casework.deadlines.reminders import sweep
    from casework.models import Deadline
    from casework.permits.deadlines import PERMIT_EXPIRY
    from tests.permits.test_decisions import decide, examined

    app = decide(examined(caseworker, unit), decider, outcome="humanitarian", permit_months=12)
    other = examined(caseworker, unit)
    deadline = Deadline.objects.get(source=PERMIT_EXPIRY.key)
    with time_machine.travel(deadline.due_at - dt.timedelta(days=60), tick=False):
        sweep(enqueue=False)
        client.force_login(caseworker)
        for name in ("deadline", "reminder"):
            url = reverse(f"admin:casework_{name}_changelist")

            def found(term: str, url: str = url) -> set[str]:
                page = client.get(url, {"recipient": "all", "q": term})
                assert page.status_code == 200
                return {str(row.case_ref) for row in page.context["cl"].result_list}

            assert found(app.display_reference) == {app.reference}, name
            assert found(app.display_reference.lower().replace("-", " ")) == {app.reference}
            assert app.reference not in found(other.display_reference), name
            assert found("Moroz") == set(), name
