"""Template tags for the "due soon / overdue" panels in the admin.

``{% start_page %}`` (the admin start page) shows the user's work in figures, each a link to
the list it counts (``casework.admin.start``); ``{% my_deadlines_panel %}`` the few most
urgent of the user's own deadlines;
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
        app = row.case or row.deadline.application
        row.case_url = ""
        if app is not None:
            with contextlib.suppress(NoReverseMatch):
                row.case_url = reverse("admin:casework_application_change", args=[app.pk])
    return rows


# The start page shows the few most urgent of the user's deadlines, and links to the rest.
START_PAGE_DEADLINES = 5


@register.inclusion_tag("casework/admin/deadline_panel.html", takes_context=True)
def my_deadlines_panel(context: dict) -> dict:
    from django.urls import reverse

    user = context["request"].user
    mine = deadlines_for_user(user=user, limit=START_PAGE_DEADLINES)
    return {
        "title": "mine",
        "deadlines": _with_case_links(mine["overdue"] + mine["due_soon"]),
        "more": mine["more"],
        "more_url": reverse("admin:casework_deadline_changelist") + "?recipient=mine",
        "show_case": True,
    }


@register.inclusion_tag("casework/admin/start_page.html", takes_context=True)
def start_page(context: dict) -> dict:
    """The "what do I do now" summary of the admin's start page (``casework.admin.start``)."""
    from casework.admin.start import start_sections

    return {"sections": start_sections(context["request"])}


@register.inclusion_tag("casework/admin/deadline_panel.html")
def deadline_panel(application: Any) -> dict:
    return {
        "title": "case",
        "deadlines": deadlines_for_application(application),
        "show_reminders": True,
    }
