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

    at = models.DateTimeField(default=timezone.now, db_index=True)
    client_network = models.CharField(max_length=64, db_index=True)
    reference_hash = models.CharField(max_length=64, blank=True, db_index=True)
    birth_date_hmac = models.CharField(max_length=64, blank=True)
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    language = models.CharField(max_length=8, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["reference_hash", "at"], name="statuslookup_ref_at")]

    def __str__(self) -> str:
        return f"status lookup {self.outcome} from {self.client_network}"
