"""The yearly resettlement quota and UNHCR's referrals counted against it.

A referral's state changes only through ``workflow.py``'s transitions. A place of a year's
quota is taken when a referral is selected and stays taken when the refugee arrives; it goes
back when a selected referral is withdrawn. ``ResettlementQuota.taken`` is that count, kept
under the quota row's lock (``records.py``); a check constraint keeps it within ``places``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from casework.resettlement.choices import Priority, ReferralState, SelectionMethod
from casework.resettlement.workflow import ReferralWorkflow


class ResettlementQuota(models.Model):
    """How many resettlement refugees (overføringsflyktninger) Norway takes in a year.

    Immigration Act § 35: the number is set each year by the Storting in the state budget;
    the Directorate selects within it among UNHCR's referrals. ``source`` says where the
    figure comes from, and ``verified`` whether it was checked against that source (the
    article's 3,000 a year held from 2019 to 2023 [S]; 2024 had 1,000 plus 247 carried over
    and 2025 had 500 [V]). ``taken``: places taken by selected and arrived referrals.
    """

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    places = models.PositiveIntegerField(_("places"))
    taken = models.PositiveIntegerField(_("places taken"), default=0, editable=False)
    source = models.CharField(
        _("source"),
        max_length=300,
        blank=True,
        help_text=_("Where the figure comes from (the budget, a decision of the Storting)."),
    )
    verified = models.BooleanField(
        _("verified"), default=False, help_text=_("Checked against its source.")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("resettlement quota")
        verbose_name_plural = _("resettlement quotas")
        ordering = ["-year"]
        constraints = [
            models.CheckConstraint(
                condition=Q(taken__lte=F("places")), name="resettlement_quota_not_over"
            )
        ]

    def __str__(self) -> str:
        return _("%(year)s: %(places)s places") % {"year": self.year, "places": self.places}

    @property
    def remaining(self) -> int:
        return max(self.places - self.taken, 0)

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"


class ResettlementReferral(FSMModelMixin, ReferralWorkflow, models.Model):
    """A refugee UNHCR referred to Norway for resettlement (Immigration Act § 35).

    The refugee is registered as a person when the referral is registered (their
    registration number begins with that year), so the referral, the selection and the
    case opened on arrival all belong to one person. The state changes only through
    transitions.
    """

    person = models.ForeignKey(
        "casework.Person",
        on_delete=models.PROTECT,
        related_name="resettlement_referrals",
        verbose_name=_("person"),
    )
    unhcr_reference = models.CharField(
        _("UNHCR reference"),
        max_length=40,
        blank=True,
        help_text=_("UNHCR's case number of the referral (its Resettlement Registration Form)."),
    )
    referral_date = models.DateField(_("referral date"))
    priority = models.CharField(
        _("priority"), max_length=10, choices=Priority.choices, default=Priority.NORMAL
    )
    selection_method = models.CharField(
        _("selection"), max_length=10, choices=SelectionMethod.choices, blank=True
    )
    unit = models.ForeignKey(
        "casework.Unit",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("unit"),
    )
    state = FSMField(
        default=ReferralState.REFERRED,
        choices=ReferralState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    quota_year = models.PositiveSmallIntegerField(
        _("quota year"), null=True, blank=True, editable=False
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("decided by"),
    )
    decision_reason = models.TextField(_("grounds"), blank=True, editable=False)
    arrived_on = models.DateField(_("arrived on"), null=True, blank=True, editable=False)
    application = models.OneToOneField(
        "casework.Application",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="resettlement_referral",
        editable=False,
        verbose_name=_("case"),
    )
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("registered by"),
    )
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("UNHCR referral")
        verbose_name_plural = _("UNHCR referrals")
        ordering = ["-referral_date", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["unhcr_reference"],
                condition=~Q(unhcr_reference=""),
                name="unhcr_reference_once",
            ),
            models.CheckConstraint(
                condition=Q(state__in=["selected", "arrived"], quota_year__isnull=False)
                | ~Q(state__in=["selected", "arrived"]),
                name="referral_place_has_year",
            ),
        ]
        indexes = [
            models.Index(fields=["quota_year", "state"], name="referral_quota_state_idx"),
            models.Index(fields=["state", "referral_date"], name="referral_state_date_idx"),
        ]

    def __str__(self) -> str:
        return self.unhcr_reference or _("referral %(id)s") % {"id": self.pk}

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"
