"""Integration endpoints of the REST API (mounted under /api/v1/)."""

from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("work-permits", views.WorkPermitViewSet, basename="work-permit")
router.register(
    "family-reunifications", views.FamilyReunificationViewSet, basename="family-reunification"
)
router.register(
    "introduction-programmes", views.ProgrammeViewSet, basename="introduction-programme"
)

urlpatterns = router.urls
