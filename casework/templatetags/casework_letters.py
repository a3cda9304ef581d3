"""``{% letters_panel case %}``: the letters of a case on its change page."""

from __future__ import annotations

from typing import Any

from django import template

from casework.admin.letters import letters_panel as panel

# The case page's timeline shows at most this many events (casework.admin.applications).
TIMELINE_LIMIT = 200

register = template.Library()


@register.inclusion_tag("admin/casework/application/letters_panel.html", takes_context=True)
def letters_panel(context: dict, application: Any) -> dict:
    """The panel; when the case's timeline (already loaded, up to ``TIMELINE_LIMIT`` events)
    holds no "letter written" event, the case has no letter and the letters are not asked for:
    every letter is written through the service, which writes that event."""
    timeline = context.get("case_timeline")
    known_none = (
        timeline is not None
        and len(timeline) < TIMELINE_LIMIT
        and not any(item["event"].action == "letter_created" for item in timeline)
    )
    return panel(context["request"].user, application, known_none=known_none)
