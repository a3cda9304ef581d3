"""REST API v1: each app contributes its routes under /api/v1/."""

from django.urls import include, path

urlpatterns = [
    path("", include("casework.api.urls")),
]
