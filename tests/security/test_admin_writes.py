"""Every write the admin offers goes through a service, for every admin of the three apps.

The admin is a face: a record saved there must leave exactly the trace the service leaves when
called directly (the audit event, recomputed fields, history rows), and a field no service
changes must not be editable there. These tests walk every ``ModelAdmin`` registered on every
``AdminSite`` for a model of casework, reception or integration and ask, as the superuser (who
may do everything), which writes it permits: add, change (a change form with an editable
field), delete, each inline's add, change and delete, and each bulk action.

Every write found must be in ``WRITES`` with the service that performs it. Registering an
admin, an inline or an action that permits a write no entry covers fails
``test_every_write_an_admin_permits_is_done_by_a_service`` and names it: route the write
through a service (``save_model``, ``save_formset``, ``delete_model``/``delete_queryset`` or
the action calling it, as ``casework.admin.base.ServiceFormAdminMixin`` shows), or forbid it
(``has_*_permission``), then add the entry here with a scenario below.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
import time_machine
from django.contrib import admin
from django.contrib.admin.sites import all_sites
from django.db import models, transaction
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django_fsm import FSMFieldMixin

from casework.applications.services import (
    application_assign,
    application_lodge,
    application_route,
)
from casework.deadlines import reminders
from casework.dublin import services as dublin_services
from casework.intake import imports
from casework.interpreters import services as interpreter_services
from casework.lawyers import services as lawyer_services
from casework.lawyers.models import (
    Appointment,
    DutyList,
    DutyListMember,
    Lawyer,
    Representative,
)
from casework.models import (
    Application,
    AuditEvent,
    DuplicateFlag,
    HouseholdLink,
    IdentityDocument,
    Person,
    Reminder,
    ResettlementQuota,
    ResettlementReferral,
    StaffProfile,
    Unit,
)
from casework.people.services import (
    PERSON_EDITABLE_FIELDS,
    duplicate_dismiss,
    duplicate_merge,
    household_link_add,
    household_link_remove,
    identity_document_add,
    identity_document_remove,
    identity_document_update,
    person_register,
    person_update,
)
from casework.permits import services as permit_services
from casework.privacy import retention as privacy
from casework.resettlement import services as resettlement_services
from casework.returns import services as return_services
from casework.returns.models import Return
from casework.staff.services import (
    STAFF_PROFILE_EDITABLE_FIELDS,
    UNIT_EDITABLE_FIELDS,
    staff_profile_create,
    staff_profile_update,
    unit_create,
    unit_update,
)
from casework.vulnerability import services as vulnerability_services
from casework.vulnerability.models import AgeAssessment, TbScreening, Vulnerability
from integration import services as integration_services
from integration.models import IntroductionProgramme, MunicipalityOfficer
from reception import services as reception_services
from reception.models import CentreStaff, MunicipalityQuota, ReceptionCentre
from tests.admin_forms import errors, form_on, post_form
from tests.factories import (
    ApplicationFactory,
    IdentityDocumentFactory,
    InterpreterBookingFactory,
    PersonFactory,
    ReminderFactory,
    UnitFactory,
    UserFactory,
    staff_user,
)
from tests.integration.factories import (
    FamilyReunificationFactory,
    WorkPermitFactory,
    municipality_named,
    settled,
)
from tests.permits.helpers import collective_permit
from tests.reception.factories import (
    CentreStaffFactory,
    MunicipalityQuotaFactory,
    ReceptionCentreFactory,
)

APPS = ("casework", "reception", "integration")

# Which service performs each write an admin permits (for the superuser). "add" through an
# admin's own page (``add_view`` overridden: placing, settling, importing, integration's
# create pages) is exercised by those pages' tests; every other entry by a scenario below.
WRITES: dict[str, dict[str, Callable]] = {
    "PersonAdmin": {
        "add": person_register,
        "change": person_update,
        "IdentityDocumentInline.add": identity_document_add,
        "IdentityDocumentInline.change": identity_document_update,
        "IdentityDocumentInline.delete": identity_document_remove,
        "HouseholdLinkInline.add": household_link_add,
        "HouseholdLinkInline.delete": household_link_remove,
        "action:export_subject_access": privacy.person_export,  # a read, access-logged
        "action:erase_personal_data": privacy.person_erase,
    },
    "DuplicateFlagAdmin": {
        "action:merge": duplicate_merge,
        "action:dismiss": duplicate_dismiss,
    },
    "ApplicationAdmin": {
        "add": application_lodge,
        "action:assign_to_caseworker": application_assign,
        "action:move_to_unit": application_route,
    },
    "UnitAdmin": {"add": unit_create, "change": unit_update},
    "StaffProfileAdmin": {
        "add": staff_profile_create,
        "change": staff_profile_update,
    },
    "ImportJobAdmin": {"add": imports.import_job_create},
    "ReminderAdmin": {"action:resend": reminders.reminder_resend},
    "ReceptionCentreAdmin": {
        "add": reception_services.centre_create,
        "change": reception_services.centre_update,
    },
    "CentreStaffAdmin": {
        "add": reception_services.centre_staff_add,
        "delete": reception_services.centre_staff_remove,
        "action:delete_selected": reception_services.centre_staff_remove,
    },
    "MunicipalityQuotaAdmin": {
        "add": reception_services.municipality_quota_create,
        "change": reception_services.municipality_quota_update,
    },
    "PlacementAdmin": {"add": reception_services.placement_create},
    "InterpreterAdmin": {"add": interpreter_services.interpreter_register},
    "InterpreterBookingAdmin": {"add": interpreter_services.booking_request},
    "DublinRequestAdmin": {"add": dublin_services.dublin_request_prepare},
    "DublinStayRequestAdmin": {"add": dublin_services.dublin_stay_lodge},
    "ReturnAdmin": {"add": return_services.return_open},
    "ResettlementQuotaAdmin": {
        "add": resettlement_services.quota_set,
        "change": resettlement_services.quota_set,
    },
    "ResettlementReferralAdmin": {"add": resettlement_services.referral_register},
    "SettlementAdmin": {"add": reception_services.settlement_record},
    "WorkPermitAdmin": {"add": integration_services.work_permit_request},
    "FamilyReunificationAdmin": {"add": integration_services.family_register},
    "IntroductionProgrammeAdmin": {"add": integration_services.programme_enrol},
    "LawyerAdmin": {
        "add": lawyer_services.lawyer_register,
        "change": lawyer_services.lawyer_update,
    },
    "DutyListAdmin": {
        "add": lawyer_services.duty_list_create,
        "DutyListMemberInline.add": lawyer_services.duty_list_arrange,
        "DutyListMemberInline.change": lawyer_services.duty_list_arrange,
        "DutyListMemberInline.delete": lawyer_services.duty_list_arrange,
    },
    "AppointmentAdmin": {
        "add": lawyer_services.appointment_make,
        "change": lawyer_services.appointment_end,
    },
    "RepresentativeAdmin": {
        "add": lawyer_services.representative_appoint,
        "change": lawyer_services.representative_end,
    },
    "VulnerabilityAdmin": {
        "add": vulnerability_services.vulnerability_record,
        "change": vulnerability_services.vulnerability_end,
    },
    "TbScreeningAdmin": {"change": vulnerability_services.tb_screening_record},
    "AgeAssessmentAdmin": {"add": vulnerability_services.age_assessment_record},
    "ResidencePermitAdmin": {"change": permit_services.permit_card_issued},
    "RenewalRunAdmin": {"add": permit_services.renewal_run_start},
    "MunicipalityOfficerAdmin": {
        "add": integration_services.municipality_officer_add,
        "delete": integration_services.municipality_officer_remove,
        "action:delete_selected": integration_services.municipality_officer_remove,
    },
}


def _programme() -> IntroductionProgramme:
    settlement = settled()
    return IntroductionProgramme.objects.create(
        person=settlement.person,
        settlement=settlement,
        municipality=settlement.municipality,
        start_on=settlement.settled_on,
        planned_end_on=settlement.settled_on + dt.timedelta(days=700),
    )


def _staff_profile() -> StaffProfile:
    user = staff_user(username="profiled", role="Caseworker", unit=UnitFactory())
    return user.staff_profile


# A record for every model whose admin lets the superuser open a change form (or whose model
# has a workflow state), and the fields the service that changes it accepts: everything else
# must be read-only there. Integration's records change only through their transition pages.
@dataclass
class Editable:
    make: Callable[[], models.Model]
    fields: frozenset[str]


def _dublin_root() -> Any:
    return UserFactory(username="dublin-root", is_superuser=True, is_staff=True)


def _dublin_request() -> Any:
    app = ApplicationFactory(track="dublin", state="examined")
    return dublin_services.dublin_request_prepare(
        actor=_dublin_root(), application=app, member_state="SE", kind="take_charge",
        legal_ground="art_12",
    )  # fmt: skip


def _dublin_stay() -> Any:
    from casework.dublin.models import DublinStayRequest

    request = _dublin_request()
    return DublinStayRequest.objects.create(
        application=request.application,
        request=request,
        lodged_at=timezone.now(),
        decision_due_at=timezone.now() + dt.timedelta(days=6),
    )


RECORDS: dict[str, Editable] = {
    "casework.Person": Editable(PersonFactory, PERSON_EDITABLE_FIELDS),
    "casework.Application": Editable(ApplicationFactory, frozenset()),
    "casework.Unit": Editable(UnitFactory, UNIT_EDITABLE_FIELDS),
    "casework.StaffProfile": Editable(_staff_profile, STAFF_PROFILE_EDITABLE_FIELDS),
    "casework.Lawyer": Editable(
        lambda: Lawyer.objects.create(name="Nora Helmer", bar_number="B-1", region="east"),
        frozenset(lawyer_services.LAWYER_FIELDS),
    ),
    "casework.DutyList": Editable(
        lambda: DutyList.objects.create(kind="48h", region="east"), frozenset()
    ),
    "casework.Appointment": Editable(
        lambda: _appointment(None)["record"], frozenset({"lawyer", "ends_on", "end_reason"})
    ),
    "casework.Representative": Editable(
        lambda: _representative(None)["record"], frozenset({"ends_on", "end_reason"})
    ),
    "casework.Vulnerability": Editable(
        lambda: _need(None)["record"], frozenset({"ended_on", "end_reason"})
    ),
    "casework.TbScreening": Editable(
        lambda: _screening(None)["record"], frozenset({"screened_on", "result"})
    ),
    "reception.ReceptionCentre": Editable(
        ReceptionCentreFactory, reception_services.CENTRE_EDITABLE_FIELDS
    ),
    "reception.MunicipalityQuota": Editable(
        lambda: MunicipalityQuotaFactory(year=timezone.localdate().year),
        reception_services.QUOTA_EDITABLE_FIELDS,
    ),
    "integration.WorkPermit": Editable(WorkPermitFactory, frozenset()),
    "casework.InterpreterBooking": Editable(InterpreterBookingFactory, frozenset()),
    "casework.DublinRequest": Editable(_dublin_request, frozenset()),
    "casework.DublinStayRequest": Editable(_dublin_stay, frozenset()),
    "casework.ResidencePermit": Editable(collective_permit, frozenset({"card_issued_on"})),
    "casework.Return": Editable(
        lambda: Return.objects.create(
            application=(app := ApplicationFactory(state="rejected")), person=app.person
        ),
        frozenset(),
    ),
    "casework.ResettlementQuota": Editable(
        lambda: ResettlementQuota.objects.create(year=2031, places=10),
        frozenset({"places", "source", "verified"}),
    ),
    "casework.ResettlementReferral": Editable(
        lambda: ResettlementReferral.objects.create(
            person=PersonFactory(), unhcr_reference="SYR-1", referral_date=dt.date(2026, 1, 2)
        ),
        frozenset(),
    ),
    "integration.FamilyReunification": Editable(FamilyReunificationFactory, frozenset()),
    "integration.IntroductionProgramme": Editable(_programme, frozenset()),
}


# --- walking the admin ----------------------------------------------------------------------


def registered_admins() -> list[tuple[type[models.Model], admin.ModelAdmin]]:
    """Every ModelAdmin of the three apps, on every AdminSite there is."""
    return [
        (model, model_admin)
        for site in all_sites
        for model, model_admin in site._registry.items()
        if model._meta.app_label in APPS
    ]


def as_user(user: Any) -> Any:
    request = RequestFactory().get("/admin/")
    request.user = user
    return request


def editable_fields(model_admin: admin.ModelAdmin, request: Any, obj: Any) -> set[str]:
    """The fields the change form (or the inline's rows) lets the user type into."""
    if isinstance(model_admin, admin.options.InlineModelAdmin):
        form = model_admin.get_formset(request, obj).form
    else:
        form = model_admin.get_form(request, obj, change=obj is not None)
    return set(form.base_fields)


def permitted_writes(model_admin: admin.ModelAdmin, request: Any) -> set[str]:
    """What the admin lets ``request.user`` write, as the admin itself decides it."""
    obj = model_admin.model()  # an unsaved record: the question is about any record
    writes = set()
    if model_admin.has_add_permission(request):
        writes.add("add")
    if model_admin.has_change_permission(request, obj) and editable_fields(
        model_admin, request, obj
    ):
        writes.add("change")
    if model_admin.has_delete_permission(request, obj):
        writes.add("delete")
    if model_admin.list_editable:
        writes.add("list_editable")  # saved by save_model from the list page
    for inline in model_admin.get_inline_instances(request, obj):
        name = type(inline).__name__
        if inline.has_add_permission(request, obj):
            writes.add(f"{name}.add")
        if inline.has_change_permission(request, obj) and editable_fields(inline, request, obj):
            writes.add(f"{name}.change")
        if inline.can_delete and inline.has_delete_permission(request, obj):
            writes.add(f"{name}.delete")
    writes |= {f"action:{name}" for name in model_admin.get_actions(request)}
    return writes


@pytest.fixture
def root(db):
    return UserFactory(username="root", is_superuser=True)


def test_every_write_an_admin_permits_is_done_by_a_service(root):
    request = as_user(root)
    problems = []
    seen = set()
    for model, model_admin in registered_admins():
        name = type(model_admin).__name__
        seen.add(name)
        covered = WRITES.get(name, {})
        for write in sorted(permitted_writes(model_admin, request) - set(covered)):
            problems.append(
                f"{name} ({model._meta.label}) permits '{write}' and no service covers it: "
                "make that write call the app's service (which checks permission, writes and "
                "audits in one transaction) or forbid it, then list it in WRITES in "
                "tests/security/test_admin_writes.py with a scenario."
            )
        for write in sorted(set(covered) - permitted_writes(model_admin, request)):
            problems.append(f"{name}: WRITES lists '{write}', which the admin no longer permits.")
    problems += [f"WRITES lists {n}, which is not registered." for n in set(WRITES) - seen]
    assert not problems, "\n".join(problems)


def test_every_changeable_record_has_its_editable_fields_declared(root):
    """The read-only tests below need a record of each model an admin may open for change."""
    request = as_user(root)
    missing = [
        f"{type(model_admin).__name__}: add {model._meta.label} to RECORDS in this file"
        for model, model_admin in registered_admins()
        if model._meta.label not in RECORDS
        and (
            model_admin.has_change_permission(request, model())
            or any(isinstance(f, FSMFieldMixin) for f in model._meta.fields)
        )
    ]
    assert not missing, "\n".join(missing)


def test_no_admin_offers_a_workflow_state_as_a_form_field(root):
    """The state of a case, permit, reunification or programme changes by transitions only."""
    request = as_user(root)
    offered, checked = [], 0
    for site in all_sites:
        for model, model_admin in site._registry.items():
            faces = [(model, model_admin, model())]
            if model_admin.has_add_permission(request):
                faces.append((model, model_admin, None))
            faces += [
                (inline.model, inline, model())
                for inline in model_admin.get_inline_instances(request, model())
            ]
            for form_model, face, obj in faces:
                states = {f.name for f in form_model._meta.fields if isinstance(f, FSMFieldMixin)}
                if not states:
                    continue
                checked += 1
                if states & editable_fields(face, request, obj):
                    offered.append(f"{type(face).__name__}: {sorted(states)}")
    assert not offered, offered
    assert checked >= 5  # cases (and on the person's page), permits, reunifications, programmes


# --- addresses ------------------------------------------------------------------------------


def change_url(record: models.Model) -> str:
    meta = record._meta
    return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[record.pk])


