"""Bench-only URLconf: the product's URLs plus the bare baselines under ``/bench/``."""

from django.urls import path

from config import urls as product

from . import views

handler404 = getattr(product, "handler404", None)
handler500 = getattr(product, "handler500", None)

bare_admin = []
for label, (list_view, detail_view) in views.bare_admin_views().items():
    bare_admin += [
        path(f"bench/bare/admin/{label}/", list_view),
        path(f"bench/bare/admin/{label}/<int:pk>/", detail_view),
    ]

urlpatterns = [
    path("bench/bare/status/", views.bare_status, name="bench-bare-status"),
    path("bench/floor/status/", views.floor_status),
    path("bench/bare/api/applications/", views.BareApplicationList.as_view()),
    path("bench/bare/statistics/", views.bare_statistics),
    path("bench/floor/statistics/", views.FloorStatisticsTable.as_view()),
    *bare_admin,
    path("bench/floor/admin/", views.floor_admin_site().urls),
    *product.urlpatterns,
]
