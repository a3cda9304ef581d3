"""Asylum applications and what happens to them: interviews, decisions, appeals.

The state changes only through ``casework.applications.services`` (the transitions of
``workflow.py``); the state field is read-only everywhere else.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from casework.applications.choices import (
    AppealOutcome,
    ApplicationKind,
    Instance,
    NotificationChannel,
    Outcome,
    State,
    Track,
)
from casework.applications.workflow import ApplicationWorkflow
from casework.audit.history import IndexedHistoricalRecords
from casework.people.choices import SpokenLanguage
from casework.people.identity import format_reference, new_reference


class Application(FSMModelMixin, ApplicationWorkflow, models.Model):
    """An asylum application and where it stands. The state changes only through transitions."""

    # unique and indexed through Meta, not the field: see IndexedHistoricalRecords
    reference = models.CharField(
        max_length=10, default=new_reference, editable=False, verbose_name=_("reference")
    )
    person = models.ForeignKey(
        "casework.Person",
        on_delete=models.PROTECT,
        related_name="applications",
        verbose_name=_("person"),
    )
    kind = models.CharField(max_length=16, choices=ApplicationKind.choices, verbose_name=_("kind"))
    track = models.CharField(
        max_length=8, choices=Track.choices, default=Track.NORMAL, verbose_name=_("track")
    )
    state = FSMField(
        default=State.SUBMITTED, choices=State.choices, protected=True, verbose_name=_("state")
    )
    unit = models.ForeignKey(
        "casework.Unit", null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("unit")
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="assigned_applications",
        verbose_name=_("assigned to"),
    )
    lodged_on = models.DateField(default=timezone.localdate, verbose_name=_("lodged on"))
    interview_held_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("interview held at")
    )
    interview_waived_reason = models.TextField(
        blank=True, verbose_name=_("interview waived reason")
    )
    decided_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("decided at")
    )
    # When the current decision reached the applicant or their lawyer: empty while it is being
    # delivered (the appeal deadline runs from it, Public Administration Act § 29).
    notified_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("decision notified at")
    )
    appeal_deadline = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("appeal deadline")
    )
    appealed_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("appealed at")
    )
    is_final = models.BooleanField(default=False, editable=False, verbose_name=_("is final"))
    # On hold (berostilt): the state it left and goes back to, why, and when the unit looks at
    # it again (``ApplicationWorkflow.put_on_hold``); empty when it is not on hold.
    held_from = models.CharField(
        max_length=16,
        choices=State.choices,
        blank=True,
        editable=False,
        verbose_name=_("on hold from"),
    )
    hold_reason = models.TextField(
        blank=True, editable=False, verbose_name=_("reason for the hold")
    )
    hold_review_on = models.DateField(
        null=True, blank=True, editable=False, verbose_name=_("hold review date")
    )
    # When the pending request to reverse the final rejection was lodged (Public
    # Administration Act § 35 [U]); empty when none is pending. It stops no deadline.
    reversal_requested_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("reversal requested at")
    )
    next_deadline = models.DateTimeField(
        null=True, blank=True, editable=False, db_index=True, verbose_name=_("next deadline")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    external_id = models.CharField(
        max_length=64, blank=True, null=True, verbose_name=_("external id")
    )
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    updated_at = models.DateTimeField(auto_now=True, verbose_name=_("updated at"))
    history = IndexedHistoricalRecords(
        excluded_fields=["updated_at", "next_deadline", "version"],
        indexes=(
            models.Index(fields=["reference"], name="hist_app_reference_idx"),
            models.Index(fields=["external_id"], name="hist_app_external_id_idx"),
            models.Index(fields=["state"], name="hist_app_state_idx"),
        ),
    )
    # Set by ``casework.status.selectors.application_for_applicant`` on the case it loads: the
    # next interview, read in the same query (absent on a case loaded any other way).
    status_interview_at: dt.datetime | None
    status_interview_place: str | None
    status_interview_interpreter: bool | None
    status_waiting_figures: tuple[int | None, int]  # (expected days, cases ahead)
    status_residence_rows: dict[str, tuple[object, ...]]  # casework.status.hooks providers' rows

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        constraints = [
            models.UniqueConstraint(
                fields=["reference"], name="casework_application_reference_key"
            ),
            models.UniqueConstraint(
                fields=["external_id"], name="casework_application_external_id_key"
            ),
        ]
        indexes = [
            models.Index(fields=["state"], name="application_state_idx"),
            models.Index(fields=["assigned_to", "state", "-lodged_on"]),
            models.Index(fields=["kind", "track", "state", "lodged_on"]),
            models.Index(fields=["-lodged_on", "-id"]),
        ]

    def __str__(self) -> str:
        return format_reference(self.reference)

    @property
    def display_reference(self) -> str:
        return format_reference(self.reference)


class Interview(models.Model):
    """The asylum interview (asylintervju): scheduled, then held, with interpreter and lawyer."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.CASCADE,
        related_name="interviews",
        verbose_name=_("application"),
    )
    scheduled_at = models.DateTimeField(verbose_name=_("scheduled at"))
    location = models.CharField(max_length=200, verbose_name=_("location"))
    language = models.CharField(
        _("language of the interview"), max_length=8, choices=SpokenLanguage.choices
    )
    interpreter = models.BooleanField(_("interpreter booked"), default=True)
    lawyer_present = models.BooleanField(default=False, verbose_name=_("lawyer present"))
    # Who attended, from the register (``lawyer_present`` stays for interviews recorded before).
    lawyer = models.ForeignKey(
        "casework.Lawyer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interviews",
        verbose_name=_("lawyer"),
    )
    representative = models.ForeignKey(
        "casework.Representative",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interviews",
        verbose_name=_("representative present"),
    )
    held_at = models.DateTimeField(null=True, blank=True, verbose_name=_("held at"))
    cancelled = models.BooleanField(default=False, verbose_name=_("cancelled"))

    class Meta:
        verbose_name = _("interview")
        verbose_name_plural = _("interviews")
        ordering = ["scheduled_at"]

    def __str__(self) -> str:
        at = date_format(timezone.localtime(self.scheduled_at), "DATETIME_FORMAT")
        return _("interview %(at)s") % {"at": at}


