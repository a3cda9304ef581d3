"""Identity-document scans in the admin: the upload form and the permission-checked download.

The file never has a public URL: the admin shows a link to ``scan_download``, which finds the
document through the user's scope (a guessed id outside it is a 404), requires the
``view_identitydocument`` permission, writes an access-log row and streams the file as an
attachment with the content type its bytes declare.
"""

from __future__ import annotations

from django import forms
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from casework.people.documents import sniff_content_type
from casework.people.models import IdentityDocument
from casework.privacy.access import access_log
from casework.privacy.models import AccessLog
from casework.privacy.scopes import visible_to

EXTENSIONS = {"application/pdf": ".pdf", "image/jpeg": ".jpg", "image/png": ".png"}


class IdentityDocumentForm(forms.ModelForm):
    """Upload without the stock widget, which would print the file's storage path as a link."""

    class Meta:
        model = IdentityDocument
        fields = ("kind", "number", "issuing_country", "verified", "verified_at", "scan")
        widgets = {"scan": forms.FileInput(attrs={"accept": ".pdf,.jpg,.jpeg,.png"})}


def scan_link(document: IdentityDocument) -> str:
    if not document.pk or not document.scan:
        return "–"
    return format_html(
        '<a href="{}">{}</a>',
        reverse("casework-document-scan", args=[document.pk]),
        _("download"),
    )


@never_cache
@require_GET
@staff_member_required
def scan_download(request: HttpRequest, pk: int) -> FileResponse:
    """Serve one scan to a user who may see the person, and log that they did."""
    if not request.user.has_perm("casework.view_identitydocument"):
        raise PermissionDenied
    documents = visible_to(request.user, IdentityDocument.objects.all())
    document = documents.filter(pk=pk).first()
    if document is None or not document.scan:
        raise Http404
    handle = document.scan.open("rb")
    content_type = sniff_content_type(handle.read(16)) or "application/octet-stream"
    handle.seek(0)
    access_log(user=request.user, action=AccessLog.Action.DOWNLOAD, objects=[document], via="admin")
    response = FileResponse(
        handle,
        content_type=content_type,
        as_attachment=True,
        filename=f"identity-document-{document.pk}{EXTENSIONS.get(content_type, '')}",
    )
    response["Cache-Control"] = "no-store, private"
    return response
