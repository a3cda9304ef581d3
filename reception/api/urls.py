"""Reception endpoints of the REST API (mounted under /api/v1/)."""

urlpatterns: list = []
