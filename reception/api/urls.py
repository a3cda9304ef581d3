"""Reception endpoints of the REST API (mounted under /api/v1/)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("reception-centres", views.ReceptionCentreViewSet, basename="reception-centre")
router.register("placements", views.PlacementViewSet, basename="placement")
router.register("settlements", views.SettlementViewSet, basename="settlement")

urlpatterns = [
    path("reception/occupancy/", views.OccupancyView.as_view(), name="reception-occupancy"),
    path(
        "reception/placements-by-county/",
        views.PlacementsByCountyView.as_view(),
        name="reception-placements-by-county",
    ),
    *router.urls,
]
