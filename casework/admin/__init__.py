"""The caseworker's admin, one module per subject; each registers its own models."""

from . import applications, reminders, security  # noqa: F401
