"""Return after a rejection: the departure deadline and the return records.

- the departure deadline runs from the day the decision reached the applicant (the delivered
  letter), not from the decision: the end of the appeal period, or 3 weeks after a final
  rejection; the applicant sees it on the status page; the work permit lapses then;
- each transition of a return from its allowed states and roles, and refused from others;
- each ending closes the reception placement and lapses the work permit (read back from
  the tables);
- the published table of returns by type and nationality;
- the API, per role, including one refused.
"""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone, translation

from casework.applications.services import (
    application_appeal,
    application_decide,
    application_transition,
)
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.models import AuditEvent, Deadline, Return
from casework.returns import services
from casework.returns.choices import ReturnState as R
from casework.returns.departure import (
    DEPARTURE,
    DEPARTURE_PERIOD,
    departure_deadline,
    departure_deadline_follow,
)
from casework.statistics.tables import table
from casework.status.page import status_page_for
from integration.choices import WorkPermitState
from integration.models import WorkPermit
from reception.choices import DischargeReason
from reception.models import Placement
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, UserFactory, deliver
from tests.integration.factories import WorkPermitFactory, eligible_case
from tests.reception.factories import PlacementFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def api():
    return client_for


def _page_text(app) -> str:
    with translation.override("en"):
        page = status_page_for(application=app)
    return " ".join(page.deadlines)


# --- The departure deadline -----------------------------------------------------------------


def test_the_departure_deadline_runs_from_the_notification_not_the_decision(
    unit, caseworker, decider
):
    app = eligible_case(unit=unit, assigned_to=caseworker)
    decided = timezone.now() - dt.timedelta(days=10)
    with time_machine.travel(decided, tick=False):
        app = application_decide(
            actor=decider, application=app, outcome="rejected", grounds="Not credible."
        )
    # Decided, not yet delivered: no departure deadline runs, none on the page.
    assert departure_deadline(app) is None
    assert not Deadline.objects.filter(source=DEPARTURE.key).exists()
    assert "leave Norway" not in _page_text(app)

    reached = decided + dt.timedelta(days=4)
    with time_machine.travel(decided + dt.timedelta(days=6), tick=False):
        app = deliver(app, by=caseworker, at=reached)
    due = departure_deadline(app)
    # The end of the appeal period: 3 weeks from the day it reached them.
    assert due == app.appeal_deadline
    assert timezone.localdate(due) == timezone.localdate(reached) + dt.timedelta(weeks=3)
    assert timezone.localdate(due) != timezone.localdate(decided) + dt.timedelta(weeks=3)
    row = Deadline.objects.get(source=DEPARTURE.key, object_id=app.pk)
    assert row.due_at == due and row.closed_at is None and row.notify_person
    text = _page_text(app)
    assert "If you do not appeal, you must leave Norway by" in text
    assert "assisted return" in text
    with translation.override("nb"):
        assert "må du forlate Norge innen" in " ".join(status_page_for(application=app).deadlines)

    # An appeal postpones departure: the deadline closes, the page no longer says it.
    app = application_appeal(actor=caseworker, application=app, lodged_by="lawyer")
    assert departure_deadline(app) is None
    assert Deadline.objects.get(source=DEPARTURE.key).closed_at is not None
    assert "leave Norway" not in _page_text(app)


def test_a_final_rejection_sets_three_weeks_from_its_notification(
    unit, caseworker, decider, appeals
):
    permit = WorkPermitFactory(
        application=eligible_case(unit=unit, assigned_to=caseworker), state="granted"
    )
    app = application_decide(
        actor=decider, application=permit.application, outcome="rejected", grounds="No."
    )
    app = deliver(app, by=caseworker)
    app = application_appeal(actor=caseworker, application=app, lodged_by="x")
    # the appeal goes first to the Directorate's review, which forwards it to the board
    app = application_transition(
        actor=decider, application=app, name="forward_appeal", assessment="Nothing new."
    )
    dismissed = dt.datetime(2026, 5, 4, 12, tzinfo=dt.UTC)
    with time_machine.travel(dismissed, tick=False):
        app = application_transition(
            actor=appeals, application=app, name="dismiss_appeal", grounds="Upheld."
        )
        text = _page_text(app)
    assert departure_deadline(app) == dismissed + DEPARTURE_PERIOD
    row = Deadline.objects.get(source=DEPARTURE.key, object_id=app.pk)
    assert row.due_at == dismissed + DEPARTURE_PERIOD and row.closed_at is None
    assert "You must leave Norway by" in text and "If you do not appeal" not in text
    # The work permit follows the same rule, from the same home.
    permit.refresh_from_db()
    assert permit.lapses_at == dismissed + DEPARTURE_PERIOD