def add_url(model: type[models.Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_add")


def changelist_url(model: type[models.Model]) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


# --- what a write leaves behind ---------------------------------------------------------------


def mark() -> int:
    return AuditEvent.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# Keys of an audit event's ``changes`` that name the row the write created.
NEW_ROW_KEYS = {"subject", "document", "resend"}


def events_since(since: int, created: type[models.Model] | None, before: int) -> list[tuple]:
    """The audit events written after ``since``, as comparable tuples. The row the write
    created (``created``, with a key above ``before``) reads as "new" where an event names it,
    so the service's and the admin's events compare though their rows have different keys."""
    new_ids = set()
    if created is not None:
        new_ids = set(created.objects.filter(pk__gt=before).values_list("pk", flat=True))
    label = created._meta.label_lower if created is not None else ""

    def same(key: str, value: Any) -> Any:
        if key not in NEW_ROW_KEYS:
            return value
        if value in new_ids:
            return "new"
        if isinstance(value, str) and label and value.startswith(f"{label}:"):
            return f"{label}:new" if int(value.split(":")[-1]) in new_ids else value
        return value

    return [
        (
            e.action,
            "new" if created is Application and e.application_id in new_ids else e.application_id,
            "new" if created is Person and e.person_id in new_ids else e.person_id,
            e.actor_id,
            e.source_state,
            e.target_state,
            e.reason,
            {k: same(k, v) for k, v in e.changes.items()},
        )
        for e in AuditEvent.objects.filter(pk__gt=since).order_by("pk")
    ]


def rows_state(rows: dict[str, tuple[type[models.Model], Any]]) -> dict[str, Any]:
    """Every stored column of each row (``auto_now`` stamps aside) and its history rows."""
    state: dict[str, Any] = {}
    for key, (model, pk) in rows.items():
        fresh = model.objects.filter(pk=pk).first()
        if fresh is None:
            state[key] = "deleted"
            continue
        state[key] = {
            f.attname: getattr(fresh, f.attname)
            for f in model._meta.concrete_fields
            if not getattr(f, "auto_now", False)
        }
        if hasattr(model, "history"):
            state[key]["history rows"] = fresh.history.count()
    return state


@dataclass
class Write:
    """One admin write, and the service call it must amount to."""

    prepare: Callable[[Any], dict]  # the superuser -> what the write needs ("record", …)
    through_admin: Callable[[Any, dict], Any]  # (client, needs) -> the admin request(s)
    directly: Callable[[Any, dict], Any]  # (actor, needs) -> the service call
    created: type[models.Model] | None = None  # the model of the row an add creates


def _highest(model: type[models.Model] | None) -> int:
    if model is None:
        return 0
    return model.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


# --- the scenarios: one per write in WRITES that the admin's own forms carry -----------------


def _person(root: Any) -> dict:
    return {"record": PersonFactory(given_name="Amina", family_name="Rahimi")}


def _inline_row(prefix: str, index: int, **fields: Any) -> dict[str, Any]:
    return {f"{prefix}-{index}-{k}": v for k, v in fields.items()}


def _add_inline_row(client: Any, record: Any, prefix: str, **fields: Any) -> Any:
    url = change_url(record)
    data = form_on(client, url)
    index = int(data[f"{prefix}-TOTAL_FORMS"][0])
    changes = {f"{prefix}-TOTAL_FORMS": str(index + 1), **_inline_row(prefix, index, **fields)}
    return post_form(client, url, changes)


def _duty_list_of_two() -> dict:
    duty = DutyList.objects.create(kind="48h", region="east")
    first = Lawyer.objects.create(name="Nora Helmer", bar_number="B-1", region="east")
    second = Lawyer.objects.create(name="Hedda Gabler", bar_number="B-2", region="east")
    DutyListMember.objects.create(duty_list=duty, lawyer=first, position=1)
    DutyListMember.objects.create(duty_list=duty, lawyer=second, position=2)
    return {"record": duty, "first": first, "second": second}


def _document(root: Any) -> dict:
    person = PersonFactory()
    return {"record": person, "document": IdentityDocumentFactory(person=person)}


def _linked(root: Any) -> dict:
    person, relative = PersonFactory(), PersonFactory()
    link = HouseholdLink.objects.create(person=person, relative=relative, relation="child")
    return {"record": person, "relative": relative, "link": link}


def _flag(root: Any) -> dict:
    person, candidate = PersonFactory(), PersonFactory()
    return {"flag": DuplicateFlag.objects.create(person=person, candidate=candidate, score=0.9)}


def _action(client: Any, model: type[models.Model], name: str, pk: int, **extra: Any) -> Any:
    response = client.post(
        changelist_url(model), {"action": name, "_selected_action": [pk], **extra}
    )
    assert response.status_code == 302, response.content.decode()[:3000]
    return response


def _centre(root: Any) -> dict:
    return {"record": ReceptionCentreFactory(capacity=10)}


def _quota(root: Any) -> dict:
    return {"record": MunicipalityQuotaFactory(year=timezone.localdate().year, places=100)}


def _centre_staff(root: Any) -> dict:
    return {"post": CentreStaffFactory(user=UserFactory())}


def _officer(root: Any) -> dict:
    post = MunicipalityOfficer.objects.create(
        user=UserFactory(), municipality=municipality_named("Bergen")
    )
    return {"post": post}


def _reminder(root: Any) -> dict:
    app = ApplicationFactory()
    reminder = ReminderFactory(
        deadline__application=app, deadline__object_id=app.pk, status="sent", channel="email"
    )
    return {"reminder": reminder}


def _appointment(root: Any) -> dict:
    app = ApplicationFactory(state="rejected")
    app.decisions.create(instance="first", outcome="rejected", grounds="g")
    lawyer = Lawyer.objects.create(name="Hedda Gabler", bar_number="B-10", region="east")
    other = Lawyer.objects.create(name="Ejlert Loevborg", bar_number="B-11", region="east")
    record = Appointment.objects.create(application=app, lawyer=lawyer, reason="rejection")
    return {"record": record, "application": app, "lawyer": lawyer, "other": other}


def _representative(root: Any) -> dict:
    person = PersonFactory(unaccompanied_minor=True)
    ApplicationFactory(person=person)
    record = Representative.objects.create(
        person=person, name="Solveig Dahl", appointed_by="Statsforvalteren", phone="1"
    )
    return {"record": record, "person": person}


def _need(root: Any) -> dict:
    person = PersonFactory()
    ApplicationFactory(person=person)
    record = Vulnerability.objects.create(person=person, kind="pregnant", detail="week 30")
    return {"record": record, "person": person}


def _screening(root: Any) -> dict:
    person = PersonFactory()
    ApplicationFactory(person=person)
    day = timezone.localdate() - dt.timedelta(days=3)
    record = TbScreening.objects.create(
        person=person, arrived_on=day, due_on=day + dt.timedelta(days=14), method="xray"
    )
    return {"record": record, "person": person}


def _claimed_minor(root: Any) -> dict:
    return {"person": _minor()}


def _fresh_rejection() -> Application:
    app = ApplicationFactory(state="rejected")
    app.decisions.create(instance="first", outcome="rejected", grounds="g")
    return app


def _minor() -> Person:
    person = PersonFactory(unaccompanied_minor=True)
    ApplicationFactory(person=person)
    return person


def _erasable(root: Any) -> dict:
    return {"person": PersonFactory()}


SCENARIOS: dict[str, Write] = {
    "PersonAdmin.add": Write(
        prepare=lambda root: {},
        through_admin=lambda client, n: post_form(
            client,
            add_url(Person),
            {
                "given_name": "Yonas",
                "family_name": "Tesfaye",
                "date_of_birth": "1990-02-20",
                "sex": "male",
                "nationality": "ER",
            },
        ),
        directly=lambda actor, n: person_register(
            actor=actor,
            given_name="Yonas",
            family_name="Tesfaye",
            date_of_birth=dt.date(1990, 2, 20),
            sex="male",
            nationality="ER",
        ),
        created=Person,
    ),
    "PersonAdmin.change": Write(
        prepare=_person,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"email": "amina@example.invalid"}
        ),
        directly=lambda actor, n: person_update(
            actor=actor, person=n["record"], email="amina@example.invalid"
        ),
    ),
    "PersonAdmin.change (name: the name key follows)": Write(
        prepare=_person,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"family_name": "Rahimova"}
        ),
        directly=lambda actor, n: person_update(
            actor=actor, person=n["record"], family_name="Rahimova"
        ),
    ),
    "PersonAdmin.IdentityDocumentInline.add": Write(
        prepare=_person,
        through_admin=lambda client, n: _add_inline_row(
            client, n["record"], "documents", kind="passport", number="N0001", issuing_country="SY"
        ),
        directly=lambda actor, n: identity_document_add(
            actor=actor, person=n["record"], kind="passport", number="N0001", issuing_country="SY"
        ),
        created=IdentityDocument,
    ),
    "PersonAdmin.IdentityDocumentInline.change": Write(
        prepare=_document,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"documents-0-verified": "on"}
        ),
        directly=lambda actor, n: identity_document_update(
            actor=actor, document=n["document"], verified=True
        ),
    ),
    "PersonAdmin.IdentityDocumentInline.delete": Write(
        prepare=_document,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"documents-0-DELETE": "on"}
        ),
        directly=lambda actor, n: identity_document_remove(actor=actor, document=n["document"]),
    ),
    "PersonAdmin.HouseholdLinkInline.add": Write(
        prepare=lambda root: {"record": PersonFactory(), "relative": PersonFactory()},
        through_admin=lambda client, n: _add_inline_row(
            client, n["record"], "household_links", relative=n["relative"].pk, relation="spouse"
        ),
        directly=lambda actor, n: household_link_add(
            actor=actor, person=n["record"], relative=n["relative"], relation="spouse"
        ),
        created=HouseholdLink,
    ),
    "PersonAdmin.HouseholdLinkInline.delete": Write(
        prepare=_linked,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"household_links-0-DELETE": "on"}
        ),
        directly=lambda actor, n: household_link_remove(actor=actor, link=n["link"]),
    ),
    "PersonAdmin.action:erase_personal_data": Write(
        prepare=_erasable,
        through_admin=lambda client, n: _action(
            client,
            Person,
            "erase_personal_data",
            n["person"].pk,
            apply="1",
            reason="GDPR art. 17 request",
        ),
        directly=lambda actor, n: privacy.person_erase(
            actor=actor, person=n["person"], reason="GDPR art. 17 request"
        ),
    ),
    "DuplicateFlagAdmin.action:merge": Write(
        prepare=_flag,
        through_admin=lambda client, n: _action(client, DuplicateFlag, "merge", n["flag"].pk),
        directly=lambda actor, n: duplicate_merge(actor=actor, flag=n["flag"]),
    ),
    "DuplicateFlagAdmin.action:dismiss": Write(
        prepare=_flag,
        through_admin=lambda client, n: _action(client, DuplicateFlag, "dismiss", n["flag"].pk),
        directly=lambda actor, n: duplicate_dismiss(actor=actor, flag=n["flag"]),
    ),
    "ApplicationAdmin.add": Write(
        prepare=lambda root: {"person": PersonFactory(), "unit": UnitFactory()},
        through_admin=lambda client, n: post_form(
            client,
            add_url(Application),
            {
                "person": n["person"].pk,
                "kind": "protection",
                "track": "normal",
                "lodged_on": "2026-03-02",
                "unit": n["unit"].pk,
            },
        ),
        directly=lambda actor, n: application_lodge(
            actor=actor,
            person=n["person"],
            kind="protection",
            track="normal",
            lodged_on=dt.date(2026, 3, 2),
            unit=n["unit"],
        ),
        created=Application,
    ),
    "ApplicationAdmin.action:assign_to_caseworker": Write(
        prepare=lambda root: {
            "record": ApplicationFactory(),
            "assignee": staff_user(username="assignee", role="Caseworker", unit=None),
        },
        through_admin=lambda client, n: _action(
            client,
            Application,
            "assign_to_caseworker",
            n["record"].pk,
            apply="1",
            assignee=n["assignee"].pk,
        ),
        directly=lambda actor, n: application_assign(
            actor=actor, application=n["record"], assignee=n["assignee"]
        ),
    ),
    "ApplicationAdmin.action:move_to_unit": Write(
        prepare=lambda root: {
            "record": ApplicationFactory(),
            "unit": UnitFactory(code="tromso-route", name="Asylum unit Tromsø"),
        },
        through_admin=lambda client, n: _action(
            client,
            Application,
            "move_to_unit",
            n["record"].pk,
            apply="1",
            unit=n["unit"].pk,
            reason="The applicant lives in Tromsø.",
        ),
        directly=lambda actor, n: application_route(
            actor=actor,
            application=n["record"],
            unit=n["unit"],
            reason="The applicant lives in Tromsø.",
        ),
    ),
    "UnitAdmin.add": Write(
        prepare=lambda root: {},
        through_admin=lambda client, n: post_form(
            client, add_url(Unit), {"code": "tromso", "name": "Asylum unit Tromsø"}
        ),
        directly=lambda actor, n: unit_create(
            actor=actor, code="tromso", name="Asylum unit Tromsø"
        ),
        created=Unit,
    ),
    "UnitAdmin.change": Write(
        prepare=lambda root: {"record": UnitFactory()},
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"name": "Asylum unit Nord"}
        ),
        directly=lambda actor, n: unit_update(
            actor=actor, unit=n["record"], name="Asylum unit Nord"
        ),
    ),
    "StaffProfileAdmin.add": Write(
        prepare=lambda root: {"user": UserFactory(), "unit": UnitFactory()},
        through_admin=lambda client, n: post_form(
            client,
            add_url(StaffProfile),
            {"user": n["user"].pk, "unit": n["unit"].pk, "language": "en"},
        ),
        directly=lambda actor, n: staff_profile_create(
            actor=actor, user=n["user"], unit=n["unit"], language="en"
        ),
        created=StaffProfile,
    ),
    "StaffProfileAdmin.change": Write(
        prepare=lambda root: {"record": _staff_profile(), "unit": UnitFactory()},
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"unit": n["unit"].pk}
        ),
        directly=lambda actor, n: staff_profile_update(
            actor=actor, profile=n["record"], unit=n["unit"]
        ),
    ),
    "ReminderAdmin.action:resend": Write(
        prepare=_reminder,
        through_admin=lambda client, n: _action(client, Reminder, "resend", n["reminder"].pk),
        directly=lambda actor, n: reminders.reminder_resend(actor=actor, reminder=n["reminder"]),
        created=Reminder,
    ),
    "ReceptionCentreAdmin.add": Write(
        prepare=lambda root: {"municipality": municipality_named("Bergen")},
        through_admin=lambda client, n: post_form(
            client,
            add_url(ReceptionCentre),
            {
                "name": "Fana",
                "kind": "ordinary",
                "operator_kind": "non_profit",
                "operator_name": "Hero Norge",
                "municipality": n["municipality"].pk,
                "capacity": "40",
                "opened_on": "2024-01-01",
            },
        ),
        directly=lambda actor, n: reception_services.centre_create(
            actor=actor,
            name="Fana",
            kind="ordinary",
            operator_kind="non_profit",
            operator_name="Hero Norge",
            municipality=n["municipality"],
            capacity=40,
            opened_on=dt.date(2024, 1, 1),
        ),
        created=ReceptionCentre,
    ),
    "ReceptionCentreAdmin.change": Write(
        prepare=_centre,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"capacity": "12"}
        ),
        directly=lambda actor, n: reception_services.centre_update(
            actor=actor, centre=n["record"], capacity=12
        ),
    ),
    "CentreStaffAdmin.add": Write(
        prepare=lambda root: {"centre": ReceptionCentreFactory(), "user": UserFactory()},
        through_admin=lambda client, n: post_form(
            client, add_url(CentreStaff), {"centre": n["centre"].pk, "user": n["user"].pk}
        ),
        directly=lambda actor, n: reception_services.centre_staff_add(
            actor=actor, centre=n["centre"], user=n["user"]
        ),
    ),
    "CentreStaffAdmin.delete": Write(
        prepare=_centre_staff,
        through_admin=lambda client, n: client.post(
            reverse("admin:reception_centrestaff_delete", args=[n["post"].pk]), {"post": "yes"}
        ),
        directly=lambda actor, n: reception_services.centre_staff_remove(
            actor=actor, centre_staff=n["post"]
        ),
    ),
    "CentreStaffAdmin.action:delete_selected": Write(
        prepare=_centre_staff,
        through_admin=lambda client, n: _action(
            client, CentreStaff, "delete_selected", n["post"].pk, post="yes"
        ),
        directly=lambda actor, n: reception_services.centre_staff_remove(
            actor=actor, centre_staff=n["post"]
        ),
    ),
    "MunicipalityQuotaAdmin.add": Write(
        prepare=lambda root: {"municipality": municipality_named("Bergen")},
        through_admin=lambda client, n: post_form(
            client,
            add_url(MunicipalityQuota),
            {
                "municipality": n["municipality"].pk,
                "year": "2031",
                "places": "50",
                "unaccompanied_minor_places": "5",
            },
        ),
        directly=lambda actor, n: reception_services.municipality_quota_create(
            actor=actor,
            municipality=n["municipality"],
            year=2031,
            places=50,
            unaccompanied_minor_places=5,
        ),
        created=MunicipalityQuota,
    ),
    "MunicipalityQuotaAdmin.change": Write(
        prepare=_quota,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"places": "120"}
        ),
        directly=lambda actor, n: reception_services.municipality_quota_update(
            actor=actor, quota=n["record"], places=120
        ),
    ),
    "ResettlementQuotaAdmin.add": Write(
        prepare=lambda root: {},
        through_admin=lambda client, n: post_form(
            client,
            add_url(ResettlementQuota),
            {"year": "2031", "places": "500", "source": "the budget", "verified": "on"},
        ),
        directly=lambda actor, n: resettlement_services.quota_set(
            actor=actor, year=2031, places=500, source="the budget", verified=True
        ),
        created=ResettlementQuota,
    ),
    "ResettlementQuotaAdmin.change": Write(
        prepare=lambda root: {"record": ResettlementQuota.objects.create(year=2031, places=10)},
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"places": "120"}
        ),
        directly=lambda actor, n: resettlement_services.quota_set(
            actor=actor, year=2031, places=120, expected_version=1
        ),
    ),
    "MunicipalityOfficerAdmin.add": Write(
        prepare=lambda root: {"municipality": municipality_named("Oslo"), "user": UserFactory()},
        through_admin=lambda client, n: post_form(
            client,
            add_url(MunicipalityOfficer),
            {"user": n["user"].pk, "municipality": n["municipality"].pk},
        ),
        directly=lambda actor, n: integration_services.municipality_officer_add(
            actor=actor, user=n["user"], municipality=n["municipality"]
        ),
    ),
    "LawyerAdmin.add": Write(
        prepare=lambda root: {},
        through_admin=lambda client, n: post_form(
            client,
            add_url(Lawyer),
            {"name": "Nora Helmer", "bar_number": "B-77", "region": "west", "active": "on"},
        ),
        directly=lambda actor, n: lawyer_services.lawyer_register(
            actor=actor, name="Nora Helmer", bar_number="B-77", region="west"
        ),
        created=Lawyer,
    ),
    "LawyerAdmin.change": Write(
        prepare=lambda root: {
            "record": Lawyer.objects.create(name="Nora Helmer", bar_number="B-1", region="east")
        },
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"firm": "Helmer Advokat", "active": ""}
        ),
        directly=lambda actor, n: lawyer_services.lawyer_update(
            actor=actor, lawyer=n["record"], firm="Helmer Advokat", active=False
        ),
    ),
    "DutyListAdmin.add": Write(
        prepare=lambda root: {},
        through_admin=lambda client, n: post_form(
            client, add_url(DutyList), {"kind": "48h", "region": "east"}
        ),
        directly=lambda actor, n: lawyer_services.duty_list_create(
            actor=actor, kind="48h", region="east"
        ),
        created=DutyList,
    ),
    "DutyListAdmin.DutyListMemberInline.add": Write(
        prepare=lambda root: {
            "record": DutyList.objects.create(kind="48h", region="east"),
            "lawyer": Lawyer.objects.create(name="Nora Helmer", bar_number="B-1", region="east"),
        },
        through_admin=lambda client, n: _add_inline_row(
            client, n["record"], "members", lawyer=n["lawyer"].pk
        ),
        directly=lambda actor, n: lawyer_services.duty_list_arrange(
            actor=actor, duty_list=n["record"], lawyers=[n["lawyer"]]
        ),
    ),
    # The first lawyer moves behind the second (place 3 of 2: the end).
    "DutyListAdmin.DutyListMemberInline.change": Write(
        prepare=lambda root: _duty_list_of_two(),
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"members-0-position": "3"}
        ),
        directly=lambda actor, n: lawyer_services.duty_list_arrange(
            actor=actor, duty_list=n["record"], lawyers=[n["second"], n["first"]]
        ),
    ),
    "DutyListAdmin.DutyListMemberInline.delete": Write(
        prepare=lambda root: _duty_list_of_two(),
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"members-0-DELETE": "on"}
        ),
        directly=lambda actor, n: lawyer_services.duty_list_arrange(
            actor=actor, duty_list=n["record"], lawyers=[n["second"]]
        ),
    ),
    "AppointmentAdmin.add": Write(
        prepare=lambda root: {
            "application": _fresh_rejection(),
            "other": Lawyer.objects.create(
                name="Ejlert Loevborg", bar_number="B-12", region="east"
            ),
        },
        through_admin=lambda client, n: post_form(
            client,
            add_url(Appointment),
            {
                "application": n["application"].pk,
                "reason": "rejection",
                "lawyer": n["other"].pk,
            },
        ),
        directly=lambda actor, n: lawyer_services.appointment_make(
            actor=actor, application=n["application"], reason="rejection", lawyer=n["other"]
        ),
        created=Appointment,
    ),
    "AppointmentAdmin.change": Write(
        prepare=_appointment,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"end_reason": "The lawyer withdrew."}
        ),
        directly=lambda actor, n: lawyer_services.appointment_end(
            actor=actor, appointment=n["record"], reason="The lawyer withdrew."
        ),
    ),
    "AppointmentAdmin.change (another lawyer: the appointment changes)": Write(
        prepare=_appointment,
        through_admin=lambda client, n: post_form(
            client,
            change_url(n["record"]),
            {"lawyer": n["other"].pk, "end_reason": "The applicant asked for another."},
        ),
        directly=lambda actor, n: lawyer_services.appointment_change(
            actor=actor,
            appointment=n["record"],
            lawyer=n["other"],
            reason="The applicant asked for another.",
        ),
        created=Appointment,
    ),
    "RepresentativeAdmin.add": Write(
        prepare=lambda root: {"person": _minor()},
        through_admin=lambda client, n: post_form(
            client,
            add_url(Representative),
            {
                "person": n["person"].pk,
                "name": "Solveig Dahl",
                "appointed_by": "Statsforvalteren",
                "phone": "+4790000000",
            },
        ),
        directly=lambda actor, n: lawyer_services.representative_appoint(
            actor=actor,
            person=n["person"],
            name="Solveig Dahl",
            appointed_by="Statsforvalteren",
            phone="+4790000000",
        ),
        created=Representative,
    ),
    "RepresentativeAdmin.change": Write(
        prepare=_representative,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"end_reason": "The minor turned 18."}
        ),
        directly=lambda actor, n: lawyer_services.representative_end(
            actor=actor, representative=n["record"], reason="The minor turned 18."
        ),
    ),
    "VulnerabilityAdmin.add": Write(
        prepare=lambda root: {"person": PersonFactory()},
        through_admin=lambda client, n: post_form(
            client,
            add_url(Vulnerability),
            {
                "person": n["person"].pk,
                "kind": "torture",
                "detail": "Scars, nightmares.",
                "accommodation": ["single_room", "ground_floor"],
                "assessed_on": timezone.localdate().isoformat(),
            },
        ),
        directly=lambda actor, n: vulnerability_services.vulnerability_record(
            actor=actor,
            person=n["person"],
            kind="torture",
            detail="Scars, nightmares.",
            accommodation=["single_room", "ground_floor"],
        ),
        created=Vulnerability,
    ),
    "VulnerabilityAdmin.change": Write(
        prepare=_need,
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"end_reason": "The child was born."}
        ),
        directly=lambda actor, n: vulnerability_services.vulnerability_end(
            actor=actor, vulnerability=n["record"], reason="The child was born."
        ),
    ),
    "TbScreeningAdmin.change": Write(
        prepare=_screening,
        through_admin=lambda client, n: post_form(
            client,
            change_url(n["record"]),
            {"screened_on": timezone.localdate().isoformat(), "result": "negative"},
        ),
        directly=lambda actor, n: vulnerability_services.tb_screening_record(
            actor=actor,
            screening=n["record"],
            screened_on=timezone.localdate(),
            result="negative",
        ),
    ),
    "AgeAssessmentAdmin.add": Write(
        prepare=_claimed_minor,
        through_admin=lambda client, n: post_form(
            client,
            add_url(AgeAssessment),
            {
                "person": n["person"].pk,
                "claimed_birth_date": n["person"].date_of_birth.isoformat(),
                "method": "interview",
                "outcome": "undetermined",
                "basis": "Consistent account.",
                "assessed_on": timezone.localdate().isoformat(),
            },
        ),
        directly=lambda actor, n: vulnerability_services.age_assessment_record(
            actor=actor,
            person=n["person"],
            claimed_birth_date=n["person"].date_of_birth,
            method="interview",
            outcome="undetermined",
            basis="Consistent account.",
        ),
        created=AgeAssessment,
    ),
    "ResidencePermitAdmin.change": Write(
        prepare=lambda root: {"record": collective_permit()},
        through_admin=lambda client, n: post_form(
            client, change_url(n["record"]), {"card_issued_on": "2025-03-05"}
        ),
        directly=lambda actor, n: permit_services.permit_card_issued(
            actor=actor, permit=n["record"], issued_on=dt.date(2025, 3, 5)
        ),
    ),
    "MunicipalityOfficerAdmin.delete": Write(
        prepare=_officer,
        through_admin=lambda client, n: client.post(
            reverse("admin:integration_municipalityofficer_delete", args=[n["post"].pk]),
            {"post": "yes"},
        ),
        directly=lambda actor, n: integration_services.municipality_officer_remove(
            actor=actor, officer=n["post"]
        ),
    ),
    "MunicipalityOfficerAdmin.action:delete_selected": Write(
        prepare=_officer,
        through_admin=lambda client, n: _action(
            client, MunicipalityOfficer, "delete_selected", n["post"].pk, post="yes"
        ),
        directly=lambda actor, n: integration_services.municipality_officer_remove(
            actor=actor, officer=n["post"]
        ),
    ),
}

