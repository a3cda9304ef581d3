"""The site's icon (the health check and the metrics: ``casework.monitoring.views``)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponsePermanentRedirect
from django.templatetags.static import static
from django.views.decorators.http import require_safe


@require_safe
def favicon(request: HttpRequest) -> HttpResponsePermanentRedirect:
    """Browsers ask every site for /favicon.ico, also on pages that name no icon (an error
    page, the API's JSON); the icon is a static file, its URL resolved per request because
    the production storage's hashed name exists only after collectstatic."""
    return HttpResponsePermanentRedirect(static("casework/favicon.svg"))
