"""Request fields that accept a value only in the one form the schema documents.

DRF's own fields are lenient where a client's mistake should be refused: ``DateField``
parses with ``date.fromisoformat``, which also takes ``19900101`` and the ISO week date
``1990-W01-1`` (the arrivals import refuses both); a primary-key field given ``1.5`` looks
up ``pk=1.5``, which the database rounds to person 1; ``IntegerField`` takes ``1.0`` and
``true``. A client generated from the schema never sends those; a hand-written one that does
has a bug we should tell it about (400), not guess around. Every API serializer uses these
(``StrictModelSerializer`` maps model fields to them), and a test walks every request
serializer of every app to keep it so (``tests/api/test_strict_input.py``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import MutableMapping
from decimal import Decimal
from typing import Any

from django.db import models
from rest_framework import serializers

# ISO 8601's extended calendar date, the only form the schema's ``format: date`` documents.
ISO_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
# RFC 3339 (``format: date-time``): extended date and time, seconds and fraction optional.
ISO_DATETIME = re.compile(
    r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?"
)
DIGITS = re.compile(r"-?[0-9]+")


def is_whole_number(value: Any) -> bool:
    """An ``int`` (never a ``bool``), or a string of digits as a form field sends it."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return True
    return isinstance(value, str) and DIGITS.fullmatch(value.strip()) is not None


class IsoDateField(serializers.DateField):
    """``YYYY-MM-DD`` only (ISO 8601 extended calendar date), as the arrivals import."""

    def to_internal_value(self, value: Any) -> dt.date:
        if isinstance(value, str) and not ISO_DATE.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DD")
        return super().to_internal_value(value)


class IsoDateTimeField(serializers.DateTimeField):
    """``YYYY-MM-DDTHH:MM[:SS[.ffffff]][Z|±HH:MM]`` only (RFC 3339, ISO 8601 extended)."""

    def to_internal_value(self, value: Any) -> dt.datetime:
        if isinstance(value, str) and not ISO_DATETIME.fullmatch(value):
            self.fail("invalid", format="YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z]")
        return super().to_internal_value(value)


class StrictIntegerField(serializers.IntegerField):
    """A whole number: ``1.5``, ``1.0``, ``"1.0"`` and ``true`` are refused, not truncated."""

    def to_internal_value(self, data: Any) -> int:
        if not is_whole_number(data):
            self.fail("invalid")
        return super().to_internal_value(data)


class StrictPrimaryKeyRelatedField(serializers.PrimaryKeyRelatedField):
    """A record's id as a whole number: ``"person": 1.5`` is refused, never read as person 1."""

    def to_internal_value(self, data: Any) -> Any:
        if not is_whole_number(data):
            self.fail("incorrect_type", data_type=type(data).__name__)
        return super().to_internal_value(data)


class StrictDecimalField(serializers.DecimalField):
    """A decimal from a number or a numeric string, never from ``true``."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, bool):
            self.fail("invalid")
        return super().to_internal_value(data)


INTEGER_MODEL_FIELDS = (
    models.IntegerField,
    models.BigIntegerField,
    models.SmallIntegerField,
    models.PositiveIntegerField,
    models.PositiveSmallIntegerField,
    models.PositiveBigIntegerField,
    models.AutoField,
    models.BigAutoField,
    models.SmallAutoField,
)


# ``ModelSerializer`` whose generated fields are the strict ones above. (A comment, not a
# docstring: the schema would give every serializer without its own docstring this one.)
class StrictModelSerializer(serializers.ModelSerializer):
    serializer_field_mapping = {
        **serializers.ModelSerializer.serializer_field_mapping,
        models.DateField: IsoDateField,
        models.DateTimeField: IsoDateTimeField,
        models.DecimalField: StrictDecimalField,
        **dict.fromkeys(INTEGER_MODEL_FIELDS, StrictIntegerField),
    }
    serializer_related_field = StrictPrimaryKeyRelatedField

    def include_extra_kwargs(
        self, kwargs: MutableMapping[str, Any], extra_kwargs: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Keep ``allow_blank`` on a read-only field with choices.

        DRF drops it for read-only fields, so the schema's enum of an optional choice left
        ``""`` out while the responses carried it (an open placement's ``"ended_by": ""``;
        a client generated from the schema refused every list page).
        """
        blank = bool(kwargs.get("allow_blank")) and "choices" in kwargs
        kwargs = super().include_extra_kwargs(kwargs, extra_kwargs)
        if blank:
            kwargs["allow_blank"] = True
        return kwargs
