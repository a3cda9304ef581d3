"""The baselines: the fastest plain Django/DRF way to do what the product's page does."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated

from casework.models import Application

ONE_LINE = engines["django"].from_string("<p>{{ state }}</p>\n")


@csrf_exempt
def bare_status(request: HttpRequest) -> HttpResponse:
    """Fetch the case by its unique reference (indexed) and render a one-line template."""
    row = (
        Application.objects.filter(reference=request.POST.get("reference", "").upper())
        .values("state", "person__date_of_birth")
        .first()
    )
    return HttpResponse(ONE_LINE.render({"state": row["state"] if row else "-"}))


class BareApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = "__all__"


class BarePage(CursorPagination):
    page_size = 25
    ordering = "-id"


class BareApplicationList(generics.ListAPIView):
    """``ListAPIView`` + ``ModelSerializer``, the same filters applied by hand."""

    serializer_class = BareApplicationSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []
    pagination_class = BarePage
    filter_backends: list = []

    def get_queryset(self):
        qs = Application.objects.all()
        params = self.request.query_params
        if params.getlist("state"):
            qs = qs.filter(state__in=params.getlist("state"))
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("nationality"):
            qs = qs.filter(person__nationality=params["nationality"].upper())
        return qs
