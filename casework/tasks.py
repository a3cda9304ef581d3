"""Where Celery finds casework's tasks: each concern keeps its own ``tasks.py``.

Celery's autodiscovery imports ``<app>.tasks``; this module imports the concerns' task
modules so that every task is registered. Task names are explicit
(``casework.tasks.<name>``) and stay the same wherever the code lives, so messages already
queued and the beat schedule keep working.
"""

from casework.api import tasks as api_tasks
from casework.deadlines import tasks as deadline_tasks
from casework.dublin import tasks as dublin_tasks
from casework.intake import tasks as intake_tasks
from casework.permits import tasks as permit_tasks
from casework.privacy import tasks as privacy_tasks
from casework.statistics import tasks as statistics_tasks
from casework.status import tasks as status_tasks

__all__ = [
    "api_tasks",
    "deadline_tasks",
    "dublin_tasks",
    "intake_tasks",
    "permit_tasks",
    "privacy_tasks",
    "statistics_tasks",
    "status_tasks",
]
