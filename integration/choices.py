"""Enumerations of the integration domain: work permits, family reunification, programme."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkPermitState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    GRANTED = "granted", _("granted")
    REFUSED = "refused", _("refused")
    EXPIRED = "expired", _("expired")
    REVOKED = "revoked", _("revoked")


class InterviewWaiverGroup(models.TextChoices):
    """Groups for whom UDI waives the interview condition of § 94 (udi.no, "Can I work")."""

    NONE = "", _("none")
    SYRIA = "syria", _("national of Syria")
    YEMEN = "yemen", _("national of Yemen")
    UYGHUR = "uyghur", _("Uyghur from China")


class PeriodKind(models.TextChoices):
    FIRST = "first", _("first grant")
    RENEWAL = "renewal", _("renewal")


class FamilyState(models.TextChoices):
    SUBMITTED = "submitted", _("submitted")
    EXAMINED = "examined", _("under examination")
    ACCEPTED = "accepted", _("accepted")
    REJECTED = "rejected", _("rejected")
    APPEALED = "appealed", _("appealed")


class FamilyRelation(models.TextChoices):
    """How the applicant is related to the sponsor (referanseperson)."""

    SPOUSE = "spouse", _("spouse or registered partner")
    COHABITANT = "cohabitant", _("cohabitant (2 years or more)")
    CHILD = "child", _("child under 18")
    OTHER = "other", _("other relative (by exception)")


class SponsorBasis(models.TextChoices):
    PROTECTION = "protection", _("protection (asylum)")
    RESIDENCE_PERMIT = "residence_permit", _("other residence permit")


class IncomeRule(models.TextChoices):
    """Which income-requirement rule applies to a family member's application."""

    EXEMPT = "exempt", _("exempt (refugee's close family, within the deadlines)")
    PENDING = "pending", _("exempt if the documents are handed in within 12 months")
    APPLIES = "applies", _("income requirement applies")


class ProgrammeState(models.TextChoices):
    ENROLLED = "enrolled", _("enrolled")
    COMPLETED = "completed", _("completed")
    DISCONTINUED = "discontinued", _("discontinued")


class ProgrammeElementKind(models.TextChoices):
    NORWEGIAN = "norwegian", _("Norwegian language training")
    DIGITAL_NORWEGIAN = "digital_norwegian", _("digital Norwegian course")
    SOCIAL_STUDIES = "social_studies", _("social studies")
    WORK = "work", _("work-oriented element")


NORWEGIAN_KINDS = (ProgrammeElementKind.NORWEGIAN, ProgrammeElementKind.DIGITAL_NORWEGIAN)


class CefrLevel(models.TextChoices):
    A1 = "A1", "A1"
    A2 = "A2", "A2"
    B1 = "B1", "B1"
    B2 = "B2", "B2"
    C1 = "C1", "C1"


class TestSkill(models.TextChoices):
    """What a Norwegian test measures."""

    ORAL = "oral", _("oral")
    READING = "reading", _("reading")
    LISTENING = "listening", _("listening")
    WRITING = "writing", _("writing")


class ProgrammeOutcome(models.TextChoices):
    WORK = "work", _("work")
    EDUCATION = "education", _("education")
    OTHER = "other", _("other")
