"""The one record of core: when each scheduled job last completed."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Heartbeat(models.Model):
    """The last completed run of one scheduled job (the deadline sweep, the refresh of the
    status page's waiting figures): when it finished, how long it took, how many rows it
    touched.

    A stopped scheduler shows in nothing else: no reminder is created, no page fails. This
    row, written by the job itself when it completes, is what ``/healthz`` compares with the
    job's interval and what the metrics report, from the database, so it is the same answer
    on every web process and survives restarts. One row per job, overwritten each run.
    """

    job = models.CharField(max_length=32, primary_key=True, verbose_name=_("job"))
    finished_at = models.DateTimeField(verbose_name=_("finished at"))
    duration_seconds = models.FloatField(verbose_name=_("duration (seconds)"))
    rows = models.JSONField(default=dict, blank=True, verbose_name=_("rows"))

    class Meta:
        verbose_name = _("job heartbeat")
        verbose_name_plural = _("job heartbeats")

    def __str__(self) -> str:
        return f"{self.job} finished {self.finished_at:%Y-%m-%d %H:%M:%S}"
