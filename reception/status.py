"""Where the applicant lives, for casework's status page (``casework.status_hooks``).

Registered from ``ReceptionConfig.ready``. The applicant is already authenticated by reference
and birth date; they see their own centre's name and municipality, nothing about other
residents or staff. Strings are in ``reception/locale`` (the status page's languages).
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from .models import Placement


def residence_lines(*, application: Any) -> list[str]:
    """One line naming the applicant's current centre, or nothing when not in reception."""
    # At most one open placement (the partial unique index ``one_open_placement``), so no
    # ordering, and only the two names: this runs on every status lookup (issue 11).
    names = (
        Placement.objects.filter(person_id=application.person_id, end__isnull=True)
        .order_by()
        .values_list("centre__name", "centre__municipality__name")[:1]
    )
    for centre, municipality in names:
        return [
            _("Your reception centre: %(centre)s, %(municipality)s.")
            % {"centre": centre, "municipality": municipality}
        ]
    return []
