"""Template tags for the access log ("who has looked at this case")."""

from __future__ import annotations

from typing import Any

from django import template

from ..access import case_access_history as _history

register = template.Library()


@register.simple_tag
def case_access_history(application: Any, limit: int = 50) -> list:
    return _history(application, limit=limit)
