"""The records of a Dublin case: the rule sets of periods, each request to another state
(with its answer and the transfer), and the request to stay in Norway during the appeal.

A request's and a stay request's state change only through ``workflow.py``'s transitions.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin

from casework.dublin.choices import (
    LegalGround,
    RequestKind,
    RequestState,
    StayState,
    TransferExtension,
)
from casework.dublin.workflow import RequestWorkflow, StayWorkflow


class RuleSetQuerySet(models.QuerySet["DublinRuleSet"]):
    def valid_on(self, day: dt.date) -> RuleSetQuerySet:
        """Rule sets in force on ``day`` (``valid_to`` is the last day, inclusive)."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


class DublinRuleSet(models.Model):
    """The periods of one regulation, in force from ``valid_from`` to ``valid_to``.

    Dublin III (Regulation (EU) No 604/2013) until 11 June 2026, the AMMR (Regulation (EU)
    2024/1351) from 12 June 2026: data with validity dates, as counties are, so a case is
    counted under the rules of its day. ``periods`` maps each key of ``periods.py`` to a
    period (``"3 months"``); ``verified`` says whether the periods were checked against the
    regulation's text (the AMMR's were not: its ``note`` says which are in doubt).
    """

    name = models.CharField(_("name"), max_length=80)
    regulation = models.CharField(_("regulation"), max_length=160)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(
        _("valid to"), null=True, blank=True, help_text=_("The last day; empty: still in force.")
    )
    periods = models.JSONField(_("periods"), default=dict)
    verified = models.BooleanField(
        _("periods verified"),
        default=False,
        help_text=_("Whether the periods were checked against the regulation's text."),
    )
    note = models.TextField(_("note"), blank=True)

    objects = RuleSetQuerySet.as_manager()

    class Meta:
        verbose_name = _("Dublin rule set")
        verbose_name_plural = _("Dublin rule sets")
        ordering = ["valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["valid_from"], name="dublin_rules_start_once"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="dublin_rules_period",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class DublinRequest(FSMModelMixin, RequestWorkflow, models.Model):
    """A request to another Dublin state to take charge of or take back the applicant.

    Prepared with the day by which it must be sent (Dublin III art. 21(1), 23(2)), sent, then
    answered: accepted, refused (re-examination may be asked), or accepted by silence when the
    reply period ends (art. 22(7), 25(2)). Once accepted, the transfer is due within its period
    (art. 29): the police carry it out, or the period passes and Norway becomes responsible
    for examining the application (utlendingsloven § 32, utlendingsforskriften § 7-4).
    """

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="dublin_requests",
        verbose_name=_("application"),
    )
    member_state = CountryField(
        _("requested state"), help_text=_("The Dublin state asked to take responsibility.")
    )
    kind = models.CharField(_("kind"), max_length=12, choices=RequestKind.choices)
    legal_ground = models.CharField(_("legal ground"), max_length=12, choices=LegalGround.choices)
    eurodac_hit = models.BooleanField(_("Eurodac hit"), default=False)
    eurodac_hit_on = models.DateField(_("Eurodac hit received on"), null=True, blank=True)
    urgent = models.BooleanField(
        _("urgent reply asked"), default=False, help_text=_("Take charge only (art. 21(2)).")
    )
    their_reference = models.CharField(_("their reference"), max_length=60, blank=True)
    rule_set = models.ForeignKey(
        DublinRuleSet,
        on_delete=models.PROTECT,
        related_name="requests",
        editable=False,
        verbose_name=_("rules applied"),
    )
    request_due_at = models.DateTimeField(_("request due by"), editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True, editable=False)
    reply_due_at = models.DateTimeField(_("answer due by"), null=True, blank=True, editable=False)
    answered_at = models.DateTimeField(_("answered at"), null=True, blank=True, editable=False)
    implicit = models.BooleanField(_("accepted by silence"), default=False, editable=False)
    reason = models.TextField(_("reason"), blank=True, editable=False)
    transfer_from = models.DateTimeField(
        _("transfer period runs from"), null=True, blank=True, editable=False
    )
    transfer_extension = models.CharField(
        _("transfer deadline extended"),
        max_length=12,
        blank=True,
        default=TransferExtension.NONE,
        choices=TransferExtension.choices,
        editable=False,
    )
    transfer_suspended = models.BooleanField(
        _("transfer suspended during the appeal"), default=False, editable=False
    )
    transfer_due_at = models.DateTimeField(
        _("transfer due by"), null=True, blank=True, editable=False
    )
    transferred_at = models.DateTimeField(
        _("transferred at"), null=True, blank=True, editable=False
    )
    police_reference = models.CharField(
        _("police reference"), max_length=60, blank=True, editable=False
    )
    lapsed_at = models.DateTimeField(_("lapsed at"), null=True, blank=True, editable=False)
    state = FSMField(
        default=RequestState.PREPARED,
        choices=RequestState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("prepared by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))

    class Meta:
        verbose_name = _("Dublin request")
        verbose_name_plural = _("Dublin requests")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(eurodac_hit=False) | Q(eurodac_hit_on__isnull=False),
                name="dublin_eurodac_hit_dated",
            ),
        ]
        indexes = [
            models.Index(fields=["state", "reply_due_at"], name="dublin_reply_due_idx"),
            models.Index(fields=["state", "transfer_due_at"], name="dublin_transfer_due_idx"),
            models.Index(fields=["member_state", "state"], name="dublin_state_idx"),
        ]

    def __str__(self) -> str:
        return _("%(kind)s request to %(state)s") % {
            "kind": self.get_kind_display(),
            "state": self.member_state.name if self.member_state else "-",
        }

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"


class DublinStayRequest(FSMModelMixin, StayWorkflow, models.Model):
    """The applicant's request to stay in Norway while their appeal of a Dublin decision is
    heard (suspensive effect, utsatt iverksetting: Immigration Act § 90): lodged within 48
    hours of notification of the decision, decided by the appeals body in about six days.
    Granted, the transfer period runs from the final decision on the appeal (art. 29(1))."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="dublin_stay_requests",
        verbose_name=_("application"),
    )
    request = models.ForeignKey(
        DublinRequest,
        on_delete=models.PROTECT,
        related_name="stay_requests",
        verbose_name=_("Dublin request"),
    )
    lodged_at = models.DateTimeField(_("lodged at"))
    decision_due_at = models.DateTimeField(_("decision due by"), editable=False)
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    grounds = models.TextField(_("grounds"), blank=True, editable=False)
    state = FSMField(
        default=StayState.LODGED,
        choices=StayState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    lodged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))

    class Meta:
        verbose_name = _("request to stay during the appeal")
        verbose_name_plural = _("requests to stay during the appeal")
        ordering = ["-lodged_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(state=StayState.LODGED),
                name="dublin_one_open_stay_request",
            )
        ]

    def __str__(self) -> str:
        return str(_("request to stay during the appeal"))

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"
