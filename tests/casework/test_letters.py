"""Letters: every template in every language, the rejection letter read back from its PDF,
the Arabic letter as an image, immutability, corrections, and who may do what over HTTP."""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader
from rest_framework.test import APIClient

from casework.applications.services import application_transition
from casework.core.exceptions import TransitionConflict, TransitionInvalid
from casework.core.locale_formats import local_date
from casework.letters import texts
from casework.letters.choices import LetterKind
from casework.letters.models import Letter, LetterDelivery, LetterImmutable
from casework.letters.render import letter_rows
from casework.letters.services import (
    letter_correct,
    letter_create,
    letter_delivery_record,
    letter_record_sending,
)
from casework.privacy.models import AccessLog
from casework.privacy.retention import person_export
from casework.status.languages import RTL_LANGUAGES
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
ROOT = Path(settings.BASE_DIR)
ADDRESS = settings.LETTER_APPEALS_BODY_ADDRESS
REFERENCE_FACTS = {
    "reference": "J432-B62F-DY",
    "registration_number": "202612345678",
    "name": "Test Person",
    "date": "2027-03-14",
    "corrects_date": "2027-03-01",
    "lodged_on": "2027-01-02",
    "scheduled_at": "2027-03-20T09:30:00+01:00",
    "location": "Tollbugata 20, Oslo",
    "interview_language": "tir",
    "interpreter": True,
    "decided_on": "2027-03-14",
    "outcome": "rejected",
    "permit_type": "§ 28",
    "permit_months": 36,
    "grounds": "Søkeren har ikke sannsynliggjort en reell fare.",
    "appeal_due": "2027-04-04T23:59:00+02:00",
    "appeal_due_provisional": True,
    "appeals_address": ADDRESS,
    "stay_due": "2027-03-16T12:00:00+01:00",
    "country": "DE",
    "appealed_on": "2027-03-20",
    "granted": True,
    "valid_until": "2027-09-14",
    "protected_on": "2027-03-14",
    "register_by": "2027-09-14",
    "documents_by": "2028-03-14",
}
# Rows that are the same in every language: staff's own words and the address.
UNTRANSLATED_STYLES = {"quote", "value"}


def strip_marks(text: str) -> str:
    return text.replace(texts.FSI, "").replace(texts.PDI, "")


