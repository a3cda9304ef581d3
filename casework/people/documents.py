"""Scans of identity documents: what may be uploaded, and the one way they are served.

A scan is a passport page or an ID card: the most sensitive kind of file the system holds.
Uploads are checked by their first bytes (a ``.pdf`` name on an executable is refused) and by
size (``DOCUMENT_MAX_BYTES``); files live under ``MEDIA_ROOT`` (``VAR_DIR/private``), which no
URL maps to, and leave it only through ``scan_download``, which checks that the user may see
the person and writes an access-log row.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# Magic numbers of the accepted formats and the content type each is served with.
SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(head: bytes) -> str | None:
    """The content type the file's first bytes declare, or None when it is none we accept."""
    for signature, content_type in SIGNATURES:
        if head.startswith(signature):
            return content_type
    return None


def _read_head(file: Any, size: int = 16) -> bytes:
    position = file.tell() if hasattr(file, "tell") else 0
    file.seek(0)
    head = file.read(size)
    file.seek(position)
    return head


def validate_scan(file: Any) -> None:
    """Refuse files that are too large or are not PDF, JPEG or PNG by their content."""
    limit = settings.DOCUMENT_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
            % {"size": -(-file.size // 1_000_000), "limit": limit // 1_000_000},
            code="too_large",
        )
    if sniff_content_type(_read_head(file)) is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted (checked by content, not by name)."),
            code="bad_type",
        )


def scan_upload_to(instance: Any, filename: str) -> str:
    """A random file name: the uploaded name may carry the holder's name, never kept."""
    return f"identity-documents/{uuid.uuid4().hex}"
