"""Lawyers, duty lists, appointments on cases, and minors' representatives.

Written only through ``casework.lawyers.services``; the guards of an appointment (who gets a
free lawyer, and when) are in ``casework.lawyers.rules``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.lawyers.choices import AppointmentReason, DutyListKind, Region


class Lawyer(models.Model):
    """A lawyer in the Directorate's register (advokatordningen): who may be appointed as a
    free lawyer in asylum cases, on which duty lists, and whether still active.

    ``user``: the lawyer's own sign-in, when they use the system (the ``Lawyer`` role sees
    only the cases of their clients)."""

    name = models.CharField(max_length=120, verbose_name=_("name"))
    firm = models.CharField(max_length=160, blank=True, verbose_name=_("law firm"))
    bar_number = models.CharField(
        max_length=20,
        unique=True,
        verbose_name=_("bar number"),
        help_text=_("The number of the lawyer's licence (advokatbevilling)."),
    )
    region = models.CharField(max_length=8, choices=Region.choices, verbose_name=_("region"))
    email = models.EmailField(blank=True, verbose_name=_("e-mail"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))
    active = models.BooleanField(default=True, verbose_name=_("active"))
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="lawyer",
        verbose_name=_("user"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("lawyer")
        verbose_name_plural = _("lawyers")
        ordering = ["name", "pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.firm})" if self.firm else self.name


class DutyList(models.Model):
    """An on-call list of lawyers (vaktordning) for one kind of case in one region; it offers
    the next lawyer in turn (``duty_list_offer``) and remembers whose turn was last."""

    kind = models.CharField(max_length=10, choices=DutyListKind.choices, verbose_name=_("kind"))
    region = models.CharField(max_length=8, choices=Region.choices, verbose_name=_("region"))
    lawyers: models.ManyToManyField[Lawyer, DutyListMember] = models.ManyToManyField(
        Lawyer,
        through="DutyListMember",
        related_name="duty_lists",
        verbose_name=_("lawyers"),
    )
    last_position = models.PositiveIntegerField(
        default=0, editable=False, verbose_name=_("last position offered")
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))

    class Meta:
        verbose_name = _("duty list")
        verbose_name_plural = _("duty lists")
        ordering = ["kind", "region"]
        constraints = [
            models.UniqueConstraint(fields=["kind", "region"], name="lawyers_dutylist_kind_region")
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}, {self.get_region_display()}"


class DutyListMember(models.Model):
    """A lawyer's place on a duty list; the list offers its lawyers in ``position`` order."""

    duty_list = models.ForeignKey(
        DutyList, on_delete=models.CASCADE, related_name="members", verbose_name=_("duty list")
    )
    lawyer = models.ForeignKey(
        Lawyer, on_delete=models.CASCADE, related_name="duty_places", verbose_name=_("lawyer")
    )
    position = models.PositiveIntegerField(verbose_name=_("position"))

    class Meta:
        verbose_name = _("duty list member")
        verbose_name_plural = _("duty list members")
        ordering = ["duty_list", "position"]
        constraints = [
            models.UniqueConstraint(fields=["duty_list", "lawyer"], name="lawyers_member_once"),
            models.UniqueConstraint(
                fields=["duty_list", "position"], name="lawyers_member_position"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.duty_list}: {self.position}. {self.lawyer}"


class Appointment(models.Model):
    """A lawyer acting for the applicant on one case, from a day to a day, and why.

    One current appointment per case (a database rule): a change of lawyer ends the current
    one with a reason and starts the next (``appointment_change``). The lawyer of the current
    appointment sees the case (``casework.privacy.scopes``)."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="lawyer_appointments",
        verbose_name=_("application"),
    )
    lawyer = models.ForeignKey(
        Lawyer, on_delete=models.PROTECT, related_name="appointments", verbose_name=_("lawyer")
    )
    reason = models.CharField(
        max_length=10, choices=AppointmentReason.choices, verbose_name=_("reason")
    )
    free = models.BooleanField(
        default=True,
        verbose_name=_("free legal aid"),
        help_text=_("Paid by the state without means testing (fritt rettsråd)."),
    )
    basis = models.TextField(
        blank=True,
        verbose_name=_("basis"),
        help_text=_("Why the rule applies: the exclusion ground considered, for example."),
    )
    duty_list = models.ForeignKey(
        DutyList,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="appointments",
        verbose_name=_("duty list"),
    )
    starts_on = models.DateField(default=timezone.localdate, verbose_name=_("from"))
    ends_on = models.DateField(null=True, blank=True, verbose_name=_("to"))
    end_reason = models.TextField(blank=True, verbose_name=_("end reason"))
    appointed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("appointed by"),
    )
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("lawyer appointment")
        verbose_name_plural = _("lawyer appointments")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["application"],
                condition=Q(ends_on__isnull=True),
                name="lawyers_one_current_appointment",
            )
        ]
        indexes = [models.Index(fields=["lawyer", "ends_on"], name="lawyers_appt_lawyer_idx")]

    def __str__(self) -> str:
        return f"{self.lawyer}: {self.get_reason_display()}"

    @property
    def current(self) -> bool:
        return self.ends_on is None


class Representative(models.Model):
    """The representative (verge) of an unaccompanied minor, appointed by the County Governor
    (Statsforvalteren; Immigration Act § 98 a): attends registration and interviews, is told
    of each interview, and is recorded as present."""

    person = models.ForeignKey(
        "casework.Person",
        on_delete=models.PROTECT,
        related_name="representatives",
        verbose_name=_("person"),
    )
    name = models.CharField(max_length=120, verbose_name=_("name"))
    email = models.EmailField(blank=True, verbose_name=_("e-mail"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))
    appointed_by = models.CharField(
        max_length=120,
        verbose_name=_("appointed by"),
        help_text=_("The County Governor's office that appointed the representative."),
    )
    starts_on = models.DateField(default=timezone.localdate, verbose_name=_("from"))
    ends_on = models.DateField(null=True, blank=True, verbose_name=_("to"))
    end_reason = models.TextField(blank=True, verbose_name=_("end reason"))
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("representative")
        verbose_name_plural = _("representatives")
        ordering = ["-starts_on", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"],
                condition=Q(ends_on__isnull=True),
                name="lawyers_one_current_representative",
            )
        ]

    def __str__(self) -> str:
        return self.name
