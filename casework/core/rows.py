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
def _plan(model: type[models.Model]) -> tuple[dict[str, Any], tuple, tuple, frozenset, frozenset]:
    """What ``new_row`` sets on a ``model`` instance: the plain defaults (attribute name:
    value), the callable defaults, the fields set through a descriptor of their own (with
    their defaults, callable or not), their names, and every attribute name."""
    static: dict[str, Any] = {}
    calls, own = [], []
    for f in model._meta.concrete_fields:
        if f.default is not NOT_PROVIDED:
            default, call = f.default, callable(f.default)
        elif f.null or not f.empty_strings_allowed:
            default, call = None, False
        else:
            default, call = "", False
        descriptor = model.__dict__.get(f.attname)
        if descriptor is not None and not isinstance(descriptor, DeferredAttribute):
            own.append((f.attname, default, call))
        elif call:
            calls.append((f.attname, default))
        else:
            static[f.attname] = default
    own_names = frozenset(name for name, _default, _call in own)
    known = frozenset(f.attname for f in model._meta.concrete_fields)
    return static, tuple(calls), tuple(own), own_names, known


def new_row(model: type[_M], values: dict[str, Any]) -> _M:
    """An unsaved ``model`` instance holding ``values`` (attribute names), defaults elsewhere."""
    static, calls, own, own_names, known = _plan(model)
    if not values.keys() <= known:
        raise TypeError(f"{model.__name__} has no fields {sorted(values.keys() - known)}")
    obj = model.__new__(model)
    obj._state = ModelState()
    store = obj.__dict__
    store.update(static)
    for attname, default in calls:
        if attname not in values:
            store[attname] = default()
    if own_names.isdisjoint(values):
        store.update(values)
    else:
        store.update({k: v for k, v in values.items() if k not in own_names})
    for attname, default, call in own:
        value = values.get(attname, _NONE)
        if value is _NONE:
            value = default() if call else default
        setattr(obj, attname, value)
    return obj
