"""Celery task of Dublin cases: idempotent, a thin call of the service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="casework.tasks.dublin_deadlines", acks_late=True)
def dublin_deadlines() -> dict[str, int]:
    """Accept by silence the requests whose reply period ended and hand to Norway the cases
    whose transfer period ended (Dublin III art. 22(7), 25(2), 29(2)). Runs with the deadline
    sweep; a repeated or concurrent run moves nothing twice."""
    from casework.dublin.services import dublin_deadlines_sweep

    return dublin_deadlines_sweep()
