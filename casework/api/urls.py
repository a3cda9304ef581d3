from django.urls import include, path

from . import views

urlpatterns = [
    path("auth/token/", views.ObtainTokenView.as_view(), name="api-token"),
    path("", include("casework.api.statistics")),
]
