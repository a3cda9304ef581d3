"""The kinds of letter and the channels a letter is sent by."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class LetterKind(models.TextChoices):
    RECEIPT = "receipt", _("Receipt of application")
    INTERVIEW_SUMMONS = "interview_summons", _("Interview summons")
    GRANT = "grant", _("Decision: grant")
    REJECTION = "rejection", _("Decision: rejection")
    DUBLIN = "dublin", _("Dublin decision")
    APPEAL_RECEIVED = "appeal_received", _("Appeal received")
    WORK_PERMIT = "work_permit", _("Work-permit decision")
    FAMILY_WINDOW = "family_window", _("Family reunification: deadlines for the sponsor")


class Channel(models.TextChoices):
    """How a letter leaves the authority (the date it reached the person is recorded apart)."""

    DIGITAL = "digital", _("Digital mailbox or e-mail, with the PDF")
    POLICE = "police", _("Printed and handed over by the police")
    LAWYER = "lawyer", _("Handed to the applicant's lawyer")