def pdf_text(pdf: bytes) -> str:
    return strip_marks("\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def columns(pdf: bytes) -> tuple[list[str], list[str]]:
    """The letter's two columns (Norwegian, translation), line by line, from pypdf's layout
    text: a line that starts far right is the translation's alone; otherwise the columns are
    parted by the first run of spaces."""
    left: list[str] = []
    right: list[str] = []
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for line in strip_marks(page.extract_text(extraction_mode="layout")).splitlines():
            if not line.strip():
                continue
            if len(line) - len(line.lstrip()) >= 20:
                right.append(line.strip())
                continue
            parts = re.split(r"\s{3,}", line.strip(), maxsplit=1)
            left.append(parts[0])
            if len(parts) > 1:
                right.append(parts[1])
    return left, right


def _number(word: str) -> bool:
    return any(unicodedata.category(c) == "Nd" for c in word)


def holds(lines: list[str], expected: str, *, rtl: bool = False) -> bool:
    """``expected`` in the column. Left-to-right: as running text (a line break is a space).
    Right-to-left: the PDF holds the glyphs in visual order, so each word of ``expected``
    is looked for reversed (numbers read left to right either way), all on one line."""
    if not rtl:
        return " ".join(expected.split()) in " ".join(" ".join(lines).split())
    words = [w if _number(w) else w[::-1] for w in strip_marks(expected).split()]
    return any(all(w in line for w in words) for line in lines)


@pytest.fixture(autouse=True)
def _private_files(settings, tmp_path):
    """The PDFs go to a folder of the test's own (MEDIA_ROOT is outside the web root)."""
    settings.MEDIA_ROOT = tmp_path / "private"


@pytest.fixture
def rejected(decider, unit):
    """A case rejected by the decision-maker, the applicant's language Arabic."""
    app = ApplicationFactory(
        person=PersonFactory(preferred_language="ar"),
        unit=unit,
        state="examined",
        interview_held_at=timezone.now() - dt.timedelta(days=10),
    )
    application_transition(
        actor=decider,
        application=app,
        name="reject",
        outcome="rejected",
        grounds="Søkeren har ikke sannsynliggjort en reell fare for forfølgelse.",
    )
    app.refresh_from_db()
    return app


# --- templates and languages -----------------------------------------------------------------


@pytest.mark.parametrize("kind", LetterKind.values)
@pytest.mark.parametrize("language", [code for code in LANGUAGES if code != "en"])
def test_every_template_is_written_in_every_language(kind, language):
    """Each paragraph of each kind, in each status-page language, is the language's own text,
    not the English source: a template (or a new paragraph) that lacks a language fails."""
    english = letter_rows(kind, REFERENCE_FACTS, "en")
    other = letter_rows(kind, REFERENCE_FACTS, language)
    assert other["title_translation" if language != "nb" else "title_binding"]
    pairs = [
        (en_row.translation, row.translation if language != "nb" else row.binding)
        for en_row, row in zip(english["rows"], other["rows"], strict=False)
        if en_row.style not in UNTRANSLATED_STYLES and en_row.translation
    ]
    assert pairs
    untranslated = [en for en, text in pairs if strip_marks(en) == strip_marks(text)]
    assert not untranslated, f"{kind} in {language}: {untranslated}"


def test_dates_are_in_the_language_of_the_column():
    rows = letter_rows(LetterKind.REJECTION, REFERENCE_FACTS, "fa")
    due = dt.datetime.fromisoformat(REFERENCE_FACTS["appeal_due"])
    deadline = next(r for r in rows["rows"] if "04" in r.binding or "april" in r.binding)
    assert local_date(due, "nb") in deadline.binding  # "4. april 2027"
    assert local_date(due, "fa") in strip_marks(deadline.translation)  # Persian digits
    assert "۲۰۲۷" in deadline.translation


# --- the rejection letter, read back from its PDF ---------------------------------------------


@pytest.mark.parametrize("language", LANGUAGES)
def test_rejection_letter_in_each_language_holds_what_the_law_requires(
    rejected, caseworker, language
):
    """Public Administration Act § 27: the reference, the outcome, the appeal deadline in the
    applicant's own date format and the appeals body's address, extracted from the PDF."""
    letter = letter_create(
        actor=caseworker, application=rejected, kind=LetterKind.REJECTION, language=language
    )
    # Not yet delivered: the last day as if the letter reached the person today (3 weeks).
    assert letter.facts["appeal_due_provisional"] is True
    due = dt.datetime.fromisoformat(letter.facts["appeal_due"])
    assert timezone.localtime(due).date() == timezone.localdate() + dt.timedelta(weeks=3)
    binding, translated = columns(letter.pdf.read())
    if language == "nb":  # Norwegian alone: one column, the binding text
        translated = binding
    rtl = language in RTL_LANGUAGES
    with translation.override(language):
        outcome = texts.outcome_name("rejected")
    reference = rejected.display_reference
    assert holds(binding, reference) and holds(translated, reference)
    assert holds(translated, outcome, rtl=rtl), (outcome, translated)
    assert holds(translated, local_date(due, language), rtl=rtl), translated
    assert holds(binding, local_date(due, "nb"))  # the binding text's
    assert holds(binding, ADDRESS) and holds(translated, ADDRESS)
    assert letter.pdf_sha256 and letter.language == language


def test_arabic_letter_is_shaped_right_to_left_with_noto(rejected, caseworker, tmp_path):
    """The Arabic letter embeds Noto Naskh Arabic, and renders to an image (checked by eye once:
    docs/screenshots/letter-rejection-ar.png, refreshed with UPDATE_SCREENSHOTS=1)."""
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    assert letter.language == "ar"  # the applicant's preferred language
    pdf = letter.pdf.read()
    fonts = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    assert any("NotoNaskhArabic" in f.replace("-", "") for f in fonts), fonts
    pdftoppm = shutil.which("pdftoppm")
    if pdftoppm is None:
        pytest.skip("pdftoppm (poppler-utils) is not installed")
    source = tmp_path / "letter.pdf"
    source.write_bytes(pdf)
    subprocess.run(
        [pdftoppm, "-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", source, tmp_path / "p"],
        check=True,
    )
    image = (tmp_path / "p.png").read_bytes()
    assert image.startswith(b"\x89PNG") and len(image) > 20_000
    if os.environ.get("UPDATE_SCREENSHOTS"):
        (ROOT / "docs" / "screenshots" / "letter-rejection-ar.png").write_bytes(image)


# --- immutability and corrections ------------------------------------------------------------


def test_a_sent_letter_cannot_change(rejected, caseworker):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    letter.facts = {**letter.facts, "outcome": "humanitarian"}
    letter.save()  # not sent yet: the row may still be written (nothing sent depends on it)
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="lawyer")
    assert letter.sent_at is not None and letter.channel == "lawyer"
    letter.facts = {}
    with pytest.raises(LetterImmutable):
        letter.save()
    with pytest.raises(LetterImmutable):
        letter.delete()
    with pytest.raises(TransitionConflict):
        letter_record_sending(actor=caseworker, letter=letter, channel="digital")
    stored = Letter.objects.get(pk=letter.pk)
    assert stored.channel == "lawyer" and stored.facts


