"""The return record: how a person obliged to leave Norway after a rejection leaves, or not.

One record per case, opened once the rejection's departure deadline runs
(``departure.py``; ``services.return_open``). Its state changes only through the declared
transitions of ``workflow.py``: assisted return applied for (before or after the departure
deadline, which decides the support), granted or refused by the Directorate and carried out
by IOM; forced return requested and carried out by the police (Immigration Act § 90); or the
person's whereabouts become unknown.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_fsm import FSMField, FSMModelMixin

from casework.returns.choices import ReturnState, ReturnType
from casework.returns.workflow import ReturnWorkflow


class Return(FSMModelMixin, ReturnWorkflow, models.Model):
    """A person's return after the rejection of their case (see the module)."""

    application = models.OneToOneField(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="return_record",
        verbose_name=_("application"),
    )
    person = models.ForeignKey(
        "casework.Person",
        on_delete=models.PROTECT,
        related_name="returns",
        verbose_name=_("person"),
    )
    state = FSMField(
        default=ReturnState.OBLIGED,
        choices=ReturnState.choices,
        protected=True,
        verbose_name=_("state"),
    )
    departure_deadline = models.DateTimeField(
        _("departure deadline"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The deadline in force when the return was opened or assisted return asked."),
    )
    applied_at = models.DateTimeField(
        _("assisted return applied for at"), null=True, blank=True, editable=False
    )
    applied_before_deadline = models.BooleanField(
        _("applied before the departure deadline"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The support for assisted return is higher when applied for in time."),
    )
    support_nok = models.PositiveIntegerField(
        _("reintegration support (NOK)"), null=True, blank=True, editable=False
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
    forced_requested_at = models.DateTimeField(
        _("forced return requested at"), null=True, blank=True, editable=False
    )
    destination = CountryField(_("destination"), blank=True, editable=False)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True, editable=False)
    ended_as = models.CharField(
        _("type of return"), max_length=10, choices=ReturnType.choices, blank=True, editable=False
    )
    reason = models.TextField(_("reason"), blank=True, editable=False)
    opened_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
        verbose_name=_("opened by"),
    )
    created_at = models.DateTimeField(_("created at"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))

    class Meta:
        verbose_name = _("return")
        verbose_name_plural = _("returns")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["state", "created_at"], name="return_state_idx"),
            models.Index(fields=["ended_at", "ended_as"], name="return_ended_idx"),
        ]

    def __str__(self) -> str:
        return _("return %(reference)s") % {"reference": self.application.display_reference}

    @property
    def audit_subject(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"
