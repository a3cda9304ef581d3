"""The status page's lookup log (abuse detection; kept 90 days)."""

from __future__ import annotations

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatusLookup(models.Model):
    """One try at the public status page, for abuse monitoring (found or not, or refused).

    Stores nothing that identifies the visitor or reveals the case to someone reading the
    table: the client address is truncated to its network (/24, /48), the reference tried and
    the birth date tried are keyed hashes (HMAC with the secret key), so staff can count tries
    per reference or spot one reference tried with many birth dates, but cannot read either
    back. The birth date is never stored in clear (GDPR art. 5(1)(c), data minimisation).
    """

    class Outcome(models.TextChoices):
        FOUND = "found", _("found")
        NOT_FOUND = "not_found", _("not found")
        INVALID = "invalid", _("invalid input")
        LIMITED = "limited", _("rate-limited")

    at = models.DateTimeField(default=timezone.now, db_index=True, verbose_name=_("at"))
    client_network = models.CharField(
        max_length=64, db_index=True, verbose_name=_("client network")
    )
    reference_hash = models.CharField(
        max_length=64, blank=True, db_index=True, verbose_name=_("reference hash")
    )
    birth_date_hmac = models.CharField(max_length=64, blank=True, verbose_name=_("birth date hmac"))
    outcome = models.CharField(max_length=10, choices=Outcome.choices, verbose_name=_("outcome"))
    language = models.CharField(max_length=8, blank=True, verbose_name=_("language"))

    class Meta:
        verbose_name = _("status lookup")
        verbose_name_plural = _("status lookups")
        ordering = ["-at"]
        indexes = [models.Index(fields=["reference_hash", "at"], name="statuslookup_ref_at")]

    def __str__(self) -> str:
        return f"status lookup {self.outcome} from {self.client_network}"


class WaitingFigure(models.Model):
    """The expected waiting time of one kind and track, as the refresh task last computed it.

    Why a row and not a cache entry: the 80th percentile reads six months of decisions (at
    the demo scale on SQLite, seconds), and a cache entry that expires makes the next applicant
    wait for it. Beat recomputes these rows (``casework.status.services``); a status lookup only
    reads them, so no applicant ever waits for the computation.
    """

    kind = models.CharField(max_length=16, verbose_name=_("kind"))
    track = models.CharField(max_length=16, verbose_name=_("track"))
    p80_days = models.PositiveIntegerField(null=True, blank=True, verbose_name=_("p80 days"))
    sample = models.PositiveIntegerField(default=0, verbose_name=_("sample"))
    computed_at = models.DateTimeField(verbose_name=_("computed at"))

    class Meta:
        verbose_name = _("waiting figure")
        verbose_name_plural = _("waiting figures")
        constraints = [models.UniqueConstraint(fields=["kind", "track"], name="one_waiting_figure")]

    def __str__(self) -> str:
        return f"waiting figure {self.kind}/{self.track}: {self.p80_days} days"


class QueueDay(models.Model):
    """For one lodging day of one kind and track: how many cases lodged that day were waiting,
    and how many waiting cases were lodged before it, when the refresh task last counted.

    An applicant's place in the queue is ``before`` of their day plus the few cases of the same
    day registered before theirs, counted live: one indexed row and a count over one day,
    never a count over the whole queue.
    """

    kind = models.CharField(max_length=16, verbose_name=_("kind"))
    track = models.CharField(max_length=16, verbose_name=_("track"))
    lodged_on = models.DateField(verbose_name=_("lodged on"))
    before = models.PositiveIntegerField(verbose_name=_("before"))
    count = models.PositiveIntegerField(verbose_name=_("count"))

    class Meta:
        verbose_name = _("queue day")
        verbose_name_plural = _("queue days")
        constraints = [
            models.UniqueConstraint(fields=["kind", "track", "lodged_on"], name="one_queue_day")
        ]

    def __str__(self) -> str:
        return f"queue {self.kind}/{self.track} {self.lodged_on}: {self.before} before"
