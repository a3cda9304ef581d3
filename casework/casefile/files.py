"""What a case document's file may be, where it is kept, and the virus scanner's word on it.

A file is judged by its bytes, never by its name or the content type the browser or client
declares: the first bytes must be those of a PDF, JPEG or PNG (``casework.people.documents``
knows the signatures), and a declared type or a name's extension that says otherwise is a
forgery and refused (a PNG, or text, sent as ``application/pdf`` named ``.pdf``). The size
limit is ``CASE_DOCUMENT_MAX_BYTES``. Files go under ``MEDIA_ROOT`` (``VAR_DIR/private``,
which no URL maps to) with a random name: an uploaded name may carry the applicant's name.

Virus scanning: ClamAV's daemon (Debian's ``clamav-daemon``) where its socket
(``CLAMD_SOCKET``) exists, by its ``INSTREAM`` command; an infected file is refused. Where no
daemon is installed the file is stored and marked "not scanned: no virus scanner installed":
never reported as scanned when it was not.
"""

from __future__ import annotations

import hashlib
import os
import socket
import struct
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from casework.people.documents import sniff_content_type

EXTENSIONS: dict[str, tuple[str, ...]] = {
    "application/pdf": (".pdf",),
    "image/jpeg": (".jpg", ".jpeg"),
    "image/png": (".png",),
}
# Declared types a client may send that say nothing about the content.
VAGUE_TYPES = {"", "application/octet-stream", "binary/octet-stream"}
NOT_SCANNED = "not scanned: no virus scanner installed"


def document_upload_to(instance: Any, filename: str) -> str:
    """A random name: the uploaded name may carry the applicant's name, never kept."""
    return f"case-documents/{uuid.uuid4().hex}"


def _head(file: Any, size: int = 16) -> bytes:
    file.seek(0)
    head = file.read(size)
    file.seek(0)
    return bytes(head)


def sniffed_type(file: Any) -> str:
    """The file's content type by its bytes, after refusing what is too large, not a PDF,
    JPEG or PNG, or declared (by content type or name) as something it is not."""
    limit = settings.CASE_DOCUMENT_MAX_BYTES
    if file.size > limit:
        raise ValidationError(
            _("The file is too large (%(size)d MB); the limit is %(limit)d MB.")
            % {"size": -(-file.size // 1_000_000), "limit": limit // 1_000_000},
            code="too_large",
        )
    if file.size == 0:
        raise ValidationError(_("The file is empty."), code="empty")
    actual = sniff_content_type(_head(file))
    if actual is None:
        raise ValidationError(
            _("Only PDF, JPEG or PNG files are accepted (checked by content, not by name)."),
            code="bad_type",
        )
    declared = (getattr(file, "content_type", "") or "").split(";")[0].strip().lower()
    name = (getattr(file, "name", "") or "").lower()
    _stem, extension = os.path.splitext(name)
    known_extension = any(extension in exts for exts in EXTENSIONS.values())
    if (declared not in VAGUE_TYPES and declared != actual) or (
        known_extension and extension not in EXTENSIONS[actual]
    ):
        raise ValidationError(
            _(
                "The file says it is one kind of file but its content is another: "
                "it was not accepted."
            ),
            code="forged_type",
        )
    return actual


def sha256_of(file: Any) -> str:
    digest = hashlib.sha256()
    file.seek(0)
    for chunk in iter(lambda: file.read(1 << 16), b""):
        digest.update(chunk)
    file.seek(0)
    return digest.hexdigest()


@dataclass(frozen=True)
class ScanResult:
    """The scanner's word: ``scanned`` (clamd answered), ``infected``, and what it said."""

    scanned: bool
    infected: bool
    detail: str


def virus_scan(file: Any) -> ScanResult:
    """Ask ClamAV's daemon about ``file`` over its Unix socket (``CLAMD_SOCKET``).

    No socket there: ``scanned=False`` with "not scanned: no virus scanner installed". A
    socket that does not answer as clamd does is an error (``OSError``), not a pass: the
    upload fails rather than store a file reported as checked.
    """
    path = getattr(settings, "CLAMD_SOCKET", "")
    if not path or not os.path.exists(path):
        return ScanResult(scanned=False, infected=False, detail=NOT_SCANNED)
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(getattr(settings, "CLAMD_TIMEOUT", 30))
        sock.connect(path)
        sock.sendall(b"zINSTREAM\0")
        file.seek(0)
        for chunk in iter(lambda: file.read(1 << 16), b""):
            sock.sendall(struct.pack("!L", len(chunk)) + chunk)
        sock.sendall(struct.pack("!L", 0))
        reply = b""
        while not reply.endswith(b"\0"):
            part = sock.recv(4096)
            if not part:
                break
            reply += part
    file.seek(0)
    answer = reply.rstrip(b"\0").decode("utf-8", "replace").strip()
    # "stream: OK", "stream: Eicar-Test-Signature FOUND", "INSTREAM size limit exceeded. ERROR"
    if answer.endswith("FOUND"):
        return ScanResult(scanned=True, infected=True, detail=answer[:200])
    if answer.endswith(": OK"):
        return ScanResult(scanned=True, infected=False, detail="clamd: OK")
    raise OSError(f"clamd answered {answer[:100]!r}")
