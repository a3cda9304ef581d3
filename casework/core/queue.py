"""Queueing background work after commit, without ever failing the request."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

log = logging.getLogger(__name__)


def task_named(name: str) -> Any:
    """The registered Celery task called ``name``.

    Services enqueue tasks by name, so that a service never imports the task module that
    imports the service back. Task names are explicit (``casework.tasks.<name>``) and stable.
    """
    from celery import current_app

    if name not in current_app.tasks:
        # A web process or a command imports the task modules only when a task is first
        # needed: the same autodiscovery a worker runs at start.
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def on_commit_enqueue(task: Any, *args: Any) -> None:
    """Send ``task`` (a task or its name) after commit; a dead broker is logged, never raised
    to the user."""

    def send() -> None:
        name = task if isinstance(task, str) else task.name
        try:
            (task_named(task) if isinstance(task, str) else task).delay(*args)
        except Exception:  # any broker failure: the sweep recovers later
            log.warning("could not enqueue %s; the next sweep will pick it up", name)

    transaction.on_commit(send, robust=True)
