"""Enumerations of people: sex, date precision, document kinds, relations, duplicate flags."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Sex(models.TextChoices):
    FEMALE = "female", _("female")
    MALE = "male", _("male")
    OTHER = "other", _("other")
    UNKNOWN = "unknown", _("unknown")


class DatePrecision(models.TextChoices):
    """A birth date may be known only to the year (registered as 1 January of that year)."""

    DAY = "day", _("day")
    YEAR = "year", _("year only")


class DocumentKind(models.TextChoices):
    PASSPORT = "passport", _("passport")
    NATIONAL_ID = "national_id", _("national identity card")
    BIRTH_CERTIFICATE = "birth_certificate", _("birth certificate")
    TRAVEL_DOCUMENT = "travel_document", _("travel document")
    OTHER = "other", _("other document")


class Relation(models.TextChoices):
    SPOUSE = "spouse", _("spouse or partner")
    CHILD = "child", _("child")
    PARENT = "parent", _("parent")


class DuplicateStatus(models.TextChoices):
    OPEN = "open", _("open")
    MERGED = "merged", _("merged")
    DISMISSED = "dismissed", _("dismissed")
