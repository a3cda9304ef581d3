"""Text messages: E.164 numbers, GSM-7 / UCS-2 and parts, the HTTP gateway (a real HTTP
server on loopback, asserting what it received), retries, and delivery receipts."""

from __future__ import annotations

import datetime as dt
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.conf import settings
from django.utils import timezone

from casework.core.exceptions import TransitionInvalid
from casework.deadlines.messages import PermanentDeliveryError
from casework.deadlines.reminders import reminder_deliver
from casework.deadlines.services import notice_event
from casework.deadlines.sms import GSM7, UCS2, HttpSmsGateway, sms_parts
from casework.intake.arrivals import validate_row
from casework.models import Reminder, SmsMessage
from casework.people.services import person_update
from tests.api.conftest import client_for
from tests.factories import ApplicationFactory, InterviewFactory, PersonFactory

pytestmark = pytest.mark.django_db

LANGUAGES = [code for code, _name in settings.LANGUAGES]
# The script of each language decides the encoding: Latin (Norwegian æøå are in the GSM
# alphabet), or Cyrillic, Arabic script and Ethiopic, which only UCS-2 can carry.
ENCODING = {
    "nb": GSM7,
    "en": GSM7,
    "so": GSM7,
    "uk": UCS2,
    "ru": UCS2,
    "ar": UCS2,
    "fa": UCS2,
    "ps": UCS2,
    "ti": UCS2,
}


class Gateway:
    """An SMS gateway on 127.0.0.1: records every request; answers from ``answers`` in turn
    (then 200)."""

    def __init__(self) -> None:
        self.received: list[dict] = []
        self.headers: list[dict] = []
        self.answers: list[int] = []
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                gateway.received.append(json.loads(body))
                gateway.headers.append(dict(self.headers))
                status = gateway.answers.pop(0) if gateway.answers else 200
                answer = json.dumps({"id": f"gw-{len(gateway.received)}"}).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/send"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def gateway(settings):
    server = Gateway()
    settings.SMS_GATEWAY = ""
    settings.SMS_GATEWAY_URL = server.url
    settings.SMS_GATEWAY_TOKEN = "gateway-secret"
    settings.SMS_RECEIPT_URL = "https://casework.example.org/sms/receipt/"
    settings.SMS_RECEIPT_TOKEN = "receipt-secret"
    settings.SMS_GATEWAY_RETRIES = 2
    yield server
    server.close()


# --- encoding and parts ---------------------------------------------------------------------


def test_gsm7_fits_160_and_splits_into_153_septet_parts():
    assert sms_parts("a" * 160) == sms_parts("a" * 160)
    one = sms_parts("Æøå " * 40)
    assert (one.encoding, one.length, len(one.parts)) == (GSM7, 160, 1)
    two = sms_parts("a" * 161)
    assert (two.encoding, [len(p) for p in two.parts]) == (GSM7, [153, 8])
    # an extension character takes two septets and is never split across parts
    assert sms_parts("€" * 80).parts == ["€" * 80]  # 160 septets: one message
    euros = sms_parts("€" * 81)
    assert euros.length == 162 and [len(p) for p in euros.parts] == [76, 5]


def test_ucs2_fits_70_and_splits_into_67_unit_parts():
    assert sms_parts("ж" * 70).parts == ["ж" * 70]
    split = sms_parts("ж" * 71)
    assert (split.encoding, [len(p) for p in split.parts]) == (UCS2, [67, 4])
    assert sms_parts("ሰላም").encoding == UCS2  # Ethiopic
    assert sms_parts("سلام").encoding == UCS2  # Arabic script
    assert sms_parts("Привіт").encoding == UCS2  # Cyrillic
    assert sms_parts("Dhaqso").encoding == GSM7


# --- phone numbers --------------------------------------------------------------------------


def test_phone_numbers_are_stored_in_e164_and_bad_ones_refused(admin_user):
    person = PersonFactory(phone="")
    person_update(actor=admin_user, person=person, phone="912 34 567")
    person.refresh_from_db()
    assert person.phone == "+4791234567"
    person_update(actor=admin_user, person=person, phone="+380 67 123 4567")
    person.refresh_from_db()
    assert person.phone == "+380671234567"
    with pytest.raises(TransitionInvalid) as refused:
        person_update(actor=admin_user, person=person, phone="12")
    assert "Enter a valid phone number" in str(refused.value)
    person.refresh_from_db()
    assert person.phone == "+380671234567"  # nothing half-saved


def test_the_api_refuses_a_bad_number_with_a_clear_message(unit, caseworker):
    app = ApplicationFactory(unit=unit, assigned_to=caseworker)
    client = client_for(caseworker)
    bad = client.patch(f"/api/v1/people/{app.person_id}/", {"phone": "0000"}, format="json")
    assert bad.status_code == 400
    assert "Enter a valid phone number" in bad.json()["phone"][0]
    good = client.patch(f"/api/v1/people/{app.person_id}/", {"phone": "41234567"}, format="json")
    assert good.status_code == 200 and good.json()["phone"] == "+4741234567"


def test_the_import_stores_e164_and_reports_a_bad_number_by_line():
    row = {
        "external_id": "police-1",
        "given_name": "Olena",
        "family_name": "Kovalenko",
        "date_of_birth": "1979-06-05",
        "kind": "collective",
        "arrival_date": "2025-03-14",
    }
    today = dt.date(2025, 4, 1)
    arrival = validate_row(2, {**row, "phone": "+380 67 123 4567"}, today)
    assert arrival.phone == "+380671234567"
    errors = validate_row(3, {**row, "phone": "call me"}, today)
    assert [(e.line, e.field) for e in errors] == [(3, "phone")]