# --- Return records -------------------------------------------------------------------------


def _rejected(unit, caseworker, *, days_ago: int = 30):
    """A finally rejected case whose decision reached the applicant ``days_ago`` days ago."""
    return ApplicationFactory(
        state="rejected",
        unit=unit,
        assigned_to=caseworker,
        is_final=True,
        decided_at=timezone.now() - dt.timedelta(days=days_ago + 1),
        notified_at=timezone.now() - dt.timedelta(days=days_ago),
    )


def _with_placement_and_permit(app):
    placement = PlacementFactory(person=app.person)
    permit = WorkPermitFactory(application=app, person=app.person, state="granted")
    return placement, permit


def test_opening_needs_a_running_departure_deadline_and_happens_once(unit, caseworker):
    examined = ApplicationFactory(state="examined", unit=unit, assigned_to=caseworker)
    with pytest.raises(TransitionConflict):
        services.return_open(actor=caseworker, application=examined)
    app = _rejected(unit, caseworker)
    record = services.return_open(actor=caseworker, application=app)
    assert record.state == R.OBLIGED
    assert record.departure_deadline == departure_deadline(app)
    with pytest.raises(TransitionConflict):
        services.return_open(actor=caseworker, application=app)
    assert Return.objects.filter(application=app).count() == 1
    assert AuditEvent.objects.filter(action="return.opened").count() == 1


def test_who_may_open_a_return(unit, caseworker, registrar, reception_officer, outsider):
    app = _rejected(unit, caseworker)
    for refused in (reception_officer, outsider):
        with pytest.raises(PermissionDenied):
            services.return_open(actor=refused, application=app)
    assert not Return.objects.exists()
    assert services.return_open(actor=registrar, application=app).state == R.OBLIGED


