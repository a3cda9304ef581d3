"""Read-only panels other apps add to the person's admin page, without casework importing them.

Reception shows where the person lives (``reception.admin.person_placement_summary``), from
its ``AppConfig.ready``::

    register_person_panel(
        "reception.placement",
        person_placement_summary,
        label=_("Reception"),
        permission="reception.view_placement",
    )

``render(person)`` returns HTML made safe with ``format_html``; a panel registered with
``with_viewer=True`` is called ``render(person, user)`` with the user reading the page (what it
shows may depend on their role, and a read of special-category data is access-logged). A
panel is shown only to users holding ``permission`` (a caseworker does not see reception's
links to move a resident), and only on the change page of an existing person. A panel that
fails is logged and shows a dash: the person's page never breaks because of another app.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.contrib import admin

from casework.staff.users import AnyUser

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise

log = logging.getLogger(__name__)

PanelRender = Callable[..., str]
# The attribute the person's admin page sets on the person it shows: the user reading it.
VIEWER_ATTRIBUTE = "_panel_viewer"


@dataclass(frozen=True)
class PersonPanel:
    key: str
    label: StrOrPromise
    render: PanelRender
    permission: str | None = None
    # One stable callable per panel: the admin matches readonly fields and fieldsets by identity.
    field: Callable[[Any], str] = field(default=None, compare=False)  # type: ignore[assignment]


_panels: dict[str, PersonPanel] = {}


def register_person_panel(
    key: str,
    render: PanelRender,
    *,
    label: StrOrPromise,
    permission: str | None = None,
    with_viewer: bool = False,
) -> PersonPanel:
    """Add (or replace, by ``key``) a read-only panel on the person's admin page."""

    @admin.display(description=label)
    def show(person: Any) -> str:
        try:
            if with_viewer:
                return render(person, getattr(person, VIEWER_ATTRIBUTE, None))
            return render(person)
        except Exception:  # one app's bug must not take the person's page down
            log.exception("person panel %s failed", key)
            return "-"

    show.__name__ = f"panel_{key.replace('.', '_')}"
    panel = PersonPanel(key=key, label=label, render=render, permission=permission, field=show)
    _panels[key] = panel
    return panel


def panels_for(user: AnyUser) -> list[PersonPanel]:
    """The panels ``user`` may see, in registration order."""
    return [p for p in _panels.values() if p.permission is None or user.has_perm(p.permission)]
