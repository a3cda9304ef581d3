"""``{% letters_panel case %}``: the letters of a case on its change page."""

from __future__ import annotations

from typing import Any

from django import template

from casework.admin.letters import letters_panel as panel

register = template.Library()


@register.inclusion_tag("admin/casework/application/letters_panel.html", takes_context=True)
def letters_panel(context: dict, application: Any) -> dict:
    return panel(context["request"].user, application)
