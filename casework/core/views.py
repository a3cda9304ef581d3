"""Operational endpoints: the health check, the site's icon."""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, HttpResponsePermanentRedirect, JsonResponse
from django.templatetags.static import static
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_safe


def _broker_status() -> str:
    url = settings.CELERY_BROKER_URL
    if url.startswith("filesystem://"):
        return "ok (filesystem)"
    try:
        from config.celery import app

        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=0, timeout=1)
        return "ok"
    except Exception:  # any failure means unreachable
        return "unreachable"


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 with the status of the database and broker; 503 when the database is unreachable.

    A dead broker does not make the service unhealthy: reminders wait in the database.
    """
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        database = "ok"
    except Exception:  # any failure means unreachable
        database = "unreachable"
    body = {
        "status": "ok" if database == "ok" else "unavailable",
        "database": {"engine": connection.vendor, "status": database},
        "broker": {
            "transport": settings.CELERY_BROKER_URL.split("://")[0],
            "status": _broker_status(),
        },
    }
    return JsonResponse(body, status=200 if database == "ok" else 503)


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask every site for /favicon.ico, also on pages that name no icon (an error
    page, the API's JSON); the icon is a static file, its URL resolved per request because
    the production storage's hashed name exists only after collectstatic."""
    return HttpResponsePermanentRedirect(static("casework/favicon.svg"))
