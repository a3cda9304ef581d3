"""One person with a record in every app, written the way the system writes them (the API,
the services, transitions), each record holding words no other record holds: for the tests
that walk the whole system (erasure, the access log of every read)."""

from __future__ import annotations

import datetime as dt

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from casework.applications.services import application_transition
from casework.audit.services import audit_log
from casework.casefile import services as casefile
from casework.interpreters import services as interpreter_services
from casework.letters.services import letter_create, letter_delivery_record, letter_record_sending
from casework.models import Person, ResettlementReferral
from casework.people.services import household_link_add, identity_document_add, person_update
from casework.permits.choices import PermitType
from casework.permits.models import ResidencePermit
from casework.resettlement import services as resettlement_services
from casework.returns import services as return_services
from casework.vulnerability import services as vulnerability
from integration.models import (
    IntroductionProgramme,
    MunicipalityOfficer,
    NorwegianTest,
    ProgrammeElement,
)
from reception import services as reception_services
from reception.models import CentreStaff
from tests.factories import (
    ApplicationFactory,
    DeadlineFactory,
    InterviewFactory,
    PersonFactory,
    ReminderFactory,
)
from tests.integration.factories import FamilyReunificationFactory, WorkPermitFactory, settled
from tests.reception.factories import ReceptionCentreFactory

# Words only this person's records hold; none may survive the erasure anywhere.
WORDS = {
    "given_name": "Zyxwanda",
    "family_name": "Quorblethwaite",
    "name_in_document": "ZYXWANDA QUORBLETHWAITE-DOCNAME",
    "email": "zyxwanda.q@example.invalid",
    "phone": "+4799887766",
    "health_needs": "HEALTH-CINNABAR",
    "document_number": "DOCQZX4471",
    "external_id": "EXT-QZX-0042",
    "interview_location": "ROOM-PERIWINKLE",
    "grounds": "GROUNDS-VELVET-HERON",
    "lawyer": "Hesperine Lunde-Vasquez",
    "late_reason": "LATE-ALBATROSS",
    "appeal_grounds": "APPEAL-SAFFRON",
    "hold_reason": "HOLD-NUTMEG",
    "resume_reason": "RESUME-PAPRIKA",
    "assessment": "ASSESSMENT-SORREL",
    "new_information": "REVERSAL-CARDAMOM",
    "transfer_reason": "TRANSFER-MARIGOLD",
    "permit_grounds": "PERMIT-OBSIDIAN",
    "family_exception": "FAMILY-TAMARIND",
    "family_income": "INCOME-JUNIPER",
    "family_grounds": "FAMILY-ZIRCON",
    "programme_extension": "PROGRAMME-LANTERN",
    "programme_outcome": "OUTCOME-QUILL",
    "reminder_recipient": "zyxwanda.q+remind@example.invalid",
    "note": "NOTE-TOURMALINE",
    "note_before": "NOTE-BEFORE-GARNET",
    "note_reason": "REASON-JASPER",
    "document_title": "TITLE-MARBLE-OWL",
    "document_source": "SOURCE-HALCYON",
    "booking_dialect": "DIALECT-MARMALADE",
    "booking_reason": "BOOKING-TANGERINE",
    "vulnerability_detail": "NEED-CORMORANT",
    "vulnerability_end": "NEED-END-WALRUS",
    "age_basis": "AGE-BASIS-FENNEL",
    "dublin_reason": "DUBLIN-PEREGRINE",
    "stay_grounds": "STAY-LAPWING",
    "return_grounds": "RETURN-PERSIMMON",
    "unhcr_reference": "UNHCR-PERIWINKLE",
    "referral_reason": "REFERRAL-MANDARIN",
}


