"""Errors the services raise; each face (admin, API, status page, tasks) maps them the same way.

- ``TransitionInvalid`` (a ``ValidationError``): the input is wrong -> 400 / form errors.
- ``TransitionConflict``: not allowed in the current state, a guard is unmet (``ConditionsUnmet``
  lists each legal condition), or another user
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


class ConditionsUnmet(TransitionConflict):
    """A transition's legal conditions are not met; ``unmet`` names each one (objects with a
    ``code`` and a ``message``), so a face can list them (the API's ``unmet``)."""

    def __init__(self, message: str, *, unmet: list, current_state: str | None) -> None:
        super().__init__(message, current_state=current_state)
        self.unmet = unmet
