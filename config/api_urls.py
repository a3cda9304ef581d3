"""REST API v1: each app contributes its routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("casework.api.urls")),
    path("", include("reception.api.urls")),
    path("", include("integration.api.urls")),
]
