"""The kinds of residence permit, and what a permit's dates say about it today."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class PermitType(models.TextChoices):
    """The residence permits the system records, each with its legal basis.

    - ``refugee``: a refugee's permit after an asylum application (Immigration Act § 28, the
      Convention ground (a) and the other protection ground (b) alike);
    - ``collective``: temporary collective protection in a mass-flight situation (§ 34), one
      year at a time, extended for the whole group by government decision;
    - ``humanitarian``: strong humanitarian considerations or a particular connection (§ 38);
    - ``minor_limited``: an unaccompanied minor refused protection, a limited permit until 18
      (Immigration Regulations § 8-8);
    - ``family``: family reunification with a sponsor in Norway (§§ 40-49), granted in the
      integration app.
    """

    REFUGEE = "refugee", _("refugee (Immigration Act § 28)")
    COLLECTIVE = "collective", _("collective protection (Immigration Act § 34)")
    HUMANITARIAN = "humanitarian", _("humanitarian grounds (Immigration Act § 38)")
    MINOR_LIMITED = "minor_limited", _("limited permit until 18 (Immigration Regulations § 8-8)")
    FAMILY = "family", _("family reunification (Immigration Act §§ 40-49)")


class PermitStatus(models.TextChoices):
    """Where a permit stands on a given day (computed from its dates, never stored): ended
    once a later decision on the case replaced it (its ``ended_on``), otherwise by its last
    valid day."""

    VALID = "valid", _("valid")
    EXPIRING = "expiring", _("expiring soon")
    EXPIRED = "expired", _("expired")
    ENDED = "ended", _("ended by a later decision")


class RenewalRunStatus(models.TextChoices):
    PENDING = "pending", _("waiting to start")
    RUNNING = "running", _("running")
    DONE = "done", _("finished")
    FAILED = "failed", _("failed")
