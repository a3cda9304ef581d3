"""Integration's part of the start page (``casework.admin.start``): an integration officer's
programmes and the people settled in their municipalities who wait for one."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from casework.admin.start import Section, counted, list_url, register

from .. import selectors
from ..choices import ProgrammeState


def _programmes(request: HttpRequest) -> list[Section]:
    user = request.user
    if not user.has_perm("integration.view_introductionprogramme"):
        return []
    programmes = selectors.programmes_visible_to(user)
    items = [
        counted(
            _("Programmes running"),
            list_url("integration_introductionprogramme", state__exact=ProgrammeState.ENROLLED),
            programmes.filter(state=ProgrammeState.ENROLLED),
        )
    ]
    if user.has_perm("integration.add_introductionprogramme"):
        # Enrolment finds them by registration number or municipality (its suggestions are
        # exactly these people).
        waiting = selectors.settlements_for_enrolment(user)
        items.insert(
            0,
            counted(
                _("Settled, not yet enrolled"),
                reverse("admin:integration_introductionprogramme_create"),
                waiting.filter(introduction_programmes__isnull=True),
                urgent=True,
            ),
        )
    return [Section(_("Introduction programme"), items)]


register(_programmes)