def test_a_correction_is_a_new_letter_pointing_at_the_old(rejected, caseworker):
    old = letter_create(
        actor=caseworker, application=rejected, kind=LetterKind.REJECTION, language="en"
    )
    old = letter_record_sending(actor=caseworker, letter=old, channel="digital")
    old_bytes = old.pdf.read()
    new = letter_correct(actor=caseworker, letter=old)
    assert new.pk != old.pk and new.corrects == old and new.sent_at is None
    assert new.kind == old.kind and new.language == "en"
    text = pdf_text(new.pdf.read())
    assert "This letter corrects our letter of" in text
    assert "Dette brevet retter brevet vårt av" in text
    old.refresh_from_db()
    assert old.pdf.read() == old_bytes  # the corrected letter stays as it was sent


def test_delivery_is_recorded_once_after_sending(rejected, caseworker):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.RECEIPT)
    today = timezone.localdate()
    with pytest.raises(TransitionConflict):
        letter_delivery_record(
            actor=caseworker, letter=letter, delivered_on=today, confirmed_by="lawyer"
        )
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="police")
    with pytest.raises(TransitionInvalid):
        letter_delivery_record(
            actor=caseworker,
            letter=letter,
            delivered_on=today + dt.timedelta(days=1),
            confirmed_by="officer Hansen",
        )
    delivery = letter_delivery_record(
        actor=caseworker, letter=letter, delivered_on=today, confirmed_by="officer Hansen"
    )
    assert delivery.channel == "police" and delivery.recorded_by == caseworker
    with pytest.raises(TransitionConflict):
        letter_delivery_record(
            actor=caseworker, letter=letter, delivered_on=today, confirmed_by="again"
        )
    assert LetterDelivery.objects.filter(letter=letter).count() == 1


def test_a_letter_needs_what_it_tells(caseworker, unit):
    app = ApplicationFactory(unit=unit, state="submitted")
    with pytest.raises(TransitionInvalid):
        letter_create(actor=caseworker, application=app, kind=LetterKind.REJECTION)
    with pytest.raises(TransitionInvalid):
        letter_create(actor=caseworker, application=app, kind=LetterKind.INTERVIEW_SUMMONS)
    InterviewFactory(application=app, location="Tollbugata 20")
    letter = letter_create(actor=caseworker, application=app, kind=LetterKind.INTERVIEW_SUMMONS)
    assert letter.facts["location"] == "Tollbugata 20"


def test_export_holds_the_letters(rejected, caseworker, auditor):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    data = person_export(actor=auditor, person=rejected.person)
    assert [row["id"] for row in data["letters"]] == [letter.pk]
    assert "pdf" not in data["letters"][0]


# --- over HTTP: the API and the admin, as each role ------------------------------------------


def api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def letters_url(app, *rest):
    return "/".join([f"/api/v1/applications/{app.pk}/letters", *map(str, rest), ""])


