"""Making a bulk path's unsaved rows quickly: what ``Model(**values)`` makes, at a fraction of
its cost.

A bulk import builds eight model instances an arrival; ``Model.__init__`` (signals, keyword
matching, a descriptor call per field) was most of the import's Python time. ``new_row``
makes the same instance: every concrete field set from ``values`` (attribute names: ``person_id``,
not ``person``) or its default, through the field's descriptor where it has one of its own
(countries, the protected state field), a fresh ``ModelState``. It sends no ``pre_init`` /
``post_init``: the models built this way are registered in ``casework.core.checks``, whose
check fails when one of them gains such receivers (or ``save()`` logic the bulk writers skip).
"""

from __future__ import annotations

from functools import cache
from typing import Any, TypeVar

from django.db import models
from django.db.models import NOT_PROVIDED
from django.db.models.base import ModelState
from django.db.models.query_utils import DeferredAttribute

_NONE = object()
_M = TypeVar("_M", bound=models.Model)


@cache
def _plan(model: type[models.Model]) -> tuple[tuple[str, Any, Any, bool], ...]:
    """Per concrete field: attribute name, default (a value or a callable), whether it is a
    callable, and whether the value goes through the field's own descriptor."""
    plan = []
    for f in model._meta.concrete_fields:
        if f.default is not NOT_PROVIDED:
            default, call = f.default, callable(f.default)
        elif f.null or not f.empty_strings_allowed:
            default, call = None, False
        else:
            default, call = "", False
        descriptor = model.__dict__.get(f.attname)
        own = descriptor is not None and not isinstance(descriptor, DeferredAttribute)
        plan.append((f.attname, default, call, own))
    return tuple(plan)


def new_row(model: type[_M], values: dict[str, Any]) -> _M:
    """An unsaved ``model`` instance holding ``values`` (attribute names), defaults elsewhere."""
    obj = model.__new__(model)
    obj._state = ModelState()
    store = obj.__dict__
    given = 0
    for attname, default, call, own in _plan(model):
        value = values.get(attname, _NONE)
        if value is _NONE:
            value = default() if call else default
        else:
            given += 1
        if own:
            setattr(obj, attname, value)
        else:
            store[attname] = value
    if given != len(values):
        unknown = set(values) - {attname for attname, *_rest in _plan(model)}
        raise TypeError(f"{model.__name__} has no fields {sorted(unknown)}")
    return obj