# --- the gateway and the channel --------------------------------------------------------------


def _interview_notice(language: str) -> Reminder:
    _tell_interview(language)
    return Reminder.objects.get(deadline__source="casework.interview_notice", channel="sms")


def _tell_interview(language: str) -> None:
    person = PersonFactory(preferred_language=language, phone="+4791234567", email="")
    app = ApplicationFactory(person=person, state="submitted")
    at = timezone.localtime(timezone.now() + dt.timedelta(days=9)).replace(hour=10, minute=0)
    interview = InterviewFactory(
        application=app, scheduled_at=at, location="UDI, Oslo", language="ara"
    )
    notice_event(source="casework.interview_notice", object_id=interview.pk, application=app)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_gateway_receives_the_notice_in_the_applicants_language_encoding_and_parts(
    gateway, language
):
    reminder = _interview_notice(language)
    assert not Reminder.objects.filter(channel="email").exists()  # no address: SMS only
    assert reminder_deliver(reminder_id=reminder.pk).outcome == "sent"
    (request,) = gateway.received
    assert gateway.headers[0]["Authorization"] == "Bearer gateway-secret"
    assert request["to"] == "+4791234567"
    assert request["id"] == f"reminder-{reminder.pk}"
    assert request["status_url"] == "https://casework.example.org/sms/receipt/"
    text = request["text"]
    assert "%(" not in text and "UDI, Oslo" in text
    if language != "en":
        assert "Asylum interview" not in text and "Interpreter" not in text
    split = sms_parts(text)
    assert request["encoding"] == split.encoding == ENCODING[language], text
    assert request["parts"] == len(split.parts) <= 3
    limit = 153 if split.encoding == GSM7 else 67
    if len(split.parts) > 1:
        assert all(len(p.encode("utf-16-le")) // 2 <= limit for p in split.parts)
    sms = SmsMessage.objects.get(reminder=reminder)
    assert (sms.encoding, sms.parts, sms.gateway_id, sms.status) == (
        split.encoding,
        len(split.parts),
        "gw-1",
        "accepted",
    )


def test_a_gateway_error_is_retried_and_a_refusal_is_permanent(gateway):
    gateway.answers = [503, 502]
    sent = HttpSmsGateway(gateway.url, retries=2, backoff=0.01).send(
        message_id="m-1", to="+4791234567", text="Hei"
    )
    assert sent.gateway_id == "gw-3" and len(gateway.received) == 3  # two retries, then sent
    gateway.answers = [503, 503, 503]
    with pytest.raises(RuntimeError, match="unavailable after 3 tries"):
        HttpSmsGateway(gateway.url, retries=2, backoff=0.01).send(
            message_id="m-2", to="+4791234567", text="Hei"
        )
    gateway.answers = [400]
    with pytest.raises(PermanentDeliveryError):
        HttpSmsGateway(gateway.url, retries=2, backoff=0.01).send(
            message_id="m-3", to="+4791234567", text="Hei"
        )
    assert len(gateway.received) == 7  # the refusal was not tried again


def test_no_sms_rows_without_a_gateway_or_a_number(settings):
    settings.SMS_GATEWAY_URL = ""
    _tell_interview("en")
    assert Reminder.objects.filter(channel="email").count() == 0  # the person has no e-mail
    assert not Reminder.objects.filter(channel="sms").exists()  # and no gateway


def test_delivery_receipts_record_the_status(gateway, client):
    reminder = _interview_notice("uk")
    reminder_deliver(reminder_id=reminder.pk)
    url, auth = "/sms/receipt/", {"HTTP_AUTHORIZATION": "Bearer receipt-secret"}
    body = json.dumps({"id": f"reminder-{reminder.pk}", "status": "DELIVERED"})
    assert client.post(url, body, content_type="application/json", **auth).status_code == 204
    sms = SmsMessage.objects.get(reminder=reminder)
    assert sms.status == "delivered" and sms.status_at is not None
    # a late "accepted" does not undo the delivery
    late = json.dumps({"id": f"reminder-{reminder.pk}", "status": "accepted"})
    assert client.post(url, late, content_type="application/json", **auth).status_code == 204
    assert SmsMessage.objects.get(reminder=reminder).status == "delivered"
    # refused: a wrong token, a body that is not a receipt, an unknown status or message
    wrong = {"HTTP_AUTHORIZATION": "Bearer guess"}
    assert client.post(url, body, content_type="application/json", **wrong).status_code == 403
    assert client.post(url, "[1]", content_type="application/json", **auth).status_code == 400
    odd = json.dumps({"id": f"reminder-{reminder.pk}", "status": "teleported"})
    assert client.post(url, odd, content_type="application/json", **auth).status_code == 400
    other = json.dumps({"id": "reminder-0", "status": "delivered"})
    assert client.post(url, other, content_type="application/json", **auth).status_code == 404
    assert client.get(url).status_code == 405


def test_no_sms_row_for_a_person_without_a_number(gateway):
    person = PersonFactory(phone="", email="")
    app = ApplicationFactory(person=person)
    notice_event(source="casework.received_notice", object_id=app.pk, application=app)
    assert not Reminder.objects.exists()
    person.phone = "+4791234567"
    person.save()
    other = ApplicationFactory(person=person)
    notice_event(source="casework.received_notice", object_id=other.pk, application=other)
    assert list(Reminder.objects.values_list("channel", flat=True)) == ["sms"]
