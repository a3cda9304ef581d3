"""The caseworker's admin, one module per subject; each registers its own models."""

from . import applications, reminders, security, status_lookups  # noqa: F401
