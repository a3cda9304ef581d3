"""Admin page helpers: a read-only field links to the record it names only for who may open it.

Django's change page writes a read-only foreign key (a case's unit, its caseworker, a
settlement's application) as a link to that record's admin page, whoever is looking. A
caseworker may not open the unit or the user admin, an integration officer may not open the
asylum case behind a settlement: each such link was a "403 Not allowed" a click away. Here the
link stays only when the record's admin lets this user view it (the user's permissions, loaded
for the page already: no query); else the name is written as text.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.contrib import admin
from django.contrib.admin.exceptions import NotRegistered
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.utils.html import conditional_escape

register = template.Library()


@register.simple_tag(takes_context=True)
def readonly_contents(context: Any, field: Any) -> Any:
    """What ``field.contents`` writes, without a link the user could not follow."""
    contents = field.contents()
    name, instance = field.field["field"], field.form.instance
    if not isinstance(name, str) or "<a " not in str(contents):
        return contents
    try:
        model_field = instance._meta.get_field(name)
        target = getattr(instance, name)
    except (FieldDoesNotExist, ObjectDoesNotExist):
        return contents
    if target is None or not (model_field.many_to_one or model_field.one_to_one):
        return contents
    try:
        target_admin = admin.site.get_model_admin(type(target))
    except NotRegistered:
        return contents
    if target_admin.has_view_permission(context["request"], target):
        return contents
    return conditional_escape(str(target))
