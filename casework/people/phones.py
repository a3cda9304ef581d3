"""Phone numbers in one form: E.164 (``+4791234567``), as SMS gateways take them.

Typed any way (``912 34 567``, ``0047 912 34 567``, ``+380 67 123 4567``), a number is read
with ``phonenumbers`` (Google's libphonenumber data), a number without a country code in
``PHONE_DEFAULT_REGION`` (Norway), and stored as E.164. A number that cannot exist is
refused with a clear message (never echoing the number: it is personal data).
"""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def phone_e164(raw: str) -> str:
    """``raw`` as E.164, or "" for an empty value; ``ValidationError`` when it is no number."""
    text = (raw or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, getattr(settings, "PHONE_DEFAULT_REGION", "NO"))
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise ValidationError(
            _(
                "Enter a valid phone number, with the country code if it is not Norwegian "
                "(for example +380 67 123 4567)."
            ),
            code="invalid_phone",
        )
    return str(phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164))
