"""Template tags for the "due soon / overdue" panels in the admin.

``{% my_deadlines_panel %}`` (the admin start page) shows the logged-in user's own deadlines;
``{% deadline_panel application %}`` (a case's change page) shows every open deadline of the
case with its reminders. Both render ``casework/admin/deadline_panel.html``.
"""

from __future__ import annotations

import contextlib
from typing import Any

from django import template

from casework.deadlines.selectors import deadlines_for_application, deadlines_for_user

register = template.Library()


def _with_case_links(rows: list) -> list:
    """Link each row to its case's admin page (if the case admin is registered)."""
    from django.urls import NoReverseMatch, reverse

    for row in rows:
        app = row.deadline.application
        row.case_url = ""
        if app is not None:
            with contextlib.suppress(NoReverseMatch):
                row.case_url = reverse("admin:casework_application_change", args=[app.pk])
    return rows


@register.inclusion_tag("casework/admin/deadline_panel.html", takes_context=True)
def my_deadlines_panel(context: dict) -> dict:
    user = context["request"].user
    mine = deadlines_for_user(user=user)
    return {
        "title": "mine",
        "deadlines": _with_case_links(mine["overdue"] + mine["due_soon"]),
        "more": mine["more"],
        "show_case": True,
    }


@register.inclusion_tag("casework/admin/deadline_panel.html")
def deadline_panel(application: Any) -> dict:
    return {
        "title": "case",
        "deadlines": deadlines_for_application(application),
        "show_reminders": True,
    }
