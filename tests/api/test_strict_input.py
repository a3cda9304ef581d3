"""Every request field of every app's API is one of ``casework.api.fields``' strict fields.

DRF's own date, number and id fields take ``19900101``, ``1990-W01-1`` and ``1.5``
(``tests/api/test_hostile_requests.py`` shows what that did). A serializer added later with a
plain ``serializers.DateField`` would bring that back for its endpoint: this test names it.
"""

from __future__ import annotations

import contextlib
import importlib
import inspect

from rest_framework import serializers

from casework.api import fields as strict
from casework.api.base import TransitionsMixin

MODULES = (
    "casework.api.serializers",
    "casework.api.base",
    "casework.api.views",
    "reception.api.serializers",
    "reception.api.views",
    "integration.api.serializers",
    "integration.api.views",
)
LENIENT = {
    serializers.DateField: strict.IsoDateField,
    serializers.DateTimeField: strict.IsoDateTimeField,
    serializers.IntegerField: strict.StrictIntegerField,
    serializers.PrimaryKeyRelatedField: strict.StrictPrimaryKeyRelatedField,
    serializers.DecimalField: strict.StrictDecimalField,
}


def serializer_classes() -> list[type[serializers.Serializer]]:
    found: set[type] = set()
    for name in MODULES:
        module = importlib.import_module(name)
        for _attr, value in inspect.getmembers(module, inspect.isclass):
            if issubclass(value, serializers.BaseSerializer) and value.__module__ == name:
                found.add(value)
            if issubclass(value, TransitionsMixin):
                found.update(value.transition_inputs.values())
    return sorted(found, key=lambda c: f"{c.__module__}.{c.__qualname__}")


def lenient_fields(serializer_class: type[serializers.Serializer]) -> list[str]:
    problems = []
    fields = dict(serializer_class._declared_fields)  # what the class states itself
    # and what a ModelSerializer generates (one that needs a request: its declared fields)
    with contextlib.suppress(Exception):
        fields.update(serializer_class().fields)
    for name, field in fields.items():
        for candidate in (field, getattr(field, "child", None)):
            if candidate is None or candidate.read_only:
                continue
            for lenient, wanted in LENIENT.items():
                if isinstance(candidate, lenient) and not isinstance(candidate, wanted):
                    problems.append(
                        f"{serializer_class.__module__}.{serializer_class.__qualname__}.{name}: "
                        f"{type(candidate).__name__}, use {wanted.__name__}"
                    )
    return problems


def test_every_request_field_is_strict():
    classes = serializer_classes()
    assert len(classes) > 40  # the walk found the apps' serializers and transition bodies
    problems = [p for cls in classes for p in lenient_fields(cls)]
    assert not problems, "\n".join(problems)


def test_every_model_serializer_generates_strict_fields():
    lenient = [
        f"{cls.__module__}.{cls.__qualname__}"
        for cls in serializer_classes()
        if issubclass(cls, serializers.ModelSerializer)
        and not issubclass(cls, strict.StrictModelSerializer)
    ]
    assert not lenient, lenient
