"""The reception officers' admin, one module per subject; each registers its own models."""

from . import centres, geography, placements, settlements, start  # noqa: F401
from .placements import person_placement_actions, person_placement_summary

__all__ = ["person_placement_actions", "person_placement_summary"]