def person_in_every_app(dpo, registrar, *, unit=None, reception=None, integration=None) -> Person:
    """The person, their case in ``unit``, placed in centres ``reception`` works for, settled
    in a municipality ``integration`` works for; ``person.words`` are their words."""
    api = APIClient()
    api.force_authenticate(registrar)
    created = api.post(
        "/api/v1/people/",
        {
            "given_name": WORDS["given_name"],
            "family_name": WORDS["family_name"],
            "name_in_document": WORDS["name_in_document"],
            "date_of_birth": "1991-04-17",
            "sex": "female",
            "nationality": "ER",
            "email": WORDS["email"],
            "phone": WORDS["phone"],
            "health_needs": WORDS["health_needs"],
        },
        format="json",
        HTTP_IDEMPOTENCY_KEY="erasure-test-1",  # the API keeps its answer for replay
    )
    assert created.status_code == 201, created.content
    person = Person.objects.get(pk=created.json()["id"])
    words = {**WORDS, "registration_number": person.registration_number}
    identity_document_add(
        actor=dpo, person=person, kind="passport", number=WORDS["document_number"]
    )
    household_link_add(actor=dpo, person=PersonFactory(), relative=person, relation="child")
    person_update(actor=dpo, person=person, languages="ti")  # a field-history row
    # Special needs (one current, one ended) and an age assessment, with their words.
    vulnerability.vulnerability_record(
        actor=dpo,
        person=person,
        kind="torture",
        detail=WORDS["vulnerability_detail"],
        accommodation=["single_room"],
    )
    pregnant = vulnerability.vulnerability_record(actor=dpo, person=person, kind="pregnant")
    vulnerability.vulnerability_end(
        actor=dpo, vulnerability=pregnant, reason=WORDS["vulnerability_end"]
    )
    vulnerability.age_assessment_record(
        actor=dpo,
        person=person,
        method="interview",
        outcome="undetermined",
        basis=WORDS["age_basis"],
    )

    app = ApplicationFactory(
        person=person,
        unit=unit,
        state="examined",
        external_id=WORDS["external_id"],
        interview_held_at=timezone.now() - dt.timedelta(days=20),
    )
    interview = InterviewFactory(application=app, location=WORDS["interview_location"])
    interpreter = interpreter_services.interpreter_register(
        actor=dpo,
        name="Everywhere Interpreter",
        gender="female",
        region="Oslo",
        languages=[{"language": "tir", "qualification": "A"}],
    )
    booking = interpreter_services.booking_request(
        actor=dpo,
        interpreter=interpreter,
        interview=interview,
        language="tir",
        dialect=WORDS["booking_dialect"],
    )
    interpreter_services.booking_transition(
        actor=dpo, booking=booking, name="cancel", reason=WORDS["booking_reason"]
    )
    # A UNHCR referral of the person, not selected (its reference and grounds are theirs).
    referral = ResettlementReferral.objects.create(
        person=person,
        unhcr_reference=WORDS["unhcr_reference"],
        referral_date=timezone.localdate() - dt.timedelta(days=60),
        unit=unit,
    )
    resettlement_services.referral_transition(
        actor=dpo, referral=referral, name="not_select", reason=WORDS["referral_reason"]
    )
    # On hold for a while (its reason is staff text about the person's case), then back.
    application_transition(
        actor=dpo,
        application=app,
        name="put_on_hold",
        reason=WORDS["hold_reason"],
        review_on=timezone.localdate() + dt.timedelta(days=30),
    )
    app.refresh_from_db()
    application_transition(actor=dpo, application=app, name="resume", reason=WORDS["resume_reason"])
    app.refresh_from_db()
    application_transition(
        actor=dpo,
        application=app,
        name="reject",
        outcome="rejected",
        grounds=WORDS["grounds"],
    )
    app.refresh_from_db()
    application_transition(
        actor=dpo,
        application=app,
        name="appeal",
        lodged_by=WORDS["lawyer"],
        late_reason=WORDS["late_reason"],
    )
    app.refresh_from_db()
    application_transition(
        actor=dpo, application=app, name="forward_appeal", assessment=WORDS["assessment"]
    )
    app.refresh_from_db()
    application_transition(
        actor=dpo,
        application=app,
        name="dismiss_appeal",
        grounds=WORDS["appeal_grounds"],
    )
    app.refresh_from_db()
    application_transition(
        actor=dpo,
        application=app,
        name="lodge_reversal_request",
        new_information=WORDS["new_information"],
    )
    # The case file: a note corrected once (two versions), a document with two files.
    note = casefile.note_add(actor=dpo, application=app, text=WORDS["note_before"])
    casefile.note_correct(actor=dpo, note=note, text=WORDS["note"], reason=WORDS["note_reason"])
    document = casefile.document_add(
        actor=dpo,
        application=app,
        file=SimpleUploadedFile("a.pdf", b"%PDF-1.7\n%%EOF\n", content_type="application/pdf"),
        kind="medical_report",
        title=WORDS["document_title"],
        source=WORDS["document_source"],
        language="tir",
    )
    casefile.document_add_version(
        actor=dpo,
        document=document,
        file=SimpleUploadedFile(
            "b.png", b"\x89PNG\r\n\x1a\n" + bytes(32), content_type="image/png"
        ),
    )
    # A letter (its PDF and facts name the person), sent and delivered to the lawyer.
    letter = letter_create(actor=dpo, application=app, kind="receipt", language="ti")
    letter = letter_record_sending(actor=dpo, letter=letter, channel="lawyer")
    letter_delivery_record(
        actor=dpo, letter=letter, delivered_on=timezone.localdate(), confirmed_by=WORDS["lawyer"]
    )
    deadline = DeadlineFactory(person=person, application=app, source="casework.interview")
    ReminderFactory(deadline=deadline, recipient=WORDS["reminder_recipient"])

    # both offer the single room the person's need requires
    first = ReceptionCentreFactory(name="Erasure test centre A", accommodation="single_room")
    second = ReceptionCentreFactory(name="Erasure test centre B", accommodation="single_room")
    if reception is not None:
        for centre in (first, second):
            CentreStaff.objects.create(centre=centre, user=reception)
    placement = reception_services.placement_create(actor=dpo, person=person, centre=first)
    reception_services.placement_transfer(
        actor=dpo, placement=placement, to_centre=second, reason=WORDS["transfer_reason"]
    )

    # A residence permit of theirs (the permits' API and admin read it).
    ResidencePermit.objects.create(
        person=person,
        application=app,
        permit_type=PermitType.HUMANITARIAN,
        valid_from=dt.date(2026, 1, 1),
        valid_until=dt.date(2027, 1, 1),
    )
    permit = WorkPermitFactory(person=person, application=app, grounds=WORDS["permit_grounds"])
    audit_log(
        actor=dpo,
        action="work_permit.refuse",
        person=person,
        reason=WORDS["permit_grounds"],
        changes={"subject": permit.audit_subject},
    )
    sponsor = PersonFactory()
    family = FamilyReunificationFactory(
        sponsor=sponsor,
        applicant=person,
        exception_reason=WORDS["family_exception"],
        income_rule_reason=WORDS["family_income"],
        grounds=WORDS["family_grounds"],
    )
    # The record's events sit in the sponsor's trail: they must go all the same.
    audit_log(
        actor=dpo,
        action="family.reject",
        person=sponsor,
        reason=WORDS["family_grounds"],
        changes={"subject": family.audit_subject, "exception_reason": WORDS["family_exception"]},
    )
    settlement = settled()
    settlement.person = person
    settlement.save()
    if integration is not None:
        MunicipalityOfficer.objects.create(user=integration, municipality=settlement.municipality)
    programme = IntroductionProgramme.objects.create(
        person=person,
        settlement=settlement,
        municipality=settlement.municipality,
        start_on=timezone.localdate(),
        planned_end_on=timezone.localdate() + dt.timedelta(days=700),
        extension_reason=WORDS["programme_extension"],
        outcome_note=WORDS["programme_outcome"],
    )
    ProgrammeElement.objects.create(
        programme=programme, kind="norwegian", hours_per_week=10, start_on=timezone.localdate()
    )
    NorwegianTest.objects.create(
        programme=programme, taken_on=timezone.localdate(), skill="oral", level="B1"
    )
    _dublin_records(app)
    # The return after the final rejection: assisted return refused, with grounds.
    record = return_services.return_open(actor=dpo, application=app)
    record = return_services.return_transition(actor=dpo, record=record, name="apply_assisted")
    return_services.return_transition(
        actor=dpo, record=record, name="refuse_assisted", grounds=WORDS["return_grounds"]
    )
    person.words = words
    person.reference = app.reference
    return person


def _dublin_records(app) -> None:
    """A Dublin request refused with its reason and a request to stay with its grounds, on
    the person's case (set-up only: the walks need the rows and their words)."""
    from casework.dublin.models import DublinRequest, DublinStayRequest
    from casework.dublin.periods import rule_set_on

    now = timezone.now()
    request = DublinRequest.objects.create(
        application=app,
        member_state="SE",
        kind="take_charge",
        legal_ground="art_12",
        rule_set=rule_set_on(app.lodged_on),
        request_due_at=now + dt.timedelta(days=30),
        state="refused",
        reason=WORDS["dublin_reason"],
    )
    DublinStayRequest.objects.create(
        application=app,
        request=request,
        lodged_at=now,
        decision_due_at=now + dt.timedelta(days=6),
        state="refused",
        grounds=WORDS["stay_grounds"],
    )
