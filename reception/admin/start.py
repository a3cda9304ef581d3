"""Reception's part of the start page (``casework.admin.start``): a reception officer's
residents and centres, each figure a link to the list it counts."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework.admin.start import Item, Section, counted, list_url, register

from ..selectors import centres_visible_to, placements_visible_to


def _reception(request: HttpRequest) -> list[Section]:
    user = request.user
    if not user.has_perm("reception.view_placement"):
        return []
    items = [
        counted(
            _("Residents now"),
            list_url("reception_placement", open="yes"),
            placements_visible_to(user).filter(end__isnull=True),
        ),
        counted(
            _("Centres"),
            list_url("reception_receptioncentre"),
            centres_visible_to(user),
        ),
    ]
    if user.has_perm("reception.add_placement"):
        items.append(Item(_("Place a person"), reverse("admin:reception_placement_add")))
    return [Section(_("Reception"), items)]


register(_reception)
