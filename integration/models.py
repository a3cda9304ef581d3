"""Integration records: temporary work permits, family reunification, introduction programme.

Each record that has a lawful life (a work permit, a family member's application, a
programme) carries a protected ``state`` that only the transitions in ``workflow.py`` change,
and only through ``services.py``. Its history is in casework's audit events, tagged with the
record's ``audit_subject`` (``changes["subject"]``).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from casework.models import Application, Person

from .choices import (
    FamilyRelation,
    FamilyState,
    IncomeRule,
    InterviewWaiverGroup,
    PeriodKind,
    SponsorBasis,
    WorkPermitState,
)
from .workflow import FamilyReunificationWorkflow, WorkPermitWorkflow


class AuditSubjectMixin:
    """The tag that ties casework audit events to this record (see ``services.audit``)."""

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"


class WorkPermit(AuditSubjectMixin, FSMModelMixin, WorkPermitWorkflow, models.Model):
    """A temporary work permit for an asylum seeker (midlertidig arbeidstillatelse, § 94).

    Valid up to 6 months at a time and renewable while the application is undecided; each
    grant or renewal is a ``WorkPermitPeriod``. It lapses at the departure deadline after a
    final rejection (``lapses_at``, set from casework's transitions).
    """

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="work_permits")
    application = models.ForeignKey(
        Application, on_delete=models.PROTECT, related_name="work_permits"
    )
    state = FSMField(
        default=WorkPermitState.REQUESTED,
        choices=WorkPermitState.choices,
        protected=True,
        db_index=True,
    )
    requested_on = models.DateField(default=timezone.localdate)
    interview_waiver_group = models.CharField(
        max_length=8, choices=InterviewWaiverGroup.choices, blank=True, default=""
    )
    valid_from = models.DateField(null=True, blank=True, editable=False)
    valid_until = models.DateField(null=True, blank=True, editable=False)
    lapses_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("The departure deadline after a rejection: the permit lapses then."),
    )
    lapse_reason = models.CharField(max_length=200, blank=True, editable=False)
    unmet_conditions = models.JSONField(default=list, blank=True, editable=False)
    grounds = models.TextField(blank=True, editable=False)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    ended_at = models.DateTimeField(null=True, blank=True, editable=False)
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "valid_until"]),
            models.Index(fields=["state", "lapses_at"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=models.Q(state__in=["requested", "granted"]),
                name="one_open_work_permit_per_application",
            )
        ]

    def __str__(self) -> str:
        return f"work permit #{self.pk} ({self.get_state_display()})"


class WorkPermitPeriod(models.Model):
    """One validity period of a work permit: the first grant or a renewal."""

    permit = models.ForeignKey(WorkPermit, on_delete=models.CASCADE, related_name="periods")
    kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    valid_from = models.DateField()
    valid_until = models.DateField()
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["valid_from"]

    def __str__(self) -> str:
        return f"{self.valid_from:%d.%m.%Y}–{self.valid_until:%d.%m.%Y}"


class FamilyReunification(
    AuditSubjectMixin, FSMModelMixin, FamilyReunificationWorkflow, models.Model
):
    """One family member's application to join a sponsor in Norway (familiegjenforening).

    The sponsor (referanseperson) has protection or another residence permit. Each family
    member applies separately, with their own state. The record keeps which income-requirement
    rule applied and why (``income_rule``, ``income_rule_reason``), and whether the 24-year
    rule (Immigration Act § 41a) applies.
    """

    sponsor = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="sponsored_reunifications"
    )
    sponsor_basis = models.CharField(max_length=20, choices=SponsorBasis.choices)
    sponsor_application = models.ForeignKey(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="family_reunifications",
        help_text=_("The sponsor's accepted protection application, when the basis is one."),
    )
    protection_decided_on = models.DateField(
        null=True, blank=True, help_text=_("The date in the sponsor's protection decision letter.")
    )
    protection_outcome = models.CharField(max_length=24, blank=True)
    sponsor_arrived_on = models.DateField(help_text=_("When the sponsor came to Norway."))
    applicant = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="family_reunifications"
    )
    relation = models.CharField(max_length=12, choices=FamilyRelation.choices)
    relationship_since = models.DateField(
        null=True,
        blank=True,
        help_text=_("Married, registered or living together since (spouse, cohabitant)."),
    )
    exception_reason = models.TextField(blank=True)
    registered_on = models.DateField(default=timezone.localdate)
    documents_handed_in_on = models.DateField(null=True, blank=True, editable=False)
    state = FSMField(
        default=FamilyState.SUBMITTED, choices=FamilyState.choices, protected=True, db_index=True
    )
    income_rule = models.CharField(
        max_length=8, choices=IncomeRule.choices, default=IncomeRule.APPLIES, editable=False
    )
    income_rule_reason = models.TextField(blank=True, editable=False)
    registration_deadline = models.DateField(null=True, blank=True, editable=False)
    documents_deadline = models.DateField(null=True, blank=True, editable=False)
    age_rule_applies = models.BooleanField(default=False, editable=False)
    grounds = models.TextField(blank=True, editable=False)
    decided_at = models.DateTimeField(null=True, blank=True, editable=False)
    appeal_deadline = models.DateTimeField(null=True, blank=True, editable=False)
    appealed_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_final = models.BooleanField(default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [
            models.Index(fields=["state", "-registered_on"]),
            models.Index(fields=["sponsor", "state"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(sponsor=models.F("applicant")),
                name="sponsor_is_not_applicant",
            )
        ]

    def __str__(self) -> str:
        return f"family reunification #{self.pk} ({self.get_state_display()})"
