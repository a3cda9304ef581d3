"""The integration officers' and caseworkers' admin, one module per subject."""

from . import family, programme, start, work_permits  # noqa: F401
