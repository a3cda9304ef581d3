"""Residence permits as records: who holds which permit, from when, until when, renewed how.

A permit is created by the decision that gives it (``services.permit_grant``, called by the
decision transitions and by the integration app's family-reunification grants); its last
valid day moves only by a renewal, one ``PermitRenewal`` row each, so the history of a
permit is its first period and its renewals. A later decision on the same case (the
Directorate's reversal, the appeals board's grant, a reversal on request, a new decision
after the case was sent back) replaces it: ``services.permits_end_replaced`` ends it on that
decision's day (``ended_on``, ``ended_by``), its dates kept as they were granted. A group
renewal (``RenewalRun``) extends every collective-protection permit of a group at once; its
key makes it run once.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casework.permits.choices import PermitStatus, PermitType, RenewalRunStatus

# The holder and the unit are reminded this long before the permit expires (``deadlines``).
EXPIRY_NOTICE = dt.timedelta(days=91)


class ResidencePermit(models.Model):
    """A residence permit of one person: its type, validity, card and the earliest day they
    may apply for permanent residence (``terms.py`` says the rules)."""

    person = models.ForeignKey(
        "casework.Person",
        on_delete=models.PROTECT,
        related_name="residence_permits",
        verbose_name=_("holder"),
    )
    application = models.ForeignKey(
        "casework.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="permits",
        verbose_name=_("application"),
    )
    decision = models.OneToOneField(
        "casework.Decision",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="permit",
        verbose_name=_("decision"),
    )
    # A permit granted outside the asylum case (a family reunification of the integration
    # app): that record, as "app_label.model:id".
    granted_by_record = models.CharField(_("granted by"), max_length=80, blank=True, editable=False)
    permit_type = models.CharField(_("permit type"), max_length=16, choices=PermitType.choices)
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"))
    identity_unverified = models.BooleanField(
        _("identity to be checked"),
        default=False,
        help_text=_("A shorter permit while the identity needs further checks (§ 10-13)."),
    )
    permanent_residence_from = models.DateField(
        _("permanent residence may be applied for from"), null=True, blank=True
    )
    card_issued_on = models.DateField(_("residence card issued on"), null=True, blank=True)
    group = models.CharField(
        _("group"),
        max_length=60,
        blank=True,
        help_text=_("The named group of a collective protection (e.g. Ukraine 2022)."),
    )
    ended_on = models.DateField(
        _("ended on"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The day a later decision on the case replaced this permit."),
    )
    ended_by = models.ForeignKey(
        "casework.Decision",
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("ended by decision"),
    )
    renewal_count = models.PositiveSmallIntegerField(_("renewals"), default=0, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("residence permit")
        verbose_name_plural = _("residence permits")
        ordering = ["-valid_from", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_until__gte=F("valid_from")), name="permit_ends_after_start"
            )
        ]
        indexes = [
            # The group renewal's selection and the expiry lists.
            models.Index(fields=["permit_type", "valid_from"], name="permit_type_from_idx"),
            # A group renewal names its group: each batch picks the group's next permits in
            # id order from this range, not from a scan of every permit (``statements``).
            models.Index(fields=["permit_type", "group", "id"], name="permit_type_group_idx"),
            models.Index(fields=["valid_until"], name="permit_until_idx"),
            models.Index(fields=["person", "-valid_from"], name="permit_person_idx"),
        ]

    def __str__(self) -> str:
        until = date_format(self.valid_until, "DATE_FORMAT")
        return _("%(type)s until %(until)s") % {
            "type": self.get_permit_type_display(),
            "until": until,
        }

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"

    def status_on(self, day: dt.date | None = None) -> str:
        """Ended (by a later decision), valid, expiring soon (within the expiry notice) or
        expired on ``day`` (today)."""
        day = day or timezone.localdate()
        if self.ended_on is not None and self.ended_on <= day:
            return PermitStatus.ENDED
        if self.valid_until < day:
            return PermitStatus.EXPIRED
        if self.valid_until < day + EXPIRY_NOTICE:
            return PermitStatus.EXPIRING
        return PermitStatus.VALID

    @property
    def status(self) -> str:
        return self.status_on()

    def get_status_display(self) -> str:
        return str(PermitStatus(self.status).label)


class RenewalRun(models.Model):
    """One group renewal: which permits (``criteria``), by how long, its key (run twice,
    extended once), who started it and how far it has come (the admin's progress bar)."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    label = models.CharField(_("name"), max_length=200)
    group = models.CharField(_("group"), max_length=60, blank=True)
    nationalities = models.CharField(
        _("nationalities"), max_length=200, blank=True, help_text=_("ISO codes, comma separated.")
    )
    granted_from = models.DateField(_("granted from"), null=True, blank=True)
    granted_to = models.DateField(_("granted to"), null=True, blank=True)
    expiring_by = models.DateField(
        _("expiring by"),
        null=True,
        blank=True,
        help_text=_("Only permits whose last valid day is on or before this day."),
    )
    months = models.PositiveSmallIntegerField(_("months"), default=12)
    legal_basis = models.TextField(
        _("decision"), help_text=_("The government's decision the renewal carries out.")
    )
    status = models.CharField(
        _("status"),
        max_length=8,
        choices=RenewalRunStatus.choices,
        default=RenewalRunStatus.PENDING,
    )
    total = models.PositiveIntegerField(_("permits found"), default=0)
    renewed = models.PositiveIntegerField(_("permits renewed"), default=0)
    message = models.TextField(_("message"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("started by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("permit renewal run")
        verbose_name_plural = _("permit renewal runs")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(months__gte=1, months__lte=12), name="renewal_run_months_1_12"
            )
        ]

    # Set on the run ``renewal_run_start`` found already finished (started again: nothing done).
    already_done = False

    def __str__(self) -> str:
        return self.label

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"

    @property
    def percent(self) -> int:
        if self.status == RenewalRunStatus.DONE:
            return 100
        return int(100 * self.renewed / self.total) if self.total else 0


class PermitRenewal(models.Model):
    """One extension of a permit: from which last day to which, by which group renewal (or
    none: a single renewal) and who made it. A run renews a permit once (the unique key)."""

    permit = models.ForeignKey(
        ResidencePermit,
        on_delete=models.CASCADE,
        related_name="renewals",
        verbose_name=_("permit"),
    )
    # No index of its own: ``renewal_run_idx`` (run, permit) serves the run's lookups. With
    # one, the planner, its statistics saying a new run has renewed nothing, answered "has
    # this run renewed this permit?" by reading all the run's renewals for every permit.
    run = models.ForeignKey(
        RenewalRun,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="renewals",
        verbose_name=_("renewal run"),
        db_index=False,
    )
    previous_until = models.DateField(_("valid until before"))
    new_until = models.DateField(_("valid until after"))
    renewed_at = models.DateTimeField(_("renewed at"), default=timezone.now)
    renewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("renewed by"),
    )

    class Meta:
        verbose_name = _("permit renewal")
        verbose_name_plural = _("permit renewals")
        ordering = ["renewed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["permit", "run"], name="one_renewal_per_run"),
            models.CheckConstraint(
                condition=Q(new_until__gt=F("previous_until")), name="renewal_extends"
            ),
        ]
        indexes = [models.Index(fields=["run", "permit"], name="renewal_run_idx")]

    def __str__(self) -> str:
        return _("renewed until %(until)s") % {"until": date_format(self.new_until, "DATE_FORMAT")}
