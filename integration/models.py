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

from casework.applications.choices import Outcome
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

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="work_permits", verbose_name=_("person")
    )
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="work_permits",
        verbose_name=_("application"),
    )
    state = FSMField(
        default=WorkPermitState.REQUESTED,
        choices=WorkPermitState.choices,
        protected=True,
        db_index=True,
        verbose_name=_("state"),
    )
    requested_on = models.DateField(default=timezone.localdate, verbose_name=_("requested on"))
    interview_waiver_group = models.CharField(
        max_length=8,
        choices=InterviewWaiverGroup.choices,
        blank=True,
        default="",
        verbose_name=_("interview waiver group"),
    )
    valid_from = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("valid from")
    )
    valid_until = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("valid until")
    )
    lapses_at = models.DateTimeField(
        null=True,
        blank=True,
        editable=False,
        help_text=_("The departure deadline after a rejection: the permit lapses then."),
        verbose_name=_("lapses at"),
    )
    lapse_reason = models.CharField(
        max_length=200, blank=True, editable=False, verbose_name=_("lapse reason")
    )
    unmet_conditions = models.JSONField(
        default=list, blank=True, editable=False, verbose_name=_("unmet conditions")
    )
    grounds = models.TextField(blank=True, editable=False, verbose_name=_("grounds"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("decided at")
    )
    ended_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("ended at")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("work permit")
        verbose_name_plural = _("work permits")
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
        return _("work permit #%(n)s (%(state)s)") % {
            "n": self.pk,
            "state": self.get_state_display(),
        }


class WorkPermitPeriod(models.Model):
    """One validity period of a work permit: the first grant or a renewal."""

    permit = models.ForeignKey(
        WorkPermit, on_delete=models.CASCADE, related_name="periods", verbose_name=_("permit")
    )
    kind = models.CharField(max_length=8, choices=PeriodKind.choices, verbose_name=_("kind"))
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_until = models.DateField(verbose_name=_("valid until"))
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("granted by"),
    )
    granted_at = models.DateTimeField(default=timezone.now, verbose_name=_("granted at"))

    class Meta:
        verbose_name = _("work permit period")
        verbose_name_plural = _("work permit periods")
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
        Person,
        on_delete=models.PROTECT,
        related_name="sponsored_reunifications",
        verbose_name=_("sponsor"),
    )
    sponsor_basis = models.CharField(
        max_length=20, choices=SponsorBasis.choices, verbose_name=_("sponsor basis")
    )
    sponsor_application = models.ForeignKey(
        Application,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="family_reunifications",
        help_text=_("The sponsor's accepted protection application, when the basis is one."),
        verbose_name=_("sponsor application"),
    )
    protection_decided_on = models.DateField(
        null=True,
        blank=True,
        help_text=_("The date in the sponsor's protection decision letter."),
        verbose_name=_("protection decided on"),
    )
    protection_outcome = models.CharField(
        max_length=24, blank=True, choices=Outcome.choices, verbose_name=_("protection outcome")
    )
    sponsor_arrived_on = models.DateField(
        help_text=_("When the sponsor came to Norway."), verbose_name=_("sponsor arrived on")
    )
    applicant = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="family_reunifications",
        verbose_name=_("applicant"),
    )
    relation = models.CharField(
        max_length=12, choices=FamilyRelation.choices, verbose_name=_("relation")
    )
    relationship_since = models.DateField(
        null=True,
        blank=True,
        help_text=_("Married, registered or living together since (spouse, cohabitant)."),
        verbose_name=_("relationship since"),
    )
    exception_reason = models.TextField(blank=True, verbose_name=_("exception reason"))
    registered_on = models.DateField(default=timezone.localdate, verbose_name=_("registered on"))
    documents_handed_in_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("documents handed in on")
    )
    state = FSMField(
        default=FamilyState.SUBMITTED,
        choices=FamilyState.choices,
        protected=True,
        db_index=True,
        verbose_name=_("state"),
    )
    income_rule = models.CharField(
        max_length=8,
        choices=IncomeRule.choices,
        default=IncomeRule.APPLIES,
        editable=False,
        verbose_name=_("income rule"),
    )
    income_rule_reason = models.TextField(
        blank=True, editable=False, verbose_name=_("income rule reason")
    )
    registration_deadline = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("registration deadline")
    )
    documents_deadline = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("documents deadline")
    )
    age_rule_applies = models.BooleanField(
        default=False, editable=False, verbose_name=_("age rule applies")
    )
    grounds = models.TextField(blank=True, editable=False, verbose_name=_("grounds"))
    decided_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("decided at")
    )
    appeal_deadline = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("appeal deadline")
    )
    appealed_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("appealed at")
    )
    is_final = models.BooleanField(default=False, editable=False, verbose_name=_("is final"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("family reunification")
        verbose_name_plural = _("family reunifications")
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
        return _("family reunification #%(n)s (%(state)s)") % {
            "n": self.pk,
            "state": self.get_state_display(),
        }


class MunicipalityOfficer(models.Model):
    """An integration officer works for a municipality and sees the people settled there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="integration_posts",
        verbose_name=_("user"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="integration_officers",
        verbose_name=_("municipality"),
    )

    class Meta:
        verbose_name = _("municipality officer")
        verbose_name_plural = _("municipality officers")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "municipality"], name="unique_municipality_officer"
            )
        ]

    def __str__(self) -> str:
        return _("%(user)s at %(place)s") % {"user": self.user, "place": self.municipality}


class IntroductionProgramme(AuditSubjectMixin, FSMModelMixin, ProgrammeWorkflow, models.Model):
    """A settled person's introduction programme (introduksjonsprogram, Integration Act § 8).

    For people aged 18–55 at settlement with a qualifying permit, run by the municipality of
    settlement: up to 3 years, extendable by 1 year with a reason; elements with weekly
    hours; Norwegian tests; and the outcome at the end (work, education, other).
    """

    person = models.ForeignKey(
        Person,
        on_delete=models.PROTECT,
        related_name="introduction_programmes",
        verbose_name=_("person"),
    )
    settlement = models.ForeignKey(
        Settlement,
        on_delete=models.PROTECT,
        related_name="introduction_programmes",
        verbose_name=_("settlement"),
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="introduction_programmes",
        verbose_name=_("municipality"),
    )
    collective_protection = models.BooleanField(
        default=False,
        editable=False,
        help_text=_("Temporary rules of Integration Act ch. 6A (15 h/week work from month 4)."),
        verbose_name=_("collective protection"),
    )
    state = FSMField(
        default=ProgrammeState.ENROLLED,
        choices=ProgrammeState.choices,
        protected=True,
        db_index=True,
        verbose_name=_("state"),
    )
    enrolled_on = models.DateField(
        default=timezone.localdate, editable=False, verbose_name=_("enrolled on")
    )
    start_on = models.DateField(verbose_name=_("start on"))
    planned_end_on = models.DateField(verbose_name=_("planned end on"))
    extension_reason = models.TextField(
        blank=True, editable=False, verbose_name=_("extension reason")
    )
    outcome = models.CharField(
        max_length=10,
        choices=ProgrammeOutcome.choices,
        blank=True,
        editable=False,
        verbose_name=_("outcome"),
    )
    outcome_note = models.TextField(blank=True, editable=False, verbose_name=_("outcome note"))
    ended_on = models.DateField(null=True, blank=True, editable=False, verbose_name=_("ended on"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))

    class Meta:
        verbose_name = _("introduction programme")
        verbose_name_plural = _("introduction programmes")
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
        return _("introduction programme #%(n)s (%(state)s)") % {
            "n": self.pk,
            "state": self.get_state_display(),
        }


class ProgrammeElement(models.Model):
    """One element of the plan with its weekly hours, from a date (until a date, or the end).

    Norwegian training (in class or the digital course), social studies, or a work-oriented
    element (work placement, part-time work, vocational course, NAV measure).
    """

    programme = models.ForeignKey(
        IntroductionProgramme,
        on_delete=models.CASCADE,
        related_name="elements",
        verbose_name=_("programme"),
    )
    kind = models.CharField(
        max_length=20, choices=ProgrammeElementKind.choices, verbose_name=_("kind")
    )
    hours_per_week = models.DecimalField(
        max_digits=4, decimal_places=1, verbose_name=_("hours per week")
    )
    start_on = models.DateField(verbose_name=_("start on"))
    end_on = models.DateField(null=True, blank=True, verbose_name=_("end on"))
    provider = models.CharField(max_length=120, blank=True, verbose_name=_("provider"))

    class Meta:
        verbose_name = _("programme element")
        verbose_name_plural = _("programme elements")
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
        return _("%(kind)s %(hours)s h/week") % {
            "kind": self.get_kind_display(),
            "hours": self.hours_per_week,
        }


class NorwegianTest(models.Model):
    """A Norwegian test result on the CEFR scale (A1–C1), with the date it was taken."""

    programme = models.ForeignKey(
        IntroductionProgramme,
        on_delete=models.CASCADE,
        related_name="norwegian_tests",
        verbose_name=_("programme"),
    )
    taken_on = models.DateField(verbose_name=_("taken on"))
    skill = models.CharField(
        max_length=10,
        choices=TestSkill.choices,
        default="oral",
        verbose_name=_("skill"),
    )
    level = models.CharField(max_length=2, choices=CefrLevel.choices, verbose_name=_("level"))

    class Meta:
        verbose_name = _("Norwegian test")
        verbose_name_plural = _("Norwegian tests")
        ordering = ["taken_on", "id"]

    def __str__(self) -> str:
        taken = date_format(self.taken_on, "DATE_FORMAT")
        return f"{self.level} ({self.get_skill_display()}, {taken})"