def test_api_caseworker_writes_downloads_sends_and_records_delivery(rejected, caseworker):
    client = api(caseworker)
    created = client.post(
        letters_url(rejected),
        {"kind": "rejection", "language": "so"},
        format="json",
        HTTP_IDEMPOTENCY_KEY="letter-1",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["kind"] == "rejection" and body["language"] == "so" and body["sent_at"] is None
    lid = body["id"]
    listed = client.get(letters_url(rejected))
    assert [row["id"] for row in listed.json()["results"]] == [lid]

    pdf = client.get(letters_url(rejected, lid, "pdf"))
    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    content = b"".join(pdf.streaming_content)
    assert content.startswith(b"%PDF-")
    assert AccessLog.objects.filter(
        user=caseworker, action=AccessLog.Action.DOWNLOAD, model="casework.letter", object_id=lid
    ).exists()

    etag = client.get(letters_url(rejected, lid))["ETag"]
    stale = client.post(
        letters_url(rejected, lid, "sending"), {"channel": "lawyer"}, HTTP_IF_MATCH='"nope"'
    )
    assert stale.status_code == 412
    sent = client.post(
        letters_url(rejected, lid, "sending"), {"channel": "lawyer"}, HTTP_IF_MATCH=etag
    )
    assert sent.status_code == 200 and sent.json()["channel"] == "lawyer"
    again = client.post(letters_url(rejected, lid, "sending"), {"channel": "digital"})
    assert again.status_code == 409

    delivered = client.post(
        letters_url(rejected, lid, "delivery"),
        {"delivered_on": timezone.localdate().isoformat(), "confirmed_by": "the lawyer, by e-mail"},
    )
    assert delivered.status_code == 200, delivered.content
    assert delivered.json()["delivery"]["confirmed_by"] == "the lawyer, by e-mail"


@pytest.mark.parametrize(
    ("role", "status"),
    [("reception", 403), ("integration", 403), ("outsider", 404), ("auditor", 200)],
)
def test_api_roles_that_may_not_read_letters_are_refused(
    rejected, caseworker, role_users, role, status
):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    client = api(role_users[role])
    assert client.get(letters_url(rejected)).status_code == status
    response = client.get(letters_url(rejected, letter.pk, "pdf"))
    assert response.status_code == status
    if status != 200:
        assert b"%PDF" not in b"".join(getattr(response, "streaming_content", [response.content]))


@pytest.mark.parametrize("role", ["auditor", "appeals", "registrar", "reception"])
def test_api_roles_that_may_not_write_letters_are_refused(rejected, role_users, role):
    response = api(role_users[role]).post(letters_url(rejected), {"kind": "rejection"})
    assert response.status_code in (403, 404)
    assert not Letter.objects.exists()


def test_api_registrar_records_the_police_handover(rejected, caseworker, registrar):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    response = api(registrar).post(
        letters_url(rejected, letter.pk, "sending"), {"channel": "police"}
    )
    assert response.status_code == 200
    assert api(registrar).post(letters_url(rejected, letter.pk, "correction")).status_code == 403


def test_schema_documents_the_letters_operations(client, admin_user):
    client.force_login(admin_user)
    schema = client.get("/api/schema/").content.decode()
    for operation in ("letters/", "/pdf/", "/sending/", "/delivery/", "/correction/"):
        assert operation in schema
    assert "application/pdf" in schema


def test_case_page_shows_letters_and_the_caseworker_writes_one(client, rejected, caseworker):
    client.force_login(caseworker)
    page = client.get(reverse("admin:casework_application_change", args=[rejected.pk]))
    assert b"Write a letter from a template" in page.content
    response = client.post(
        reverse("casework-letter-new", args=[rejected.pk]), {"kind": "rejection", "language": "ti"}
    )
    assert response.status_code == 302
    letter = Letter.objects.get()
    page = client.get(reverse("admin:casework_application_change", args=[rejected.pk]))
    assert reverse("casework-letter-pdf", args=[letter.pk]).encode() in page.content
    assert reverse("casework-letter-send", args=[letter.pk]).encode() in page.content
    download = client.get(reverse("casework-letter-pdf", args=[letter.pk]))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert AccessLog.objects.filter(
        user=caseworker, action=AccessLog.Action.DOWNLOAD, model="casework.letter", via="admin"
    ).exists()
    client.post(reverse("casework-letter-send", args=[letter.pk]), {"channel": "police"})
    letter.refresh_from_db()
    assert letter.sent_at is not None
    page = client.get(reverse("admin:casework_application_change", args=[rejected.pk]))
    assert reverse("casework-letter-send", args=[letter.pk]).encode() not in page.content
    assert reverse("casework-letter-delivery", args=[letter.pk]).encode() in page.content


@pytest.mark.parametrize(
    ("role", "status"), [("reception", 403), ("outsider", 404), ("appeals", 403)]
)
def test_admin_refuses_writing_and_downloading_to_roles_without_the_right(
    client, rejected, caseworker, role_users, role, status
):
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    client.force_login(role_users[role])
    response = client.post(
        reverse("casework-letter-new", args=[rejected.pk]), {"kind": "receipt", "language": "en"}
    )
    assert response.status_code in (403, 404)
    assert Letter.objects.count() == 1
    if role != "appeals":  # the appeals body reads letters of appealed cases only
        download = client.get(reverse("casework-letter-pdf", args=[letter.pk]))
        assert download.status_code == status


def test_admin_offers_no_way_to_change_a_sent_letter(client, rejected, caseworker):
    """The admin has no edit form for a letter; sending it twice is refused with a message,
    and the letter is as it was."""
    from django.contrib import admin

    assert Letter not in admin.site._registry
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="lawyer")
    client.force_login(caseworker)
    response = client.post(
        reverse("casework-letter-send", args=[letter.pk]), {"channel": "police"}, follow=True
    )
    assert "This letter was already sent." in response.content.decode()
    letter.refresh_from_db()
    assert letter.channel == "lawyer"
    page = client.get(reverse("admin:casework_application_change", args=[rejected.pk]))
    assert reverse("casework-letter-send", args=[letter.pk]).encode() not in page.content
    assert b"Letter sent" in page.content  # the timeline names the event


