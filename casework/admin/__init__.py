"""The caseworker's admin, one module per subject; each registers its own models."""

from casework.admin import (  # noqa: F401
    applications,
    audit,
    checks,
    dublin,
    imports,
    interpreters,
    lawyers,
    letters,
    libraries,
    people,
    permits,
    reminders,
    resettlement,
    returns,
    security,
    staff,
    statistics,
    status_lookups,
    vulnerability,
)
