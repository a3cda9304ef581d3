"""The case file in the API: ``applications/{id}/notes/`` and ``applications/{id}/documents/``.

Thin faces of ``casework.casefile.services``: the services check who may (the one place,
``casework.casefile.permissions``), write, audit and log reads of files. Notes: list, read,
write, correct (``POST {note}/corrections/`` with ``If-Match``: a new version, the old text
kept in ``versions``). Documents: list, read, upload (``multipart/form-data``), a new version
(``POST {document}/versions/``), download (``GET {document}/download/``, the newest version or
``?version=n``; access-logged). Nothing is ever deleted: no route answers ``DELETE`` (405).
"""

from __future__ import annotations

import hashlib
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse
from django.utils.functional import cached_property
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from casework.api.base import (
    ERROR_RESPONSES,
    IDEMPOTENCY_KEY,
    IF_MATCH,
    WRITE_ERROR_RESPONSES,
    ApiViewSetMixin,
)
from casework.api.fields import IsoDateField, StrictIntegerField, StrictModelSerializer
from casework.api.pagination import CursorPage
from casework.applications.models import Application
from casework.casefile import permissions, selectors, services
from casework.casefile.choices import CaseDocumentKind, Visibility
from casework.casefile.files import EXTENSIONS
from casework.casefile.models import CaseDocument, CaseDocumentVersion, CaseNote, CaseNoteVersion
from casework.people.choices import SpokenLanguage
from casework.privacy.access import AccessLoggingMixin

# --- serializers --------------------------------------------------------------------------


class NoteVersionSerializer(StrictModelSerializer):
    """One text the note had (the first as written, then each correction)."""

    class Meta:
        model = CaseNoteVersion
        fields = ["number", "text", "visibility", "reason", "written_by", "written_at"]
        read_only_fields = fields


class NoteSerializer(StrictModelSerializer):
    """A note on the case as it reads now, with every version it had (newest first)."""

    versions = NoteVersionSerializer(many=True, read_only=True)

    class Meta:
        model = CaseNote
        fields = [
            "id",
            "application",
            "author",
            "created_at",
            "visibility",
            "text",
            "version",
            "corrected_at",
            "versions",
        ]
        read_only_fields = fields


class NoteCreateSerializer(serializers.Serializer):
    """A new note: its text, and whether the applicant's lawyer may read it."""

    text = serializers.CharField(max_length=services.NOTE_MAX_CHARS)
    visibility = serializers.ChoiceField(
        choices=Visibility.choices, default=Visibility.INTERNAL, required=False
    )


class NoteCorrectionSerializer(serializers.Serializer):
    """The corrected text (a new version; the old one stays), why, and optionally a new
    visibility."""

    text = serializers.CharField(max_length=services.NOTE_MAX_CHARS)
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(choices=Visibility.choices, required=False)


class DocumentVersionSerializer(StrictModelSerializer):
    """One file of the document: its type by content, size, fingerprint and virus scan."""

    download = serializers.SerializerMethodField()
    erased = serializers.SerializerMethodField()

    class Meta:
        model = CaseDocumentVersion
        fields = [
            "number",
            "content_type",
            "size",
            "sha256",
            "scan_status",
            "scan_detail",
            "uploaded_by",
            "uploaded_at",
            "erased",
            "download",
        ]
        read_only_fields = fields

    def get_erased(self, obj: CaseDocumentVersion) -> bool:
        return obj.erased_at is not None or not obj.file

    def get_download(self, obj: CaseDocumentVersion) -> str | None:
        if obj.erased_at is not None or not obj.file:
            return None
        url = reverse(
            "casedocument-download",
            kwargs={"application_pk": obj.document.application_id, "pk": obj.document_id},
        )
        return f"{url}?version={obj.number}"


class DocumentSerializer(StrictModelSerializer):
    """A document of the case, with its versions (newest first)."""

    versions = DocumentVersionSerializer(many=True, read_only=True)

    class Meta:
        model = CaseDocument
        fields = [
            "id",
            "application",
            "kind",
            "title",
            "source",
            "received_on",
            "language",
            "translated",
            "visibility",
            "created_by",
            "created_at",
            "version",
            "versions",
        ]
        read_only_fields = fields


