"""The Celery app: Redis broker in production, kombu's filesystem transport by default.

The beat schedule is static and lives here in code (DESIGN.md: no admin-editable schedules,
no long ETAs on Redis). Reminder rows in the database are the truth; the sweep re-finds
whatever a lost message did not deliver.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("casework")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _beat_schedule() -> dict:
    from django.conf import settings

    every = float(getattr(settings, "SWEEP_INTERVAL_SECONDS", 300))
    return {
        "sweep-deadlines": {"task": "casework.tasks.sweep_deadlines", "schedule": every},
        "deliver-pending-reminders": {
            "task": "casework.tasks.deliver_pending_reminders",
            "schedule": every,
        },
        "expire-work-permits": {
            "task": "integration.tasks.expire_work_permits",
            "schedule": every,
        },
    }


app.conf.beat_schedule_factory = _beat_schedule


@app.on_after_finalize.connect
def _install_schedule(sender: Celery, **_: object) -> None:
    sender.conf.beat_schedule = _beat_schedule()
