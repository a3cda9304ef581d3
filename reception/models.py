"""Reception: counties and municipalities over time, centres, placements, settlement and quotas.

Geography is dated. Norway's counties were merged in 2020 (19 -> 11) and three of the merged
ones split again on 1 January 2024 (Viken -> Østfold, Akershus, Buskerud; Vestfold og
Telemark -> Vestfold, Telemark; Troms og Finnmark -> Troms, Finnmark). A municipality's county
and its number (kommunenummer) are therefore kept per period (``MunicipalityCounty``), so a
report for any year counts each placement in the county it was in on that date.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from casework.models import Application, Person
from casework.vulnerability.choices import accommodation_labels, validate_accommodation

from .choices import CentreKind, DischargeReason, OperatorKind, PlacementEnd

if TYPE_CHECKING:
    from django.contrib.auth.models import User


class DatedQuerySet(models.QuerySet):
    def valid_on(self, day: dt.date) -> DatedQuerySet:
        """Rows valid on ``day`` (``valid_to`` is the last day of validity, inclusive)."""
        return self.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)


class County(models.Model):
    """A county (fylke) as it existed from ``valid_from`` to ``valid_to`` (inclusive).

    A county that was split or merged has ``successors``: Viken (2020-2023) has Østfold,
    Akershus and Buskerud. The number is the ISO 3166-2 ``NO-xx`` code and the first two digits
    of its municipalities' numbers (SSB classification 104).
    """

    code = models.CharField(max_length=2, verbose_name=_("code"))
    name = models.CharField(max_length=60, verbose_name=_("name"))
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(
        null=True,
        blank=True,
        help_text=_("Last day; empty if current."),
        verbose_name=_("valid to"),
    )
    successors = models.ManyToManyField(
        "self",
        symmetrical=False,
        related_name="predecessors",
        blank=True,
        verbose_name=_("successors"),
    )

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("county")
        verbose_name_plural = _("counties")
        ordering = ["code", "valid_from"]
        constraints = [
            models.UniqueConstraint(fields=["code", "valid_from"], name="county_code_period"),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="county_valid_period",
            ),
        ]

    def __str__(self) -> str:
        if self.valid_to:
            return f"{self.name} ({self.valid_from.year}-{self.valid_to.year})"
        return self.name

    def is_valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_to is None or day <= self.valid_to)


class Municipality(models.Model):
    """A municipality (kommune). Its county and number over time are in ``MunicipalityCounty``.

    ``number`` is the current kommunenummer, kept for lookups; historical numbers are on the
    periods (Råde was 3017 in Viken and is 3112 in Østfold since 2024).
    """

    name = models.CharField(max_length=80, verbose_name=_("name"))
    number = models.CharField(
        max_length=4, unique=True, help_text=_("Current kommunenummer."), verbose_name=_("number")
    )
    counties: models.ManyToManyField[County, MunicipalityCounty] = models.ManyToManyField(
        County,
        through="MunicipalityCounty",
        related_name="municipalities",
        verbose_name=_("counties"),
    )

    class Meta:
        verbose_name = _("municipality")
        verbose_name_plural = _("municipalities")
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.number})"

    def county_on(self, day: dt.date) -> County | None:
        period = (
            self.periods.select_related("county")
            .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day), valid_from__lte=day)
            .first()
        )
        return period.county if period else None


class MunicipalityCounty(models.Model):
    """The county a municipality belonged to, and its number, during one period."""

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="periods",
        verbose_name=_("municipality"),
    )
    county = models.ForeignKey(
        County, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("county")
    )
    number = models.CharField(
        max_length=4, help_text=_("The kommunenummer in this period."), verbose_name=_("number")
    )
    valid_from = models.DateField(verbose_name=_("valid from"))
    valid_to = models.DateField(null=True, blank=True, verbose_name=_("valid to"))

    objects = DatedQuerySet.as_manager()

    class Meta:
        verbose_name = _("municipality county period")
        verbose_name_plural = _("municipality county periods")
        ordering = ["municipality", "valid_from"]
        constraints = [
            models.UniqueConstraint(
                fields=["municipality", "valid_from"], name="one_county_per_period_start"
            ),
            models.CheckConstraint(
                condition=Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="municipality_county_valid_period",
            ),
        ]
        indexes = [models.Index(fields=["county", "valid_from"])]

    def __str__(self) -> str:
        return _("%(number)s in %(county)s") % {"number": self.number, "county": self.county}


class MunicipalityQuota(models.Model):
    """How many refugees a municipality agreed to settle in a year (IMDi's request, bosetting).

    Settlement is voluntary for the municipality: its council decides how many, IMDi assigns
    the people (imdi.no "Kommunens vedtak og planlegging").
    """

    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.CASCADE,
        related_name="quotas",
        verbose_name=_("municipality"),
    )
    year = models.PositiveSmallIntegerField(verbose_name=_("year"))
    places = models.PositiveIntegerField(verbose_name=_("places"))
    unaccompanied_minor_places = models.PositiveIntegerField(
        default=0, verbose_name=_("unaccompanied minor places")
    )

    class Meta:
        verbose_name = _("municipality quota")
        verbose_name_plural = _("municipality quotas")
        ordering = ["-year", "municipality"]
        constraints = [
            models.UniqueConstraint(fields=["municipality", "year"], name="one_quota_per_year")
        ]

    def __str__(self) -> str:
        return f"{self.municipality.name} {self.year}: {self.places}"


class Settlement(models.Model):
    """A person granted protection is settled (bosatt) in a municipality.

    Target: within 6 months of the permit, 3 months for unaccompanied minors (IMDi, via KS);
    the target is a deadline opened when the application is accepted and closed here.
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="settlements", verbose_name=_("person")
    )
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="settlements",
        verbose_name=_("municipality"),
    )
    settled_on = models.DateField(verbose_name=_("settled on"))
    application = models.ForeignKey(
        Application,
        on_delete=models.PROTECT,
        related_name="settlements",
        help_text=_("The application whose permit gives the right to settlement."),
        verbose_name=_("application"),
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("recorded by"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        ordering = ["-settled_on"]
        constraints = [
            models.UniqueConstraint(fields=["application"], name="one_settlement_per_application")
        ]
        indexes = [
            models.Index(fields=["municipality", "settled_on"]),
            # The settlements list, newest first: a page read off the index, not a sort of all.
            models.Index(fields=["settled_on"], name="settlement_settled_on"),
        ]

    def __str__(self) -> str:
        return _("settled in %(municipality)s on %(on)s") % {
            "municipality": self.municipality.name,
            "on": date_format(self.settled_on, "DATE_FORMAT"),
        }


class CentreQuerySet(models.QuerySet["ReceptionCentre"]):
    def open_on(self, day: dt.date) -> CentreQuerySet:
        return self.filter(Q(closed_on__isnull=True) | Q(closed_on__gt=day), opened_on__lte=day)


class ReceptionCentre(models.Model):
    """A reception centre (asylmottak): run by an operator under contract with UDI."""

    name = models.CharField(max_length=120, verbose_name=_("name"))
    kind = models.CharField(
        max_length=16, choices=CentreKind.choices, db_index=True, verbose_name=_("kind")
    )
    operator_kind = models.CharField(
        max_length=12, choices=OperatorKind.choices, verbose_name=_("operator kind")
    )
    operator_name = models.CharField(max_length=120, verbose_name=_("operator name"))
    municipality = models.ForeignKey(
        Municipality,
        on_delete=models.PROTECT,
        related_name="centres",
        verbose_name=_("municipality"),
    )
    capacity = models.PositiveIntegerField(
        help_text=_("Number of beds."), verbose_name=_("capacity")
    )
    opened_on = models.DateField(verbose_name=_("opened on"))
    closed_on = models.DateField(null=True, blank=True, verbose_name=_("closed on"))
    accommodation = models.CharField(
        max_length=200,
        blank=True,
        default="",
        validators=[validate_accommodation],
        verbose_name=_("accommodation offered"),
        help_text=_(
            "What the centre can offer residents with special needs (ground floor, single "
            "rooms, staff at night, ...): a person whose needs require more is not placed here."
        ),
    )
    staff: models.ManyToManyField[User, CentreStaff] = models.ManyToManyField(
        settings.AUTH_USER_MODEL,
        through="CentreStaff",
        related_name="reception_centres",
        blank=True,
        verbose_name=_("staff"),
    )

    objects = CentreQuerySet.as_manager()

    class Meta:
        verbose_name = _("reception centre")
        verbose_name_plural = _("reception centres")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=F("opened_on")),
                name="centre_open_before_close",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def accommodation_display(self) -> str:
        return ", ".join(accommodation_labels(self.accommodation))


class CentreStaff(models.Model):
    """A reception officer works for a centre and sees that centre's residents only."""

    centre = models.ForeignKey(ReceptionCentre, on_delete=models.CASCADE, verbose_name=_("centre"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, verbose_name=_("user")
    )

    class Meta:
        verbose_name = _("centre staff")
        verbose_name_plural = _("centre staff")
        constraints = [
            models.UniqueConstraint(fields=["centre", "user"], name="unique_centre_staff")
        ]

    def __str__(self) -> str:
        return _("%(user)s at %(place)s") % {"user": self.user, "place": self.centre}


class Placement(models.Model):
    """A person lives in a centre from ``start`` until ``end`` (open-ended while resident).

    ``end`` is the day they left: on that day they count in the next centre, not in this one.
    A person has at most one open placement (a partial unique index); a transfer closes the
    previous placement on the day the new one starts.
    """

    person = models.ForeignKey(
        Person, on_delete=models.PROTECT, related_name="placements", verbose_name=_("person")
    )
    centre = models.ForeignKey(
        ReceptionCentre,
        on_delete=models.PROTECT,
        related_name="placements",
        verbose_name=_("centre"),
    )
    start = models.DateField(verbose_name=_("start"))
    end = models.DateField(null=True, blank=True, verbose_name=_("end"))
    transferred_from = models.OneToOneField(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="transferred_to",
        verbose_name=_("transferred from"),
    )
    transfer_reason = models.TextField(blank=True, verbose_name=_("transfer reason"))
    ended_by = models.CharField(
        max_length=10, choices=PlacementEnd.choices, blank=True, verbose_name=_("ended by")
    )
    discharge_reason = models.CharField(
        max_length=10,
        choices=DischargeReason.choices,
        blank=True,
        verbose_name=_("discharge reason"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )

    class Meta:
        verbose_name = _("placement")
        verbose_name_plural = _("placements")
        ordering = ["-start", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["person"], condition=Q(end__isnull=True), name="one_open_placement"
            ),
            models.CheckConstraint(
                condition=Q(end__isnull=True) | Q(end__gte=F("start")),
                name="placement_ends_after_start",
            ),
        ]
        indexes = [
            models.Index(fields=["centre", "end", "start"]),
            models.Index(fields=["start"]),
        ]

    def __str__(self) -> str:
        until = date_format(self.end, "DATE_FORMAT") if self.end else _("now")
        return f"{self.centre} {date_format(self.start, 'DATE_FORMAT')}–{until}"

    @property
    def is_open(self) -> bool:
        return self.end is None
