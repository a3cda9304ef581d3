"""Bulk import of arrivals in the admin: upload a CSV, watch its progress (no JavaScript).

Registration officers (``casework.add_importjob``) upload; the import runs in a Celery task
(``casework.tasks.run_import_job``); the job's page reloads itself every few seconds with
``<meta http-equiv="refresh">`` until the job has finished.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from casework.admin.base import FastListMixin
from casework.intake import arrivals, imports
from casework.intake.models import ImportJob

MAX_UPLOAD_BYTES = 50 * 1024 * 1024


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=format_lazy(
            _("Columns: {columns}. CSV UTF-8 with a header row, at most 50 MB."),
            columns=", ".join(arrivals.COLUMNS),
        ),
    )

    def clean_file(self) -> Any:
        """Size, name and the header row, checked now; the rows are checked by the import.

        The browser's content type is not trusted (Windows sends ``.csv`` as an Excel type):
        the first line is read instead, so a spreadsheet, an image or a UTF-16 export is
        refused here with the reason. A 33,000-row year is about 3 MB; larger files go through
        ``manage.py import_arrivals``, which streams any size.
        """
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                _(
                    "The file is larger than %(mb)d MB: split it, or ask an administrator to "
                    "run manage.py import_arrivals with it."
                )
                % {"mb": MAX_UPLOAD_BYTES // (1024 * 1024)}
            )
        if not upload.name.lower().endswith(".csv"):
            raise forms.ValidationError(_("Upload a .csv file (CSV UTF-8)."))
        try:
            upload.seek(0)
            arrivals.header_check(upload)
        except arrivals.ImportFileError as exc:
            raise forms.ValidationError(str(exc)) from exc
        finally:
            upload.seek(0)
        return upload


@admin.register(ImportJob)
class ImportJobAdmin(FastListMixin, admin.ModelAdmin):
    list_display = (
        "id",
        "status",
        "created_at",
        "created_by",
        "processed_rows",
        "total_rows",
        "created_count",
        "skipped_count",
        "error_count",
    )
    list_filter = ("status",)

    def get_queryset(self, request: HttpRequest):
        qs = super().get_queryset(request).select_related("created_by")
        if request.user.is_superuser or request.user.has_perm("casework.view_auditevent"):
            return qs
        return qs.filter(created_by=request.user)  # an officer sees their own imports

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def add_view(self, request: HttpRequest, form_url: str = "", extra_context: Any = None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = UploadForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            job = imports.import_job_create(actor=request.user, upload=form.cleaned_data["file"])
            messages.success(request, _("The import has started."))
            return HttpResponseRedirect(reverse("admin:casework_importjob_change", args=[job.pk]))
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import arrivals"),
            "opts": self.model._meta,
            "form": form,
        }
        return TemplateResponse(request, "admin/casework/importjob_upload.html", context)

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ):
        job = self.get_object(request, object_id)
        if job is None or not self.has_view_permission(request, job):
            raise PermissionDenied
        running = job.status in (ImportJob.Status.PENDING, ImportJob.Status.RUNNING)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Import #%(number)d") % {"number": job.pk},
            "opts": self.model._meta,
            "job": job,
            "refresh": running,
        }
        return TemplateResponse(request, "admin/casework/importjob_progress.html", context)
