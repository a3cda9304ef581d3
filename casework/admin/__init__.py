"""The caseworker's admin, one module per subject; each registers its own models."""

from . import applications, imports, reminders, statistics  # noqa: F401
