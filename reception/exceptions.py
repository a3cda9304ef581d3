"""Refusals of reception services, mapped like casework's: invalid input 400, conflict 409."""

from casework.core.exceptions import TransitionConflict, TransitionInvalid

__all__ = ["CentreFull", "PlacementConflict", "PlacementInvalid", "QuotaExhausted"]


class PlacementInvalid(TransitionInvalid):
    """The request is wrong for this person or centre (e.g. a minor in an adult centre): 400."""


class PlacementConflict(TransitionConflict):
    """The placement cannot be made as things are now (e.g. already placed elsewhere): 409."""


class CentreFull(PlacementConflict):
    """Every bed of the centre is taken on that date: 409."""


class QuotaExhausted(TransitionConflict):
    """The municipality has no settlement places left this year: 409."""
