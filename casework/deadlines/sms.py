"""Text messages: how long a text is in SMS terms, and the pluggable gateway that sends it.

**Encoding and parts (3GPP TS 23.038 and 23.040).** An SMS carries 140 bytes. A text written
only in the GSM 7-bit default alphabet (with its extension table, whose characters take two
septets: ``^ { } \\ [ ~ ] | €``) fits 160 characters; split into a concatenated message,
each part loses 7 characters to its header: 153. Any other character (Arabic script,
Ethiopic, Cyrillic, and most accented Latin letters outside the alphabet) makes the whole
message UCS-2: 70 characters, 67 per part, counted in UTF-16 code units. ``sms_parts`` gives
the encoding and the parts as the network will split them.

**Gateway.** ``sms_gateway()`` is the configured ``SmsGateway`` (``SMS_GATEWAY``: a dotted
path; ``HttpSmsGateway`` by default when ``SMS_GATEWAY_URL`` is set, none otherwise).
``HttpSmsGateway`` makes one JSON ``POST`` per message to ``SMS_GATEWAY_URL``:

    {"id": "<our message id>", "to": "+4791234567", "text": "…", "encoding": "GSM-7",
     "parts": 1, "status_url": "<SMS_RECEIPT_URL>"}

with ``Authorization: Bearer <SMS_GATEWAY_TOKEN>``; a 2xx answer is accepted (its JSON
``id``, when given, is kept as the gateway's reference). A connection error, a timeout, 429
or 5xx is tried again ``SMS_GATEWAY_RETRIES`` times with a short backoff, then raised (the
reminder outbox retries later with its own backoff); any other 4xx is permanent (a bad
number does not get better). The message id is the reminder's dedupe key, the same on every
attempt, so a gateway that deduplicates sends a repeated request once. The gateway reports
delivery to ``/sms/receipt/`` (``casework.deadlines.receipts``).
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

from casework.deadlines.messages import PermanentDeliveryError

# The GSM 03.38 default alphabet (one septet each) and its extension table (two septets).
GSM7_BASIC = (
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENSION = "^{}\\[~]|€\f"
_BASIC = frozenset(GSM7_BASIC) - {"\x1b"}
_EXTENSION = frozenset(GSM7_EXTENSION)

GSM7, UCS2 = "GSM-7", "UCS-2"
# (single message, per part of a concatenated message): 140 bytes less the 6-byte header.
LIMITS = {GSM7: (160, 153), UCS2: (70, 67)}


@dataclass(frozen=True)
class SmsParts:
    encoding: str
    length: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: list[str]


# Spaces CLDR puts in dates and times ("10:00\u202fGH") that the GSM alphabet lacks: one of
# them would make a Latin text UCS-2 and more than double its parts.
_SPACES = str.maketrans({"\u00a0": " ", "\u202f": " ", "\u2009": " ", "\u2007": " "})


def sms_text(text: str) -> str:
    """The text as it is sent: the no-break and thin spaces as plain spaces."""
    return text.translate(_SPACES)


def sms_encoding(text: str) -> str:
    """GSM-7 when every character is in the GSM alphabet or its extension, else UCS-2."""
    return GSM7 if all(c in _BASIC or c in _EXTENSION for c in text) else UCS2


def _units(char: str, encoding: str) -> int:
    if encoding == GSM7:
        return 2 if char in _EXTENSION else 1
    return len(char.encode("utf-16-le")) // 2


def sms_parts(text: str) -> SmsParts:
    """The encoding, the length in the encoding's units and the parts the text is sent in.

    A text over one message's limit is cut into parts of at most 153 septets (GSM-7) or 67
    code units (UCS-2); an extension character or a surrogate pair is never split across
    two parts (the network would garble it), so a part may be one unit shorter.
    """
    encoding = sms_encoding(text)
    single, per_part = LIMITS[encoding]
    length = sum(_units(c, encoding) for c in text)
    if length <= single:
        return SmsParts(encoding, length, [text] if text else [])
    parts: list[str] = []
    current: list[str] = []
    used = 0
    for char in text:
        size = _units(char, encoding)
        if used + size > per_part:
            parts.append("".join(current))
            current, used = [], 0
        current.append(char)
        used += size
    if current:
        parts.append("".join(current))
    return SmsParts(encoding, length, parts)


@dataclass(frozen=True)
class SmsSent:
    """What the gateway answered: its own reference for the message, if it gave one."""

    gateway_id: str = ""


class SmsGateway:
    """The interface: send one text to one E.164 number, or raise (``PermanentDeliveryError``
    when retrying cannot help)."""

    def send(self, *, message_id: str, to: str, text: str) -> SmsSent:  # pragma: no cover
        raise NotImplementedError


class HttpSmsGateway(SmsGateway):
    """One JSON ``POST`` per message to ``SMS_GATEWAY_URL`` (see the module docstring)."""

    def __init__(
        self,
        url: str,
        *,
        token: str = "",
        receipt_url: str = "",
        retries: int = 2,
        timeout: float = 5.0,
        backoff: float = 0.5,
    ) -> None:
        self.url, self.token, self.receipt_url = url, token, receipt_url
        self.retries, self.timeout, self.backoff = retries, timeout, backoff

    def _request(self, payload: dict[str, Any]) -> urllib.request.Request:
        headers = {"Content-Type": "application/json; charset=utf-8"}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        body = json.dumps(payload, ensure_ascii=False).encode()
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")  # noqa: S310  # nosec B310 - a configured http(s) URL

    def send(self, *, message_id: str, to: str, text: str) -> SmsSent:
        split = sms_parts(text)
        payload = {
            "id": message_id,
            "to": to,
            "text": text,
            "encoding": split.encoding,
            "parts": len(split.parts),
            "status_url": self.receipt_url,
        }
        last: Exception | None = None
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(self.backoff * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(self._request(payload), timeout=self.timeout) as r:  # noqa: S310  # nosec B310
                    answer = r.read()
                try:
                    gateway_id = str(json.loads(answer or b"{}").get("id", ""))
                except (ValueError, AttributeError):
                    gateway_id = ""
                return SmsSent(gateway_id=gateway_id[:64])
            except urllib.error.HTTPError as exc:
                if exc.code != 429 and exc.code < 500:
                    raise PermanentDeliveryError(
                        f"SMS gateway refused the message ({exc.code})"
                    ) from exc
                last = exc
            except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
                last = exc
        raise RuntimeError(f"SMS gateway unavailable after {self.retries + 1} tries: {last}")


def sms_gateway() -> SmsGateway | None:
    """The configured gateway, or None (no ``SMS_GATEWAY_URL``: the SMS channel is off)."""
    path = getattr(settings, "SMS_GATEWAY", "")
    if path:
        gateway: SmsGateway = import_string(path)()
        return gateway
    url = getattr(settings, "SMS_GATEWAY_URL", "")
    if not url:
        return None
    return HttpSmsGateway(
        url,
        token=settings.SMS_GATEWAY_TOKEN,
        receipt_url=settings.SMS_RECEIPT_URL,
        retries=settings.SMS_GATEWAY_RETRIES,
        timeout=settings.SMS_GATEWAY_TIMEOUT,
    )
