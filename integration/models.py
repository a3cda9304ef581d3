"""Integration records: temporary work permits, family reunification, introduction programme.

Each record that has a lawful life (a work permit, a family member's application, a
programme) carries a protected ``state`` that only the transitions in ``workflow.py`` change,
and only through ``services.py``. Its history is in casework's audit events, tagged with the
record's ``audit_subject`` (``changes["subject"]``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from casework.audit.services import audit_subject
from casework.models import Application, Person
from reception.models import Municipality, Settlement

from .choices import (
    CefrLevel,
    FamilyRelation,
    FamilyState,
    IncomeRule,
    InterviewWaiverGroup,
    PeriodKind,
    ProgrammeElementKind,
    ProgrammeOutcome,
    ProgrammeState,
    SponsorBasis,
    TestSkill,
    WorkPermitState,
)
from .workflow import FamilyReunificationWorkflow, ProgrammeWorkflow, WorkPermitWorkflow

if TYPE_CHECKING:
    from django.db.models.options import Options


class AuditSubjectMixin:
    """The tag that ties casework audit events to this record (see ``services.audit``)."""

    if TYPE_CHECKING:  # mixed into models only
        _meta: ClassVar[Options[Any]]
        pk: int

    @property
    def audit_subject(self) -> str:
        return audit_subject(self)


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
        start = date_format(self.valid_from, "DATE_FORMAT")
        return f"{start}–{date_format(self.valid_until, 'DATE_FORMAT')}"


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


class MunicipalityOfficer(models.Model):
    """An integration officer works for a municipality and sees the people settled there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="integration_posts"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.CASCADE, related_name="integration_officers"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="unique_municipality_officer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} at {self.municipality}"


class IntroductionProgramme(AuditSubjectMixin, FSMModelMixin, ProgrammeWorkflow, models.Model):
    """A settled person's introduction programme (introduksjonsprogram, Integration Act § 8).

    For people aged 18–55 at settlement with a qualifying permit, run by the municipality of
    settlement: up to 3 years, extendable by 1 year with a reason; elements with weekly
    hours; Norwegian tests; and the outcome at the end (work, education, other).
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="introduction_programmes"
    )
    settlement = models.ForeignKey(
        Settlement, on_delete=models.PROTECT, related_name="introduction_programmes"
    )
    municipality = models.ForeignKey(
        Municipality, on_delete=models.PROTECT, related_name="introduction_programmes"
    )
    collective_protection = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Temporary rules of Integration Act ch. 6A (15 h/week work from month 4)."),
    )
    state = FSMField(
        default=ProgrammeState.ENROLLED,
        choices=ProgrammeState.choices,
        protected=True,
        db_index=True,
    )
    enrolled_on = models.DateField(default=timezone.localdate, editable=False)
    start_on = models.DateField()
    planned_end_on = models.DateField()
    extension_reason = models.TextField(blank=True, editable=False)
    outcome = models.CharField(
        max_length=10, choices=ProgrammeOutcome.choices, blank=True, editable=False
    )
    outcome_note = models.TextField(blank=True, editable=False)
    ended_on = models.DateField(null=True, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, related_name="+"
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        indexes = [models.Index(fields=["municipality", "state", "-start_on"])]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=models.Q(state="enrolled"),
                name="one_running_programme_per_person",
            ),
            models.CheckConstraint(
                condition=models.Q(planned_end_on__gt=models.F("start_on")),
                name="programme_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"introduction programme #{self.pk} ({self.get_state_display()})"


class ProgrammeElement(models.Model):
    """One element of the plan with its weekly hours, from a date (until a date, or the end).

    Norwegian training (in class or the digital course), social studies, or a work-oriented
    element (work placement, part-time work, vocational course, NAV measure).
    """

    programme = models.ForeignKey(
        IntroductionProgramme, on_delete=models.CASCADE, related_name="elements"
    )
    kind = models.CharField(max_length=20, choices=ProgrammeElementKind.choices)
    hours_per_week = models.DecimalField(max_digits=4, decimal_places=1)
    start_on = models.DateField()
    end_on = models.DateField(null=True, blank=True)
    provider = models.CharField(max_length=120, blank=True)

    class Meta:
        ordering = ["start_on", "id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hours_per_week__gt=0) & models.Q(hours_per_week__lte=40),
                name="element_hours_in_range",
            ),
            models.CheckConstraint(
                condition=models.Q(end_on__isnull=True)
                | models.Q(end_on__gte=models.F("start_on")),
                name="element_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.hours_per_week} h/week"


class NorwegianTest(models.Model):
    """A Norwegian test result on the CEFR scale (A1–C1), with the date it was taken."""

    programme = models.ForeignKey(
        IntroductionProgramme, on_delete=models.CASCADE, related_name="norwegian_tests"
    )
    taken_on = models.DateField()
    skill = models.CharField(
        max_length=10,
        choices=TestSkill.choices,
        default="oral",
    )
    level = models.CharField(max_length=2, choices=CefrLevel.choices)

    class Meta:
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        taken = date_format(self.taken_on, "DATE_FORMAT")
        return f"{self.level} ({self.get_skill_display()}, {taken})"
