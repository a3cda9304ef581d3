"""Bench-only URLconf: the product's URLs plus the bare baselines under ``/bench/``."""

from django.urls import path

from config import urls as product

from . import views

handler404 = getattr(product, "handler404", None)
handler500 = getattr(product, "handler500", None)

urlpatterns = [
    path("bench/bare/status/", views.bare_status, name="bench-bare-status"),
    path("bench/bare/api/applications/", views.BareApplicationList.as_view()),
    *product.urlpatterns,
]
