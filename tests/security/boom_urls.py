"""The project's URLs plus a view that fails, to see what a crash shows and logs."""

from django.urls import path

from config.urls import urlpatterns as project_urlpatterns


def boom(request):
    raise ValueError("something broke")


urlpatterns = [path("boom/", boom), *project_urlpatterns]
