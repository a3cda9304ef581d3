"""The case file: notes staff write on a case and the documents it holds, with their versions.

Nothing here is ever deleted. A note is corrected by a new version that keeps the old text
(Public Administration Act § 11 d: the authority records what it learns and what it does in
the case, and the record is what it relied on); a document gets new versions when a better
scan or a translation comes. ``delete()`` raises on every model, no admin offers a delete,
the API has no DELETE, and on PostgreSQL a trigger refuses DELETE on the four tables
(migration ``0025_case_file``). Anonymisation (``casework.privacy``) empties the words and
removes the files' bytes, and keeps the rows: kinds, dates and counts stay for statistics.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from casework.casefile.choices import CaseDocumentKind, ScanStatus, Visibility
from casework.casefile.files import document_upload_to
from casework.people.choices import SpokenLanguage


class NeverDeleted(models.Model):
    """A record of the case file: the code may never delete it."""

    class Meta:
        abstract = True

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("Records of the case file are never deleted.")


class CaseNote(NeverDeleted):
    """A note on a case (saksnotat): who wrote it, when, the text as it reads now, and who may
    read it. Its versions (``CaseNoteVersion``) keep every text it ever had."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="notes",
        verbose_name=_("application"),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("author"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("written at"))
    visibility = models.CharField(
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        verbose_name=_("visibility"),
    )
    text = models.TextField(verbose_name=_("text"))
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))
    corrected_at = models.DateTimeField(null=True, blank=True, verbose_name=_("corrected at"))

    class Meta:
        verbose_name = _("case note")
        verbose_name_plural = _("case notes")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["application", "-created_at"], name="casenote_case_idx")]

    def __str__(self) -> str:
        return str(_("note %(id)s") % {"id": self.pk})


class CaseNoteVersion(NeverDeleted):
    """One text a note had: the first as written, then each correction with its reason."""

    note = models.ForeignKey(
        CaseNote, on_delete=models.PROTECT, related_name="versions", verbose_name=_("note")
    )
    number = models.PositiveIntegerField(verbose_name=_("version"))
    text = models.TextField(verbose_name=_("text"))
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, verbose_name=_("visibility")
    )
    reason = models.CharField(
        max_length=300, blank=True, verbose_name=_("reason for the correction")
    )
    written_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("written by"),
    )
    written_at = models.DateTimeField(default=timezone.now, verbose_name=_("written at"))

    class Meta:
        verbose_name = _("case note version")
        verbose_name_plural = _("case note versions")
        ordering = ["note", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["note", "number"], name="casenoteversion_number_key")
        ]

    def __str__(self) -> str:
        return f"{self.note_id} v{self.number}"


class CaseDocument(NeverDeleted):
    """A paper the case holds: evidence, a medical report, an identity paper, a lawyer's
    submission. What it is, where it came from, when it was received, its language and
    whether it was translated; the file itself is in its versions (``CaseDocumentVersion``)."""

    application = models.ForeignKey(
        "casework.Application",
        on_delete=models.PROTECT,
        related_name="case_documents",
        verbose_name=_("application"),
    )
    kind = models.CharField(max_length=20, choices=CaseDocumentKind.choices, verbose_name=_("kind"))
    title = models.CharField(max_length=200, blank=True, verbose_name=_("description"))
    source = models.CharField(
        max_length=200,
        help_text=_("Who handed it in or sent it: the applicant, their lawyer, a hospital …"),
        verbose_name=_("source"),
    )
    received_on = models.DateField(default=timezone.localdate, verbose_name=_("received on"))
    language = models.CharField(
        max_length=8, choices=SpokenLanguage.choices, verbose_name=_("language")
    )
    translated = models.BooleanField(default=False, verbose_name=_("translated"))
    visibility = models.CharField(
        max_length=8,
        choices=Visibility.choices,
        default=Visibility.INTERNAL,
        verbose_name=_("visibility"),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("added by"),
    )
    created_at = models.DateTimeField(default=timezone.now, verbose_name=_("added at"))
    version = models.PositiveIntegerField(default=1, editable=False, verbose_name=_("version"))

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ["-received_on", "-id"]
        indexes = [models.Index(fields=["application", "-received_on"], name="casedoc_case_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.pk}"


class CaseDocumentVersion(NeverDeleted):
    """One file of a document, as uploaded: a new upload of the same document is a new
    version and the old ones stay. The bytes live under ``MEDIA_ROOT`` (outside the web
    root) under a random name; the type is the one its content declares, never the name's."""

    document = models.ForeignKey(
        CaseDocument, on_delete=models.PROTECT, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveIntegerField(verbose_name=_("version"))
    file = models.FileField(upload_to=document_upload_to, blank=True, verbose_name=_("file"))
    content_type = models.CharField(max_length=32, verbose_name=_("content type"))
    size = models.PositiveBigIntegerField(verbose_name=_("size"))
    sha256 = models.CharField(max_length=64, blank=True, verbose_name=_("SHA-256"))
    scan_status = models.CharField(
        max_length=12, choices=ScanStatus.choices, verbose_name=_("virus scan")
    )
    scan_detail = models.CharField(max_length=200, blank=True, verbose_name=_("scan detail"))
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    uploaded_at = models.DateTimeField(default=timezone.now, verbose_name=_("uploaded at"))
    erased_at = models.DateTimeField(null=True, blank=True, verbose_name=_("file erased at"))

    class Meta:
        verbose_name = _("case document version")
        verbose_name_plural = _("case document versions")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="casedocumentversion_number_key"
            )
        ]

    def __str__(self) -> str:
        return f"{self.document_id} v{self.number}"
