"""The letters of a case in the REST API: list, write from a template, download the PDF,
record the sending and the delivery, correct.

``/api/v1/applications/{id}/letters/``. A thin face of ``casework.letters.services`` under
the API's conventions (``casework.api.base``): the role's model permission per method (403
before any lookup), the case through the user's scope (404), cursor pages, an ``ETag`` on each
letter and ``If-Match`` on the writes to one, ``Idempotency-Key`` on the POSTs. The PDF is
served as ``application/pdf`` and every read (list, letter, PDF) is access-logged.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
)
from casework.api.fields import IsoDateField, StrictModelSerializer
from casework.api.pagination import ChronologicalPage
from casework.applications.models import Application
from casework.letters.choices import Channel, LetterKind
from casework.letters.models import Letter, LetterDelivery
from casework.letters.services import (
    letter_correct,
    letter_create,
    letter_delivery_record,
    letter_record_sending,
)
from casework.privacy.access import AccessLoggingMixin, access_log
from casework.privacy.models import AccessLog
from casework.privacy.scopes import applications_visible_to, visible_to


class LetterDeliverySerializer(StrictModelSerializer):
    class Meta:
        model = LetterDelivery
        fields = ["delivered_on", "channel", "confirmed_by", "recorded_by", "recorded_at"]
        read_only_fields = fields


class LetterSerializer(StrictModelSerializer):
    delivery = serializers.SerializerMethodField()

    class Meta:
        model = Letter
        fields = [
            "id",
            "application",
            "kind",
            "language",
            "corrects",
            "created_by",
            "created_at",
            "channel",
            "sent_at",
            "sent_by",
            "pdf_sha256",
            "delivery",
        ]
        read_only_fields = fields

    @extend_schema_field(LetterDeliverySerializer(allow_null=True))
    def get_delivery(self, letter: Letter) -> dict | None:
        delivery = getattr(letter, "delivery", None) if letter.sent_at else None
        return LetterDeliverySerializer(delivery).data if delivery is not None else None


class LetterCreateSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=LetterKind.choices)
    language = serializers.CharField(
        required=False,
        help_text="One of the status page's languages; the applicant's preferred one if left out.",
    )
    extra = serializers.DictField(
        required=False,
        help_text=(
            "What the case does not record: `country` (ISO code) for a Dublin letter; "
            "`granted`, `valid_until`, `grounds` for a work-permit letter."
        ),
    )


class LetterSendingSerializer(serializers.Serializer):
    channel = serializers.ChoiceField(choices=Channel.choices)


class LetterDeliveryInputSerializer(serializers.Serializer):
    delivered_on = IsoDateField()
    confirmed_by = serializers.CharField(max_length=200)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)


class PdfRenderer(BaseRenderer):
    """Lets a client ask for ``Accept: application/pdf`` (the PDF action answers with it)."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> Any:
        return data


@extend_schema_view(
    list=extend_schema(
        summary="The letters of a case",
        responses={200: LetterSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(
        summary="One letter", responses={200: LetterSerializer, **ERROR_RESPONSES}
    ),
    create=extend_schema(
        summary="Write a letter from its template",
        request=LetterCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LetterSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class LetterViewSet(
    AccessLoggingMixin,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """The letters of a case (Public Administration Act § 27: decisions in writing)."""

    serializer_class = LetterSerializer
    pagination_class: type[BasePagination] | None = ChronologicalPage
    perms_by_method = {
        "GET": "casework.view_letter",
        "POST": "casework.add_letter",
    }
    perms_by_action = {
        "sending": "casework.change_letter",
        "delivery": "casework.change_letter",
    }
    http_method_names = ["get", "post", "head", "options"]
    filter_backends: list = []

    @cached_property
    def application(self) -> Application:
        visible = applications_visible_to(self.request.user)
        return get_object_or_404(visible, pk=self.kwargs["application_pk"])

    def get_queryset(self) -> QuerySet:
        if getattr(self, "swagger_fake_view", False):
            return Letter.objects.none()
        # The rows the user may read (the applicant's lawyer: the letters that were sent).
        letters = Letter.objects.filter(application=self.application)
        return visible_to(self.request.user, letters).select_related("delivery")

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = LetterCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        letter = letter_create(
            actor=request.user,
            application=self.application,
            kind=data["kind"],
            language=data.get("language"),
            extra=data.get("extra"),
        )
        return self.respond(letter, status_code=status.HTTP_201_CREATED)

    @extend_schema(
        summary="The letter as PDF",
        responses={
            (200, "application/pdf"): OpenApiResponse(
                OpenApiTypes.BINARY, description="The PDF as sent."
            ),
            **ERROR_RESPONSES,
        },
    )
    @action(
        detail=True, methods=["get"], url_path="pdf", renderer_classes=[JSONRenderer, PdfRenderer]
    )
    def pdf(self, request: Any, *args: Any, **kwargs: Any) -> FileResponse:
        letter = self.get_object()
        if not letter.pdf:
            raise Http404
        handle = letter.pdf.open("rb")
        access_log(user=request.user, action=AccessLog.Action.DOWNLOAD, objects=[letter], via="api")
        response = FileResponse(
            handle,
            content_type="application/pdf",
            as_attachment=True,
            filename=f"letter-{letter.pk}-{letter.kind}.pdf",
        )
        response["Cache-Control"] = "no-store, private"
        response["ETag"] = f'"{letter.pdf_sha256}"'
        return response

    @extend_schema(
        summary="Record that the letter was sent (it cannot change after)",
        request=LetterSendingSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: LetterSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="sending")
    def sending(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        letter = self.get_object()
        serializer = LetterSendingSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(letter)
        letter = letter_record_sending(
            actor=request.user, letter=letter, channel=serializer.validated_data["channel"]
        )
        return self.respond(letter)

    @extend_schema(
        summary="Record the day the letter reached the applicant or their lawyer",
        request=LetterDeliveryInputSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: LetterSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="delivery")
    def delivery(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        letter = self.get_object()
        serializer = LetterDeliveryInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(letter)
        letter_delivery_record(actor=request.user, letter=letter, **serializer.validated_data)
        return self.respond(Letter.objects.select_related("delivery").get(pk=letter.pk))

    @extend_schema(
        summary="Write a new letter that corrects this one",
        request=None,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: LetterSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="correction")
    def correction(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        letter = self.get_object()
        corrected = letter_correct(actor=request.user, letter=letter)
        return self.respond(corrected, status_code=status.HTTP_201_CREATED)
