"""Reads, already scoped to what the caller may see, with the joins that keep queries flat."""

from __future__ import annotations

import datetime as dt

from .identity import parse_reference
from .models import Application


def application_for_applicant(
    *, reference: str, date_of_birth: dt.date | None
) -> Application | None:
    """The applicant's own case, or None. Wrong reference and wrong birth date look the same.

    One indexed query whatever the input; the birth date is compared in the query, so a
    wrong one returns nothing exactly as a wrong reference does.
    """
    canonical = parse_reference(reference)
    if canonical is None or date_of_birth is None:
        return None
    return (
        Application.objects.select_related("person")
        .filter(reference=canonical, person__date_of_birth=date_of_birth)
        .first()
    )
