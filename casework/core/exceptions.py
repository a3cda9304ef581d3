"""Errors the services raise; each face (admin, API, status page, tasks) maps them the same way.

- ``TransitionInvalid`` (a ``ValidationError``): the input is wrong -> 400 / form errors.
- ``TransitionConflict``: not allowed in the current state, a guard is unmet, or another user
  changed the case first -> 409 / a message asking to reload.
- ``django.core.exceptions.PermissionDenied``: the user may not -> 403.
"""

from django.core.exceptions import ValidationError


class TransitionInvalid(ValidationError):
    """The request to change a case carries invalid or missing input."""


class TransitionConflict(Exception):
    """The change cannot be made to the case as it is now."""

    def __init__(self, message: str, *, current_state: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.current_state = current_state
