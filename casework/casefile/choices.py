"""The enumerations of the case file: who may read a note or document, and document kinds."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Visibility(models.TextChoices):
    """Who beside the authority's staff may read a note or a document.

    A lawyer appointed for the applicant (fritt rettsråd) sees what is shared with them and
    nothing internal: the right to see the case documents (Public Administration Act §§ 18–19)
    covers the file, while internal working notes are exempt (§ 18 a).
    """

    INTERNAL = "internal", _("internal")
    LAWYER = "lawyer", _("shared with the applicant's lawyer")


class CaseDocumentKind(models.TextChoices):
    """What a document of the case is: evidence, a medical report, an identity paper, a
    lawyer's submission, or something else."""

    EVIDENCE = "evidence", _("evidence")
    MEDICAL_REPORT = "medical_report", _("medical report")
    IDENTITY_PAPER = "identity_paper", _("identity paper")
    LAWYER_SUBMISSION = "lawyer_submission", _("lawyer submission")
    OTHER = "other", _("other")


class ScanStatus(models.TextChoices):
    """What the virus scanner said about an uploaded file (an infected file is never stored)."""

    CLEAN = "clean", _("scanned: no virus found")
    NOT_SCANNED = "not_scanned", _("not scanned")
