"""Bench-only URLconf: the product's URLs plus the bare baselines under ``/bench/``."""

from django.urls import path

from config.urls import handler404, handler500  # noqa: F401
from config.urls import urlpatterns as product_urlpatterns

from . import views

urlpatterns = [
    path("bench/bare/status/", views.bare_status, name="bench-bare-status"),
    path("bench/bare/api/applications/", views.BareApplicationList.as_view()),
    *product_urlpatterns,
]