class DocumentUploadSerializer(serializers.Serializer):
    """A new document with its first file (``multipart/form-data``). The file is judged by
    its bytes: PDF, JPEG or PNG, its declared type and name must agree with them."""

    file = serializers.FileField()
    kind = serializers.ChoiceField(choices=CaseDocumentKind.choices)
    # A field named like DRF's ``Field.source``: the request's key, so the clash is meant.
    source = serializers.CharField(max_length=200)  # type: ignore[assignment]
    language = serializers.ChoiceField(choices=SpokenLanguage.choices)
    received_on = IsoDateField(required=False)
    translated = serializers.BooleanField(required=False, default=False)
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    visibility = serializers.ChoiceField(
        choices=Visibility.choices,
        required=False,
        help_text="Left out: internal for staff; shared with the lawyer when the lawyer sends it.",
    )


class DocumentNewVersionSerializer(serializers.Serializer):
    """A new file for the document (``multipart/form-data``): the old versions stay."""

    file = serializers.FileField()


# --- view sets ------------------------------------------------------------------------------


class _OfCaseFile:
    """Nested under ``applications/{application_pk}/``: 404 unless the user reaches the case's
    file (``permissions.case_file_cases``)."""

    request: Any
    kwargs: Any

    @cached_property
    def application(self) -> Application:
        cases = permissions.case_file_cases(self.request.user)
        return get_object_or_404(cases, pk=self.kwargs["application_pk"])

    def role_grants(self, user: Any, perm: str) -> bool:
        """A role registered with the case file (the applicant's lawyer) passes the door
        without the staff's model permission (``casework.api.base.RolePermission``)."""
        return permissions.access_grants(user, perm)


SEARCH = OpenApiParameter(
    "search", str, description="Words in the note's text, now or in any earlier version."
)
VISIBILITY = OpenApiParameter(
    "visibility", str, enum=Visibility.values, description="Only notes of this visibility."
)