def test_assisted_return_travelled_closes_the_placement_and_lapses_the_permit(
    unit, caseworker, decider
):
    app = _rejected(unit, caseworker, days_ago=5)  # the deadline is still ahead
    departure_deadline_follow(application=app, source="rejected")  # as delivery opens it
    assert Deadline.objects.get(source=DEPARTURE.key, object_id=app.pk).closed_at is None
    placement, permit = _with_placement_and_permit(app)
    record = services.return_open(actor=caseworker, application=app)
    record = services.return_transition(actor=caseworker, record=record, name="apply_assisted")
    assert record.state == R.APPLIED and record.applied_before_deadline is True
    with pytest.raises(PermissionDenied):  # the Directorate decides, not the caseworker
        services.return_transition(actor=caseworker, record=record, name="grant_assisted")
    record = services.return_transition(
        actor=decider, record=record, name="grant_assisted", support_nok=20000
    )
    assert record.state == R.GRANTED and record.support_nok == 20000
    assert record.decided_by == decider
    # Still placed, still allowed to work: nothing ends until the person travels.
    assert Placement.objects.get(pk=placement.pk).end is None
    assert WorkPermit.objects.get(pk=permit.pk).state == WorkPermitState.GRANTED

    record = services.return_transition(
        actor=caseworker, record=record, name="record_travel", destination="af"
    )
    assert record.state == R.TRAVELLED and record.ended_as == "assisted"
    assert record.destination == "AF"
    ended = Placement.objects.get(pk=placement.pk)
    assert ended.end == timezone.localdate()
    assert ended.discharge_reason == DischargeReason.DEPARTED
    lapsed = WorkPermit.objects.get(pk=permit.pk)
    assert lapsed.state == WorkPermitState.EXPIRED and "return" in lapsed.lapse_reason
    assert Deadline.objects.get(source=DEPARTURE.key, object_id=app.pk).closed_at is not None
    actions = list(
        AuditEvent.objects.filter(changes__subject=record.audit_subject)
        .order_by("id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "return.opened",
        "return.apply_assisted",
        "return.grant_assisted",
        "return.record_travel",
    ]


def test_applying_after_the_deadline_is_recorded(unit, caseworker):
    app = _rejected(unit, caseworker, days_ago=30)  # passed 9 days ago
    record = services.return_open(actor=caseworker, application=app)
    record = services.return_transition(actor=caseworker, record=record, name="apply_assisted")
    assert record.applied_before_deadline is False
    with pytest.raises(TransitionInvalid):
        services.return_transition(
            actor=caseworker,
            record=Return.objects.create(
                application=ApplicationFactory(state="rejected"),
                person=app.person,
            ),
            name="apply_assisted",
            applied_at=timezone.now() + dt.timedelta(days=2),
        )


def test_forced_return_only_after_the_deadline_and_carried_out_by_the_police(
    unit, caseworker, registrar
):
    ahead = _rejected(unit, caseworker, days_ago=5)
    early = services.return_open(actor=caseworker, application=ahead)
    with pytest.raises(TransitionConflict) as refused:
        services.return_transition(actor=caseworker, record=early, name="request_forced")
    assert "has not passed" in refused.value.message

    app = _rejected(unit, caseworker, days_ago=30)
    placement, permit = _with_placement_and_permit(app)
    record = services.return_open(actor=caseworker, application=app)
    record = services.return_transition(
        actor=caseworker, record=record, name="request_forced", reason="Did not leave."
    )
    assert record.state == R.FORCED_REQUESTED
    with pytest.raises(PermissionDenied):  # the police carry it out, not the caseworker
        services.return_transition(actor=caseworker, record=record, name="carry_out_forced")
    record = services.return_transition(actor=registrar, record=record, name="carry_out_forced")
    assert record.state == R.FORCED_RETURNED and record.ended_as == "forced"
    assert Placement.objects.get(pk=placement.pk).discharge_reason == DischargeReason.DEPARTED
    assert WorkPermit.objects.get(pk=permit.pk).state == WorkPermitState.EXPIRED
    # Ended: no transition but none is possible any more.
    with pytest.raises(TransitionConflict):
        services.return_transition(actor=caseworker, record=record, name="apply_assisted")


def test_whereabouts_unknown_closes_the_placement_as_absconded(unit, caseworker, registrar):
    app = _rejected(unit, caseworker)
    placement, permit = _with_placement_and_permit(app)
    record = services.return_open(actor=registrar, application=app)
    record = services.return_transition(
        actor=caseworker,
        record=record,
        name="record_whereabouts_unknown",
        reason="Left the centre on Monday.",
    )
    assert record.state == R.WHEREABOUTS_UNKNOWN and record.ended_as == "unknown"
    assert Placement.objects.get(pk=placement.pk).discharge_reason == DischargeReason.ABSCONDED
    assert WorkPermit.objects.get(pk=permit.pk).state == WorkPermitState.EXPIRED
    # Found again: the police may be asked to return them.
    record = services.return_transition(actor=registrar, record=record, name="request_forced")
    assert record.state == R.FORCED_REQUESTED and record.ended_as == ""


@pytest.mark.parametrize(
    ("state", "name"),
    [
        (R.OBLIGED, "grant_assisted"),
        (R.OBLIGED, "record_travel"),
        (R.OBLIGED, "carry_out_forced"),
        (R.APPLIED, "record_travel"),
        (R.GRANTED, "apply_assisted"),
        (R.TRAVELLED, "record_whereabouts_unknown"),
        (R.FORCED_RETURNED, "request_forced"),
    ],
)
def test_transitions_from_a_state_they_do_not_leave_are_refused(state, name, unit, caseworker):
    root_user = UserFactory(username="root", is_superuser=True, is_staff=True)
    app = _rejected(unit, caseworker)
    record = Return.objects.create(application=app, person=app.person, state=state)
    before = AuditEvent.objects.count()
    with pytest.raises(TransitionConflict):
        services.return_transition(actor=root_user, record=record, name=name)
    assert AuditEvent.objects.count() == before
    assert Return.objects.get(pk=record.pk).state == state


def test_the_decision_maker_of_another_unit_may_not_decide(unit, caseworker, other_unit):
    from tests.factories import staff_user

    app = _rejected(unit, caseworker)
    record = Return.objects.create(application=app, person=app.person, state=R.APPLIED)
    stranger = staff_user(username="bergen-decider", role="Decision-maker", unit=other_unit)
    with pytest.raises(PermissionDenied):
        services.return_transition(actor=stranger, record=record, name="grant_assisted")


# --- Statistics ------------------------------------------------------------------------------


def test_the_table_counts_returns_by_type_and_nationality(unit, caseworker, registrar):
    def ended(nationality: str, name: str, actor, **fields):
        app = _rejected(unit, caseworker)
        app.person.nationality = nationality
        app.person.save(update_fields=["nationality"])
        record = services.return_open(actor=caseworker, application=app)
        if name == "record_travel":
            record = services.return_transition(
                actor=caseworker, record=record, name="apply_assisted"
            )
            Return.objects.filter(pk=record.pk).update(state=R.GRANTED)
            record = Return.objects.get(pk=record.pk)
        if name == "carry_out_forced":
            record = services.return_transition(
                actor=caseworker, record=record, name="request_forced"
            )
        return services.return_transition(actor=actor, record=record, name=name, **fields)

    ended("IQ", "record_travel", caseworker)
    ended("IQ", "carry_out_forced", registrar)
    ended("IQ", "record_whereabouts_unknown", caseworker)
    ended("AF", "carry_out_forced", registrar)
    open_one = _rejected(unit, caseworker)
    services.return_open(actor=caseworker, application=open_one)  # not ended: not counted

    result = table("returns-by-type-and-nationality", year=timezone.localdate().year)
    rows = {r["code"]: r for r in result.rows}
    assert set(rows) == {"IQ", "AF"}
    assert (rows["IQ"]["assisted"], rows["IQ"]["forced"], rows["IQ"]["unknown"]) == (1, 1, 1)
    assert rows["IQ"]["in_time"] == 0 and rows["IQ"]["total"] == 3
    assert rows["AF"]["forced"] == 1 and rows["AF"]["total"] == 1
    assert result.rows[0]["code"] == "IQ"  # most returns first
    assert table("returns-by-type-and-nationality", year=2001).rows == []


# --- The API ---------------------------------------------------------------------------------


def test_the_api_per_role(api, unit, caseworker, decider, registrar, reception_officer):
    app = _rejected(unit, caseworker)
    placement, _permit = _with_placement_and_permit(app)
    # A reception officer has no returns: refused before any lookup.
    assert api(reception_officer).get("/api/v1/returns/").status_code == 403
    assert api(None).get("/api/v1/returns/").status_code == 401
    refused = api(reception_officer).post(
        "/api/v1/returns/", {"case_reference": app.reference}, format="json"
    )
    assert refused.status_code == 403

    created = api(caseworker).post(
        "/api/v1/returns/", {"case_reference": app.reference}, format="json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["state"] == "obliged" and body["case_reference"] == app.display_reference
    url = f"/api/v1/returns/{body['id']}/"
    again = api(caseworker).post(
        "/api/v1/returns/", {"case_reference": app.reference}, format="json"
    )
    assert again.status_code == 409

    offered = api(caseworker).get(url + "transitions/").json()
    assert {t["name"] for t in offered} == {
        "apply_assisted",
        "request_forced",
        "record_whereabouts_unknown",
    }
    asked = api(caseworker).post(url + "transitions/request_forced/", {}, format="json")
    assert asked.status_code == 200 and asked.json()["state"] == "forced_requested"
    # Only the police carry it out.
    assert (
        api(caseworker).post(url + "transitions/carry_out_forced/", {}, format="json").status_code
        == 403
    )
    police = api(registrar)
    etag = police.get(url).headers["ETag"]
    done = police.post(
        url + "transitions/carry_out_forced/",
        {"destination": "IQ"},
        format="json",
        HTTP_IF_MATCH=etag,
    )
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "forced_returned" and done.json()["destination"] == "IQ"
    assert Placement.objects.get(pk=placement.pk).end is not None
    stale = police.post(
        url + "transitions/record_whereabouts_unknown/", {}, format="json", HTTP_IF_MATCH=etag
    )
    assert stale.status_code == 412
    listed = api(decider).get("/api/v1/returns/?state=forced_returned").json()
    assert [r["id"] for r in listed["results"]] == [body["id"]]


# --- The admin ------------------------------------------------------------------------------


def _admin_list_queries(client) -> tuple[int, str]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/admin/casework/return/")
    assert response.status_code == 200
    return len(ctx.captured_queries), response.content.decode()


def test_the_admin_list_reads_the_same_for_two_rows_or_six(client, unit, caseworker):
    client.force_login(caseworker)
    for _ in range(2):
        services.return_open(actor=caseworker, application=_rejected(unit, caseworker))
    _admin_list_queries(client)  # the first request reads the session and the site once
    few, _page = _admin_list_queries(client)
    for _ in range(4):
        services.return_open(actor=caseworker, application=_rejected(unit, caseworker))
    many, page = _admin_list_queries(client)
    assert many == few
    assert page.count("obliged to leave") >= 6


def test_the_admin_offers_only_what_the_user_may_do_now(client, unit, caseworker, registrar):
    app = _rejected(unit, caseworker)
    record = services.return_open(actor=caseworker, application=app)
    record = services.return_transition(actor=caseworker, record=record, name="request_forced")
    url = f"/admin/casework/return/{record.pk}/change/"
    client.force_login(caseworker)
    page = client.get(url).content.decode()
    assert "Record forced return carried out" not in page  # the police's
    assert "Record whereabouts unknown" in page
    forged = client.post(f"/admin/casework/return/{record.pk}/transition/carry_out_forced/", {})
    assert forged.status_code == 403
    assert Return.objects.get(pk=record.pk).state == R.FORCED_REQUESTED
    client.force_login(registrar)
    assert "Record forced return carried out" in client.get(url).content.decode()
    done = client.post(
        f"/admin/casework/return/{record.pk}/transition/carry_out_forced/", {"destination": "IQ"}
    )
    assert done.status_code == 302
    assert Return.objects.get(pk=record.pk).state == R.FORCED_RETURNED
