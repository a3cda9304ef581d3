"""Template tags for the access log ("who has looked at this case")."""

from __future__ import annotations

from typing import Any

from django import template

from casework.privacy.access import case_access_history as _history

register = template.Library()


@register.simple_tag(takes_context=True)
def case_access_history(context: Any, application: Any, limit: int = 50) -> list:
    request = context.get("request")
    return _history(application, viewer=getattr(request, "user", None), limit=limit)


@register.simple_tag(takes_context=True)
def sees_grounds(context: Any) -> bool:
    """Whether the user may read grounds and reasons (``scopes.hidden_fields``)."""
    from casework.audit.models import AuditEvent
    from casework.privacy.scopes import hidden_fields

    request = context.get("request")
    user = getattr(request, "user", None)
    return user is not None and not hidden_fields(user, AuditEvent)