@extend_schema_view(
    list=extend_schema(
        summary="Notes on the case",
        parameters=[SEARCH, VISIBILITY],
        responses={200: NoteSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(responses={200: NoteSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Write a note on the case",
        request=NoteCreateSerializer,
        parameters=[IDEMPOTENCY_KEY],
        responses={201: NoteSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class NoteViewSet(
    AccessLoggingMixin,
    _OfCaseFile,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Notes on a case: never deleted; a correction is a new version, the old text kept."""

    serializer_class = NoteSerializer
    perms_by_method = {"GET": "casework.view_casenote", "POST": "casework.add_casenote"}
    perms_by_action = {"correct": "casework.change_casenote"}
    http_method_names = ["get", "post", "head", "options"]
    pagination_class = CursorPage
    filter_backends: list[Any] = []

    def get_queryset(self) -> QuerySet[CaseNote]:
        if getattr(self, "swagger_fake_view", False):
            return CaseNote.objects.none()
        params = self.request.query_params
        visibility = params.get("visibility", "")
        if visibility and visibility not in Visibility.values:
            raise serializers.ValidationError({"visibility": [f"One of {Visibility.values}."]})
        return selectors.case_notes(
            user=self.request.user,
            application=self.application,
            search=params.get("search", "") if self.action == "list" else "",
            visibility=visibility if self.action == "list" else "",
        )

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = NoteCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        note = services.note_add(
            actor=request.user, application=self.application, **serializer.validated_data
        )
        return self.respond(self.get_queryset().get(pk=note.pk), status_code=201)

    @extend_schema(
        summary="Correct a note",
        description=(
            "Only its author may. The correction is a new version; every earlier text stays "
            "in `versions`. Send `If-Match` with the ETag you read: a correction made "
            "meanwhile is 412 (or 409 if it lands between the check and the write)."
        ),
        request=NoteCorrectionSerializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: NoteSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="corrections")
    def correct(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        note = self.get_object()
        serializer = NoteCorrectionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(note)
        services.note_correct(
            actor=request.user,
            note=note,
            expected_version=self.expected_version(),
            **serializer.validated_data,
        )
        return self.respond(self.get_queryset().get(pk=note.pk))


class DocumentMultiPart(MultiPartParser):
    """``multipart/form-data``: a file and the fields beside it."""


@extend_schema_view(
    list=extend_schema(
        summary="Documents of the case",
        responses={200: DocumentSerializer(many=True), **ERROR_RESPONSES},
    ),
    retrieve=extend_schema(responses={200: DocumentSerializer, **ERROR_RESPONSES}),
    create=extend_schema(
        summary="Upload a document to the case",
        request={"multipart/form-data": DocumentUploadSerializer},
        parameters=[IDEMPOTENCY_KEY],
        responses={201: DocumentSerializer, **WRITE_ERROR_RESPONSES},
    ),
)
class DocumentViewSet(
    AccessLoggingMixin,
    _OfCaseFile,
    ApiViewSetMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    viewsets.GenericViewSet,
):
    """Documents of a case: uploaded as multipart, checked by content, versions kept,
    downloads permission-checked and access-logged. Never deleted."""

    serializer_class = DocumentSerializer
    perms_by_method = {"GET": "casework.view_casedocument", "POST": "casework.add_casedocument"}
    perms_by_action = {"new_version": "casework.change_casedocument"}
    http_method_names = ["get", "post", "head", "options"]
    pagination_class = CursorPage
    filter_backends: list[Any] = []
    parser_classes = [DocumentMultiPart, FormParser, JSONParser]

    def get_queryset(self) -> QuerySet[CaseDocument]:
        if getattr(self, "swagger_fake_view", False):
            return CaseDocument.objects.none()
        return selectors.case_documents(user=self.request.user, application=self.application)

    def idempotency_digest(self, request: Any) -> str:
        """The parts as parsed (fields, and each file's name, type and SHA-256): the raw body
        of a large upload is more than Django reads into memory."""
        digest = hashlib.sha256()
        for key in sorted(request.data.keys()):
            if key in request.FILES:
                continue
            for value in request.data.getlist(key) if hasattr(request.data, "getlist") else []:
                digest.update(f"{key}={value}\n".encode())
        for key in sorted(request.FILES.keys()):
            for upload in request.FILES.getlist(key):
                digest.update(f"{key}:{upload.name}:{upload.content_type}:".encode())
                for chunk in upload.chunks():
                    digest.update(chunk)
                upload.seek(0)
        return digest.hexdigest()

    def create(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        serializer = DocumentUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        document = services.document_add(
            actor=request.user, application=self.application, **serializer.validated_data
        )
        return self.respond(self.get_queryset().get(pk=document.pk), status_code=201)

    @extend_schema(
        summary="Upload a new version of the document",
        description="The old versions stay and can still be downloaded. Send `If-Match`.",
        request={"multipart/form-data": DocumentNewVersionSerializer},
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={201: DocumentSerializer, **WRITE_ERROR_RESPONSES},
    )
    @action(detail=True, methods=["post"], url_path="versions")
    def new_version(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        document = self.get_object()
        serializer = DocumentNewVersionSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        self.check_if_match(document)
        services.document_add_version(
            actor=request.user,
            document=document,
            file=serializer.validated_data["file"],
            expected_version=self.expected_version(),
        )
        return self.respond(self.get_queryset().get(pk=document.pk), status_code=201)

    @extend_schema(
        summary="Download the document's file",
        description=(
            "The newest version, or `?version=n`. Served with the type its content declares, "
            "as an attachment; every download is written to the access log."
        ),
        parameters=[OpenApiParameter("version", int, description="A version number.")],
        responses={
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/jpeg"): OpenApiResponse(OpenApiTypes.BINARY),
            (200, "image/png"): OpenApiResponse(OpenApiTypes.BINARY),
            **ERROR_RESPONSES,
        },
    )
    @action(detail=True, methods=["get"], url_path="download", pagination_class=None)
    def download(self, request: Any, *args: Any, **kwargs: Any) -> FileResponse:
        raw = request.query_params.get("version")
        number = None
        if raw is not None:
            try:
                number = StrictIntegerField(min_value=1).run_validation(raw)
            except serializers.ValidationError as exc:
                raise serializers.ValidationError({"version": exc.detail}) from exc
        try:
            version, handle = services.document_open(
                actor=request.user,
                document_id=int(kwargs["pk"]),
                application=self.application,
                number=number,
                via="api",
            )
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        response = FileResponse(
            handle,
            content_type=version.content_type,
            as_attachment=True,
            filename=(
                f"case-document-{version.document_id}-v{version.number}"
                f"{EXTENSIONS.get(version.content_type, ('',))[0]}"
            ),
        )
        response["Cache-Control"] = "no-store, private"
        return response