class Decision(models.Model):
    """A decision on an application, at first instance or on appeal."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="decisions",
        verbose_name=_("application"),
    )
    instance = models.CharField(max_length=8, choices=Instance.choices, verbose_name=_("instance"))
    outcome = models.CharField(
        max_length=24, choices=Outcome.choices, db_index=True, verbose_name=_("outcome")
    )
    grounds = models.TextField(verbose_name=_("grounds"))
    manifestly_unfounded = models.BooleanField(
        default=False, verbose_name=_("manifestly unfounded")
    )
    permit_type = models.CharField(max_length=60, blank=True, verbose_name=_("permit type"))
    permit_months = models.PositiveSmallIntegerField(
        null=True, blank=True, verbose_name=_("permit months")
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.PROTECT, verbose_name=_("decided by")
    )
    decided_at = models.DateTimeField(
        default=timezone.now, db_index=True, verbose_name=_("decided at")
    )
    # Delivery (``ApplicationWorkflow.record_notification``): when the decision reached the
    # applicant or their lawyer, by which channel, and who confirmed it: the channel's receipt,
    # or the person named by the staff user who recorded it.
    notified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("notified at"))
    notification_channel = models.CharField(
        max_length=12,
        choices=NotificationChannel.choices,
        blank=True,
        verbose_name=_("notification channel"),
    )
    notification_receipt = models.CharField(
        max_length=200, blank=True, verbose_name=_("receipt of the channel")
    )
    notification_confirmed_by = models.CharField(
        max_length=200, blank=True, verbose_name=_("delivery confirmed by (name and role)")
    )
    notification_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("delivery recorded by"),
    )
    # Delivered to the applicant's appointed lawyer (the lawyer channel): the lawyer of the
    # case's current appointment, from the register. Public Administration Act § 29 with
    # § 12: a decision that reached the party's lawyer has reached the party.
    notification_lawyer = models.ForeignKey(
        "casework.Lawyer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("delivered to the lawyer"),
    )

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        ordering = ["decided_at"]
        indexes = [models.Index(fields=["instance", "decided_at", "outcome"])]

    def __str__(self) -> str:
        return f"{self.get_instance_display()}: {self.get_outcome_display()}"


class Appeal(models.Model):
    """An appeal against a rejection, to the appeals body (Utlendingsnemnda, UNE)."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("application"),
    )
    lodged_at = models.DateTimeField(verbose_name=_("lodged at"))
    lodged_by = models.CharField(
        max_length=120, help_text=_("the applicant, or their lawyer"), verbose_name=_("lodged by")
    )
    # The lawyer from the register who lodged it; ``lodged_by`` keeps the name as written (and
    # the free text of appeals lodged before the register).
    lawyer = models.ForeignKey(
        "casework.Lawyer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="appeals",
        verbose_name=_("lawyer"),
    )
    late_reason = models.TextField(blank=True, verbose_name=_("late reason"))
    outcome = models.CharField(
        max_length=10, choices=AppealOutcome.choices, blank=True, verbose_name=_("outcome")
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        ordering = ["lodged_at"]

    def __str__(self) -> str:
        on = date_format(timezone.localtime(self.lodged_at), "DATE_FORMAT")
        return _("appeal lodged %(on)s") % {"on": on}