def test_delivering_the_decision_letter_notifies_the_decision(rejected, caseworker):
    """The day the rejection letter reached the applicant is the decision's notification: the
    appeal deadline runs 3 weeks from it (Public Administration Act § 29); a correcting letter
    delivered afterwards records its own delivery and leaves the deadline as it is."""
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="police")
    today = timezone.localdate()
    assert rejected.appeal_deadline is None  # not delivered: no deadline runs yet
    letter_delivery_record(
        actor=caseworker, letter=letter, delivered_on=today, confirmed_by="officer Hansen"
    )
    rejected.refresh_from_db()
    assert rejected.notified_at is not None
    assert timezone.localtime(rejected.notified_at).date() == today
    assert rejected.decisions.get().notification_confirmed_by == "officer Hansen"
    deadline = rejected.appeal_deadline
    assert timezone.localtime(deadline).date() == today + dt.timedelta(weeks=3)

    correction = letter_correct(actor=caseworker, letter=letter)
    assert "appeal_due_provisional" not in correction.facts  # the deadline is known now
    assert correction.facts["appeal_due"] == timezone.localtime(deadline).isoformat()
    correction = letter_record_sending(actor=caseworker, letter=correction, channel="lawyer")
    letter_delivery_record(
        actor=caseworker,
        letter=correction,
        delivered_on=timezone.localdate(),
        confirmed_by="the lawyer",
    )
    rejected.refresh_from_db()
    assert rejected.appeal_deadline == deadline
    assert LetterDelivery.objects.count() == 2


def test_the_decision_letter_handed_to_the_appointed_lawyer_notifies_the_applicant(
    rejected, caseworker, lawyer, lawyer_user
):
    """Public Administration Act § 29 with § 12: the decision reached the applicant when it
    reached their lawyer. The delivery of the letter by the lawyer channel records the
    decision's notification (``record_notification``) with the appointed lawyer as the
    recipient; the appeal deadline runs from that day, and the lawyer reads it so."""
    from casework.lawyers.models import Appointment

    Appointment.objects.create(application=rejected, lawyer=lawyer, reason="rejection")
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="lawyer")
    today = timezone.localdate()
    letter_delivery_record(
        actor=caseworker, letter=letter, delivered_on=today, confirmed_by="the lawyer, by e-mail"
    )
    rejected.refresh_from_db()
    decision = rejected.decisions.get()
    assert decision.notification_channel == "lawyer"
    assert decision.notification_lawyer == lawyer
    assert decision.notification_confirmed_by == "the lawyer, by e-mail"
    assert timezone.localtime(rejected.notified_at).date() == today
    assert timezone.localtime(rejected.appeal_deadline).date() == today + dt.timedelta(weeks=3)
    event = rejected.events.get(action="record_notification")
    assert event.changes["channel"] == "lawyer"
    seen = api(lawyer_user).get(f"/api/v1/applications/{rejected.pk}/decisions/").json()
    assert seen["results"][0]["notification_lawyer"] == lawyer.pk


def test_a_letter_by_another_channel_names_no_lawyer(rejected, caseworker, lawyer):
    from casework.lawyers.models import Appointment

    Appointment.objects.create(application=rejected, lawyer=lawyer, reason="rejection")
    letter = letter_create(actor=caseworker, application=rejected, kind=LetterKind.REJECTION)
    letter = letter_record_sending(actor=caseworker, letter=letter, channel="police")
    letter_delivery_record(
        actor=caseworker,
        letter=letter,
        delivered_on=timezone.localdate(),
        confirmed_by="officer Hansen",
    )
    decision = rejected.decisions.get()
    assert decision.notification_channel == "police" and decision.notification_lawyer is None
