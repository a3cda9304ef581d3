"""The caseworker's admin, one module per subject; each registers its own models."""

from casework.admin import applications, imports, reminders, security, statistics, status_lookups  # noqa: F401
