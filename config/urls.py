"""URL map: admin, REST API v1 with its schema and docs, the health check and metrics, status
pages."""

from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import include, path, reverse_lazy
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from casework.admin import documents as document_views
from casework.admin import letters as letter_views
from casework.admin import staff as staff_views
from casework.core.views import favicon
from casework.deadlines.receipts import sms_receipt
from casework.monitoring.views import healthz, metrics
from casework.staff import otp
from casework.status import views as status_views

urlpatterns = [
    # The site's front door is the applicants' status page (the admin's "View site" leads
    # there); a browser asks every site for /favicon.ico, pages that name no icon included.
    path("", RedirectView.as_view(url=reverse_lazy("status")), name="home"),
    path("favicon.ico", favicon, name="favicon"),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),
    path("sms/receipt/", sms_receipt, name="sms-receipt"),
    path("admin/otp/verify/", otp.verify, name="otp-verify"),
    path("admin/otp/setup/", otp.setup, name="otp-setup"),
    path("admin/otp/backup-codes/", otp.backup_codes, name="otp-backup-codes"),
    path(
        "admin/documents/<int:pk>/scan/",
        document_views.scan_download,
        name="casework-document-scan",
    ),
    path(
        "admin/casework/application/<int:pk>/letters/new/",
        admin.site.admin_view(letter_views.letter_new),
        name="casework-letter-new",
    ),
    path(
        "admin/letters/<int:pk>/pdf/",
        admin.site.admin_view(letter_views.letter_pdf),
        name="casework-letter-pdf",
    ),
    path(
        "admin/letters/<int:pk>/send/",
        admin.site.admin_view(letter_views.letter_send),
        name="casework-letter-send",
    ),
    path(
        "admin/letters/<int:pk>/delivery/",
        admin.site.admin_view(letter_views.letter_delivery),
        name="casework-letter-delivery",
    ),
    path(
        "admin/letters/<int:pk>/correct/",
        admin.site.admin_view(letter_views.letter_correction),
        name="casework-letter-correct",
    ),
    path("admin/language/", admin.site.admin_view(staff_views.my_language), name="my-language"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("config.api_urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # The split view serves Swagger UI's start-up code as a script file, not inline, so the
    # docs render under a script-src without 'unsafe-inline'.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("i18n/", include("django.conf.urls.i18n")),
]

urlpatterns += i18n_patterns(
    path("status/", status_views.status_lookup, name="status"),
    prefix_default_language=False,
)

handler404 = "casework.api.views.not_found"
# A database error raised in middleware (session load/save) is a 503 too, not a 500.
handler500 = "casework.core.middleware.server_error"
# A path under /api/ that matches no route answers in JSON, like the rest of the API.
handler404 = "casework.core.middleware.not_found"
