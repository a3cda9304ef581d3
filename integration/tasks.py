"""Celery tasks of integration: idempotent, each a thin call of a service."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="integration.tasks.expire_work_permits", acks_late=True)
def expire_work_permits() -> int:
    """End work permits whose validity ended or whose departure deadline came (§ 94).

    Runs with the deadline sweep; a repeated run finds nothing left to expire.
    """
    from .services import work_permits_expire_due

    return work_permits_expire_due()
