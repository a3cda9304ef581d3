"""People: the applicant's identity, documents, household and likely duplicates.

Personal data here is special-category data (GDPR art. 9): read it through the scoped
selectors (``casework.privacy.scopes``) and change it only through
``casework.people.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from casework.audit.history import IndexedHistoricalRecords
from casework.people.choices import (
    DatePrecision,
    DocumentKind,
    DuplicateStatus,
    InterpreterPreference,
    Relation,
    Sex,
    SpokenLanguage,
    validate_spoken_languages,
)
from casework.people.documents import scan_upload_to, validate_scan


class Person(models.Model):
    """An applicant or family member, with one registration number for all their applications.

    The registration number works like the DUF number: 12 digits, the first four the year of
    the person's first application, the last a check digit (Luhn) that catches typing errors.
    """

    # unique and indexed through Meta, not the field: see IndexedHistoricalRecords
    registration_number = models.CharField(
        max_length=12, editable=False, verbose_name=_("registration number")
    )
    given_name = models.CharField(_("given name (Latin script)"), max_length=120)
    family_name = models.CharField(_("family name (Latin script)"), max_length=120)
    name_in_document = models.CharField(
        _("name as written in the identity document"), max_length=240, blank=True
    )
    name_key = models.CharField(
        max_length=64, editable=False, default="", verbose_name=_("name key")
    )
    date_of_birth = models.DateField(verbose_name=_("date of birth"))
    dob_precision = models.CharField(
        max_length=4,
        choices=DatePrecision.choices,
        default=DatePrecision.DAY,
        verbose_name=_("dob precision"),
    )
    sex = models.CharField(
        max_length=8, choices=Sex.choices, default=Sex.UNKNOWN, verbose_name=_("sex")
    )
    nationality = CountryField(
        blank=True, help_text=_("Empty for a stateless person."), verbose_name=_("nationality")
    )
    stateless = models.BooleanField(default=False, verbose_name=_("stateless"))
    other_nationalities = CountryField(
        multiple=True, blank=True, verbose_name=_("other nationalities")
    )
    # Codes of ``SpokenLanguage`` (ISO 639-3), comma separated: "ara,eng".
    languages = models.CharField(
        _("languages spoken"),
        max_length=120,
        blank=True,
        validators=[validate_spoken_languages],
    )
    preferred_language = models.CharField(
        max_length=8, default="en", verbose_name=_("preferred language")
    )
    # What an interpreter must speak for this person: offered when one is booked.
    interpreter_language = models.CharField(
        _("interpreter language"),
        max_length=8,
        blank=True,
        choices=SpokenLanguage.choices,
        help_text=_("The language an interpreter must speak with this person."),
    )
    interpreter_dialect = models.CharField(
        _("dialect"),
        max_length=80,
        blank=True,
        help_text=_("As the person names it (Herati, Asmara, Sorani of Sulaymaniyah…)."),
    )
    interpreter_gender = models.CharField(
        _("interpreter's gender"),
        max_length=8,
        blank=True,
        choices=InterpreterPreference.choices,
        default=InterpreterPreference.NONE,
    )
    email = models.EmailField(blank=True, verbose_name=_("email"))
    phone = models.CharField(max_length=32, blank=True, verbose_name=_("phone"))
    unaccompanied_minor = models.BooleanField(default=False, verbose_name=_("unaccompanied minor"))
    health_needs = models.TextField(blank=True, verbose_name=_("health needs"))
    external_id = models.CharField(
        max_length=64, blank=True, null=True, verbose_name=_("external id")
    )
    merged_into = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="merged_from",
        verbose_name=_("merged into"),
    )
    is_demo = models.BooleanField(default=False, editable=False, verbose_name=_("is demo"))
    created_at = models.DateTimeField(
        default=timezone.now, editable=False, verbose_name=_("created at")
    )
    anonymised_at = models.DateTimeField(
        null=True, blank=True, editable=False, verbose_name=_("anonymised at")
    )
    history = IndexedHistoricalRecords(
        excluded_fields=["name_key"],
        indexes=(
            models.Index(fields=["registration_number"], name="hist_person_regno_idx"),
            models.Index(fields=["external_id"], name="hist_person_external_id_idx"),
        ),
    )

    class Meta:
        verbose_name = _("person")
        verbose_name_plural = _("people")
        # Unique and indexed here rather than on the fields: one btree each, no "_like" twin
        constraints = [
            models.UniqueConstraint(
                fields=["registration_number"], name="casework_person_registration_number_key"
            ),
            models.UniqueConstraint(fields=["external_id"], name="casework_person_external_id_key"),
        ]
        indexes = [
            models.Index(fields=["date_of_birth", "nationality"]),
            models.Index(fields=["family_name", "given_name"]),
        ]

    def __str__(self) -> str:
        return f"{self.family_name}, {self.given_name} ({self.registration_number})"

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    def age_on(self, day) -> int:
        born = self.date_of_birth
        return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


class IdentityDocument(models.Model):
    """A document establishing identity; ``verified`` once the police or UDI checked it."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="documents", verbose_name=_("person")
    )
    kind = models.CharField(max_length=24, choices=DocumentKind.choices, verbose_name=_("kind"))
    number = models.CharField(max_length=64, verbose_name=_("number"))
    issuing_country = CountryField(blank=True, verbose_name=_("issuing country"))
    verified = models.BooleanField(default=False, verbose_name=_("verified"))
    verified_at = models.DateTimeField(null=True, blank=True, verbose_name=_("verified at"))
    # A scan of the document: stored under MEDIA_ROOT (outside the web root), type- and
    # size-checked on upload, served only by ``casework.people.documents.scan_download``.
    scan = models.FileField(
        upload_to=scan_upload_to,
        blank=True,
        validators=[validate_scan],
        help_text=_("PDF, JPEG or PNG."),
        verbose_name=_("scan"),
    )

    class Meta:
        verbose_name = _("identity document")
        verbose_name_plural = _("identity documents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number[-4:].rjust(len(self.number), '•')}"


class HouseholdLink(models.Model):
    """``person`` is the ``relation`` of ``relative`` (e.g. person is the child of relative)."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="household_links", verbose_name=_("person")
    )
    relative = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("relative")
    )
    relation = models.CharField(max_length=8, choices=Relation.choices, verbose_name=_("relation"))

    class Meta:
        verbose_name = _("household link")
        verbose_name_plural = _("household links")
        constraints = [
            models.UniqueConstraint(
                fields=["person", "relative", "relation"], name="unique_household_link"
            ),
            models.CheckConstraint(condition=~Q(person=models.F("relative")), name="no_self_link"),
        ]

    def __str__(self) -> str:
        return _("%(person)s is %(relation)s of %(relative)s") % {
            "person": self.person_id,
            "relation": self.get_relation_display(),
            "relative": self.relative_id,
        }


class DuplicateFlag(models.Model):
    """Intake's warning that ``person`` may be the same human as ``candidate``."""

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="duplicate_flags", verbose_name=_("person")
    )
    candidate = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="+", verbose_name=_("candidate")
    )
    score = models.FloatField(verbose_name=_("score"))
    status = models.CharField(
        max_length=10,
        choices=DuplicateStatus.choices,
        default=DuplicateStatus.OPEN,
        verbose_name=_("status"),
    )
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        verbose_name=_("resolved by"),
    )
    resolved_at = models.DateTimeField(null=True, blank=True, verbose_name=_("resolved at"))
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("created at"))

    class Meta:
        verbose_name = _("duplicate flag")
        verbose_name_plural = _("duplicate flags")
        constraints = [
            models.UniqueConstraint(fields=["person", "candidate"], name="unique_duplicate_pair")
        ]

    def __str__(self) -> str:
        return _("possible duplicate %(person)s ~ %(candidate)s (%(score).2f)") % {
            "person": self.person_id,
            "candidate": self.candidate_id,
            "score": self.score,
        }