# Writes in WRITES made on a page of the admin's own (overridden ``add_view``), or reads.
OWN_PAGES = {
    "ImportJobAdmin.add",
    "PlacementAdmin.add",
    "InterpreterAdmin.add",
    "InterpreterBookingAdmin.add",
    "DublinRequestAdmin.add",
    "DublinStayRequestAdmin.add",
    "ReturnAdmin.add",
    "ResettlementReferralAdmin.add",
    "SettlementAdmin.add",
    "WorkPermitAdmin.add",
    "FamilyReunificationAdmin.add",
    "IntroductionProgrammeAdmin.add",
    "RenewalRunAdmin.add",
    "PersonAdmin.action:export_subject_access",
}


def test_every_write_has_a_scenario_or_a_page_of_its_own():
    """So that ``test_a_write_through_the_admin_is_the_service_call`` runs each of them."""
    listed = {f"{admin_name}.{write}" for admin_name, writes in WRITES.items() for write in writes}
    run = {name.split(" (")[0] for name in SCENARIOS} | OWN_PAGES
    assert listed - run == set(), "add a scenario to SCENARIOS for these"
    assert run - listed == set(), "a scenario for a write WRITES does not list"
    for name in OWN_PAGES - {"PersonAdmin.action:export_subject_access"}:
        admin_name = name.split(".")[0]
        model_admin = next(a for _m, a in registered_admins() if type(a).__name__ == admin_name)
        assert type(model_admin).add_view is not admin.ModelAdmin.add_view, name


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_a_write_through_the_admin_is_the_service_call(name, client, root):
    """The admin's write leaves what the service leaves when called directly: the same audit
    events (action, subject, actor, states, reason, changes), and the same stored rows (every
    column, history rows counted) of every record the write touches. The service's run is
    rolled back before the admin's, on the same rows, at the same frozen moment."""
    write = SCENARIOS[name]
    needs = write.prepare(root)
    rows = {k: (type(v), v.pk) for k, v in needs.items() if isinstance(v, models.Model)}
    before, highest = mark(), _highest(write.created)
    with time_machine.travel(timezone.now(), tick=False):
        untouched = rows_state(rows)
        with transaction.atomic():
            write.directly(root, needs)
            expected_events = events_since(before, write.created, highest)
            expected_rows = rows_state(rows)
            transaction.set_rollback(True)
        assert expected_events, f"{name}: the service wrote no audit event"
        assert mark() == before and rows_state(rows) == untouched

        needs = {**needs, **{k: model.objects.get(pk=pk) for k, (model, pk) in rows.items()}}
        client.force_login(root)
        write.through_admin(client, needs)

        assert events_since(before, write.created, highest) == expected_events
        assert rows_state(rows) == expected_rows


