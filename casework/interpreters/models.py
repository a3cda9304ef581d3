"""The interpreter register and the bookings of interpreters for interviews and hearings.

An interpreter's time is held by each booking that is requested or confirmed; two such
bookings of one interpreter never overlap (``services.booking_request`` checks under a row
lock on the interpreter, and on PostgreSQL an exclusion constraint over
``tstzrange(starts_at, ends_at, '[)')`` holds it in the database too: migration 0023). A
booking's state changes only through ``workflow.py``'s transitions.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin

from casework.interpreters.choices import (
    BookingState,
    InterpreterGender,
    Qualification,
    SessionKind,
)
from casework.interpreters.workflow import BookingWorkflow
from casework.people.choices import SpokenLanguage


class Interpreter(models.Model):
    """An interpreter of the national register (Nasjonalt tolkeregister) the authority books.

    The Interpreting Act (tolkeloven, in force 1 January 2022) obliges a public body to use a
    qualified interpreter where one is needed for legal protection; the register grades each
    interpreter's languages A to E (``InterpreterLanguage.qualification``). An inactive
    interpreter stays for the bookings they had but is offered for no new one.
    """

    name = models.CharField(_("name"), max_length=160)
    gender = models.CharField(_("gender"), max_length=8, choices=InterpreterGender.choices)
    region = models.CharField(
        _("region"), max_length=80, help_text=_("Where the interpreter works (Oslo, Trondheim…).")
    )
    register_number = models.CharField(
        _("number in the national register"), max_length=20, blank=True
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=32, blank=True)
    remote = models.BooleanField(
        _("interprets remotely"), default=False, help_text=_("By video or telephone.")
    )
    active = models.BooleanField(_("active"), default=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("interpreter")
        verbose_name_plural = _("interpreters")
        ordering = ["name", "id"]
        indexes = [models.Index(fields=["active", "name"], name="interpreter_active_name_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"


class InterpreterLanguage(models.Model):
    """A language an interpreter is registered for, the dialects they cover and the register's
    category for that language (an interpreter may be A in Arabic and E in Tigrinya)."""

    interpreter = models.ForeignKey(
        Interpreter,
        on_delete=models.CASCADE,
        related_name="languages",
        verbose_name=_("interpreter"),
    )
    language = models.CharField(_("language"), max_length=8, choices=SpokenLanguage.choices)
    dialects = models.CharField(
        _("dialects"),
        max_length=200,
        blank=True,
        help_text=_("Comma separated, as people name them (Herati, Kabuli)."),
    )
    qualification = models.CharField(
        _("qualification category"), max_length=1, choices=Qualification.choices
    )

    class Meta:
        verbose_name = _("interpreter language")
        verbose_name_plural = _("interpreter languages")
        ordering = ["qualification", "language"]
        constraints = [
            models.UniqueConstraint(
                fields=["interpreter", "language"], name="interpreter_language_once"
            )
        ]
        indexes = [models.Index(fields=["language", "qualification"], name="interp_lang_idx")]

    def __str__(self) -> str:
        return f"{self.get_language_display()} ({self.qualification})"

    @property
    def dialect_list(self) -> list[str]:
        return [d.strip() for d in self.dialects.split(",") if d.strip()]


class InterpreterBooking(FSMModelMixin, BookingWorkflow, models.Model):
    """An interpreter booked for an asylum interview or an appeal board hearing, in the
    language and dialect the applicant needs. The state changes only through transitions."""

    interpreter = models.ForeignKey(
        Interpreter,
        on_delete=models.PROTECT,
        related_name="bookings",
        verbose_name=_("interpreter"),
    )
    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="interpreter_bookings",
        verbose_name=_("application"),
    )
    kind = models.CharField(_("for"), max_length=10, choices=SessionKind.choices)
    interview = models.ForeignKey(
        "casework.Interview",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interpreter_bookings",
        verbose_name=_("interview"),
    )
    appeal = models.ForeignKey(
        "casework.Appeal",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interpreter_bookings",
        verbose_name=_("appeal"),
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    location = models.CharField(_("place"), max_length=200)
    language = models.CharField(_("language"), max_length=8, choices=SpokenLanguage.choices)
    dialect = models.CharField(_("dialect"), max_length=80, blank=True)
    state = FSMField(
        default=BookingState.REQUESTED,
        choices=BookingState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    reason = models.TextField(_("reason"), blank=True, editable=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("requested by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)

    class Meta:
        verbose_name = _("interpreter booking")
        verbose_name_plural = _("interpreter bookings")
        ordering = ["starts_at", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=F("starts_at")), name="booking_ends_after_start"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind=SessionKind.INTERVIEW, interview__isnull=False, appeal__isnull=True)
                    | Q(kind=SessionKind.HEARING, appeal__isnull=False, interview__isnull=True)
                ),
                name="booking_for_one_session",
            ),
        ]
        indexes = [
            models.Index(fields=["interpreter", "starts_at"], name="booking_interp_start_idx"),
            models.Index(fields=["starts_at"], name="booking_start_idx"),
        ]

    def __str__(self) -> str:
        at = date_format(timezone.localtime(self.starts_at), "DATETIME_FORMAT")
        return _("interpreter %(at)s") % {"at": at}

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"