# --- fields the services do not change are read-only -----------------------------------------


def _tampered(field: models.Field, current: Any) -> str:
    """A value for ``field`` other than ``current``, as a form would post it."""
    if isinstance(field, FSMFieldMixin) or field.choices:
        return next(str(v) for v, _label in field.flatchoices if v != current and v != "")
    if isinstance(field, models.BooleanField):
        return "" if current else "on"
    if isinstance(field, models.DateTimeField):
        return "2001-02-03 04:05:06"
    if isinstance(field, models.DateField):
        return "2001-02-03"
    if isinstance(field, models.ForeignKey):
        other = field.related_model.objects.exclude(pk=current).values_list("pk", flat=True)
        return str(other.first() or (current or 0) + 1)
    if isinstance(field, models.IntegerField | models.FloatField | models.DecimalField):
        return str((current or 0) + 7)
    if isinstance(field, models.EmailField):
        return "tampered@example.invalid"
    return "TAMPERED9"


@pytest.mark.parametrize("label", sorted(RECORDS))
def test_fields_the_services_refuse_are_read_only_in_the_admin(label, client, root):
    """Not a form field on the change page, and a POST that carries them changes nothing."""
    entry = RECORDS[label]
    record = entry.make()
    UserFactory(username="someone-else")  # another row for a tampered user reference
    PersonFactory()  # and another person
    model = type(record)
    model_admin = next(a for m, a in registered_admins() if m is model)
    request = as_user(root)
    offered = editable_fields(model_admin, request, record)
    extra = offered - entry.fields
    assert not extra, f"{label}: editable in the admin, but its service refuses {sorted(extra)}"

    refused = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and f.name not in entry.fields and not getattr(f, "auto_now", False)
    ]
    stored = {f.attname: getattr(record, f.attname) for f in refused}
    before = mark()
    client.force_login(root)
    url = change_url(record)
    if model_admin.has_change_permission(request, record):
        data = {**form_on(client, url), "_save": "Save"}
    else:
        data = {}
    for f in refused:
        data[f.name] = _tampered(f, getattr(record, f.attname))
    response = client.post(url, data)
    assert response.status_code in (302, 403), errors(response)

    record.refresh_from_db()
    assert {f.attname: getattr(record, f.attname) for f in refused} == stored
    assert mark() == before, "a POST that changed nothing editable wrote an audit event"
