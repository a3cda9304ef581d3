"""Conventions every viewset of the REST API follows, in one module other apps reuse.

Outside clients (police registration, municipalities, reception-centre operators) are
generated from the OpenAPI schema, so every endpoint must behave the same way. Adopt these in
any app's ``api/views.py`` (reception, integration) instead of re-inventing them:

``ApiViewSetMixin`` (all three below, plus role permissions and cursor pagination)::

    from casework.api.base import ApiViewSetMixin

    class PlacementViewSet(ApiViewSetMixin, viewsets.ModelViewSet):
        perms_by_method = {"GET": "reception.view_placement", "POST": "reception.add_placement"}
        ...

``ETagMixin``
    ``retrieve`` answers with an ``ETag`` (a model's ``version`` if it has one, else a hash
    of the representation) and 304 to a matching ``If-None-Match``. Writes call
    ``self.check_if_match(obj)``: a stale ``If-Match`` gives **412**; a missing one gives
    **428** when ``settings.API_REQUIRE_IF_MATCH`` is on. For versioned models, pass
    ``self.expected_version()`` to the service so the check is repeated under the row lock
    (a change between the two checks is a 409 from the service). ``self.respond(obj)``
    returns an object with its ``ETag``.

``IdempotencyMixin``
    A POST with an ``Idempotency-Key`` header runs in one transaction with the insertion of an
    ``IdempotencyKey`` row (unique per user and key). A retry returns the stored first
    response (with ``Idempotent-Replayed: true``); a concurrent retry waits on the row lock
    and then replays; the same key with a different method, path or body is **422**. Only
    successful responses are kept: after a 4xx nothing was done, and the corrected request
    may reuse the key. Keys expire after ``settings.API_IDEMPOTENCY_TTL`` seconds.

``TransitionsMixin``
    Declare ``transition_names`` and ``transition_inputs`` (name -> input serializer) and
    implement ``available_transitions(obj)`` and ``perform_transition(obj, name, data)``.
    The mixin adds ``GET {id}/transitions/`` (what this user may do now, with the fields each
    needs) and one documented ``POST {id}/transitions/{name}/`` operation per transition.
    Services raise ``TransitionInvalid`` (400), ``PermissionDenied`` (403) and
    ``TransitionConflict`` (409); ``api_exception_handler`` maps them.

Nothing here knows about applications: casework's own viewsets use it like any other app.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.decorators import action
from rest_framework.pagination import BasePagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from casework.api.fields import (
    IsoDateField,
    IsoDateTimeField,
    StrictIntegerField,
)
from casework.api.models import IdempotencyKey
from casework.api.pagination import CursorPage
from casework.core.exceptions import TransitionConflict
from casework.staff.roles import load_roles_and_permissions
from casework.transitions.declaration import (
    BOOLEAN,
    CHOICE,
    DATE,
    INTEGER,
    LONG_TEXT,
    TEXT,
    Input,
    Transition,
)
from casework.transitions.services import Workflow

# --- Errors ---------------------------------------------------------------------------------


class PreconditionFailed(exceptions.APIException):
    status_code = status.HTTP_412_PRECONDITION_FAILED
    default_detail = _("The record changed since you read it. Reload it and try again.")
    default_code = "precondition_failed"


class PreconditionRequired(exceptions.APIException):
    status_code = status.HTTP_428_PRECONDITION_REQUIRED
    default_detail = _("Send If-Match with the ETag of the record you read.")
    default_code = "precondition_required"


class KeyReused(exceptions.APIException):
    status_code = status.HTTP_422_UNPROCESSABLE_ENTITY
    default_detail = _("This Idempotency-Key was already used for a different request.")
    default_code = "idempotency_key_reused"


class KeyInProgress(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = _("A request with this Idempotency-Key is still being handled.")
    default_code = "idempotency_key_in_progress"


def api_exception_handler(exc: Exception, context: dict) -> Response | None:
    """DRF's handler, plus the services' errors: invalid input 400, conflicts 409.

    ``TransitionConflict`` carries the current state so a client can reload and decide.
    """
    if isinstance(exc, OverflowError | DataError):
        # A number or date past what the database holds (``?centre=4.8e30`` in a filter, found
        # by schemathesis): the client's input, so 400, never a 500.
        return Response(
            {"detail": str(_("A value in the request is out of range."))},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, TransitionConflict):
        response = Response({"detail": str(exc.message)}, status=status.HTTP_409_CONFLICT)
        if exc.current_state:
            response.data["current_state"] = exc.current_state
        return response
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail: Any = {k: [str(m) for m in v] for k, v in exc.message_dict.items()}
        else:
            detail = {"non_field_errors": [str(m) for m in exc.messages]}
        exc = exceptions.ValidationError(detail)
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    return drf_exception_handler(exc, context)


ERROR_RESPONSES = {
    400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input, by field."),
    403: OpenApiResponse(OpenApiTypes.OBJECT, description="You may not do this."),
    404: OpenApiResponse(OpenApiTypes.OBJECT, description="Not found (or not yours to see)."),
}
WRITE_ERROR_RESPONSES = {
    **ERROR_RESPONSES,
    409: OpenApiResponse(
        OpenApiTypes.OBJECT, description="Not possible now, or another user changed it first."
    ),
    412: OpenApiResponse(OpenApiTypes.OBJECT, description="If-Match does not match the ETag."),
    422: OpenApiResponse(OpenApiTypes.OBJECT, description="Idempotency-Key reused."),
    428: OpenApiResponse(OpenApiTypes.OBJECT, description="If-Match required."),
}
IF_MATCH = OpenApiParameter(
    "If-Match",
    str,
    OpenApiParameter.HEADER,
    description="The ETag you read; the write is refused with 412 if the record changed since.",
)
IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    description="A unique key per intended action; a retry with it returns the first response.",
)


# --- Permissions and pagination --------------------------------------------------------------


class RolePermission(permissions.IsAuthenticated):
    """The model permission a role's group holds for the HTTP method (``view.perms_by_method``).

    Checked before any object is looked up, so a role without access gets 403 whatever the
    id (nothing learned); object scoping (404) is the queryset's job, object rules (403) the
    services'.
    """

    def has_permission(self, request: Any, view: Any) -> bool:
        if not super().has_permission(request, view):
            return False
        # Roles and permissions in one query, for this check and the scoping after it.
        load_roles_and_permissions(request.user)
        perms = getattr(view, "perms_by_method", {})
        method = "GET" if request.method in ("HEAD", "OPTIONS") else request.method
        by_action = getattr(view, "perms_by_action", {})
        action_name = getattr(view, "action", None)
        if action_name in by_action:
            needed = by_action[action_name]
        else:
            needed = perms.get(method, perms.get("*"))
        if needed is None:
            return method == "GET" and not perms
        needed = (needed,) if isinstance(needed, str) else needed
        # A view may let a role in on other terms than a model permission (the case file's
        # registered roles: ``role_grants``); the rows it then answers are still scoped.
        grants = getattr(view, "role_grants", None)
        return all(
            request.user.has_perm(p) or (grants is not None and grants(request.user, p))
            for p in needed
        )


# --- ETag and If-Match ----------------------------------------------------------------------


def _parse_tags(header: str, *, weak: bool = True) -> list[str]:
    """The entity tags of an ``If-Match`` or ``If-None-Match`` header.

    RFC 9110 § 13.1.1: ``If-Match`` compares strongly, so a weak tag (``W/"1"``) never
    matches there (``weak=False`` drops them); ``If-None-Match`` compares weakly (§ 13.1.2).
    """
    tags = []
    for raw in header.split(","):
        tag = raw.strip()
        if tag.startswith("W/"):
            if not weak:
                continue
            tag = tag[2:]
        if tag:
            tags.append(tag)
    return tags


class ETagMixin:
    """``ETag`` on every object; ``If-Match`` checked on writes (412 stale, 428 if required)."""

    def get_etag(self, obj: Any, data: Any = None) -> str:
        version = getattr(obj, "version", None)
        if isinstance(version, int):
            return f'"{version}"'
        if data is None:
            data = self.get_serializer(obj).data  # type: ignore[attr-defined]
        blob = json.dumps(data, sort_keys=True, cls=DjangoJSONEncoder).encode()
        return '"' + hashlib.sha256(blob).hexdigest()[:32] + '"'

    def respond(
        self, obj: Any, *, status_code: int = 200, serializer_class: Any = None
    ) -> Response:
        ser = (serializer_class or self.get_serializer_class())(  # type: ignore[attr-defined]
            obj,
            context=self.get_serializer_context(),  # type: ignore[attr-defined]
        )
        data = ser.data
        return Response(data, status=status_code, headers={"ETag": self.get_etag(obj, data)})

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        response = self.respond(obj)
        if response["ETag"] in _parse_tags(request.headers.get("If-None-Match", "")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers={"ETag": response["ETag"]})
        return response

    def check_if_match(self, obj: Any) -> None:
        header = self.request.headers.get("If-Match")  # type: ignore[attr-defined]
        if header is None:
            if getattr(settings, "API_REQUIRE_IF_MATCH", False):
                raise PreconditionRequired()
            return
        if header.strip() == "*":
            return
        if self.get_etag(obj) not in _parse_tags(header, weak=False):
            raise PreconditionFailed()

    def expected_version(self) -> int | None:
        """The version named by ``If-Match``, for services that re-check it under the lock."""
        header = self.request.headers.get("If-Match", "")  # type: ignore[attr-defined]
        tags = _parse_tags(header, weak=False)
        if len(tags) == 1 and tags[0].strip('"').isdigit():
            return int(tags[0].strip('"'))
        return None


# --- Idempotency-Key ------------------------------------------------------------------------


class _Replay(Exception):  # control flow, not an error
    def __init__(self, response: Response) -> None:
        self.response = response


def idempotency_keys_purge(*, now: dt.datetime | None = None) -> int:
    """Delete stored responses older than ``API_IDEMPOTENCY_TTL`` (run it daily from beat).

    Expired keys are also replaced lazily when reused; this keeps the table small.
    """
    ttl = dt.timedelta(seconds=getattr(settings, "API_IDEMPOTENCY_TTL", 48 * 3600))
    deleted, _ = IdempotencyKey.objects.filter(
        created_at__lt=(now or timezone.now()) - ttl
    ).delete()
    return deleted


class IdempotencyMixin:
    """Replays the first response to a POST retried with the same ``Idempotency-Key``."""

    idempotency_header = "Idempotency-Key"

    def _idempotency_key(self, request: Any) -> str | None:
        if request.method != "POST":
            return None
        key = request.headers.get(self.idempotency_header)
        return key.strip()[:255] if key and key.strip() else None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        # One transaction for the key row and the action: a concurrent retry blocks on the
        # unique index until this commits, then replays; if this fails, no key is left behind.
        if self._idempotency_key(request):
            with transaction.atomic():
                return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]

    def idempotency_digest(self, request: Any) -> str:
        """What makes two requests with one key the same request: the body's SHA-256. (A
        multipart upload's view set hashes the parsed parts instead: its body may be larger
        than Django lets a view read into memory.)"""
        return hashlib.sha256(request.body).hexdigest()

    def initial(self, request: Any, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)  # type: ignore[misc]  # auth, perms, throttles
        self._idempotency_row = None
        key = self._idempotency_key(request)
        if not key or not request.user.is_authenticated:
            return
        digest = self.idempotency_digest(request)
        ttl = dt.timedelta(seconds=getattr(settings, "API_IDEMPOTENCY_TTL", 48 * 3600))
        IdempotencyKey.objects.filter(
            user=request.user, key=key, created_at__lt=timezone.now() - ttl
        ).delete()
        try:
            with transaction.atomic():
                self._idempotency_row = IdempotencyKey.objects.create(
                    user=request.user,
                    key=key,
                    method=request.method,
                    path=request.path[:255],
                    request_hash=digest,
                )
            return
        except IntegrityError:
            pass
        row = IdempotencyKey.objects.get(user=request.user, key=key)
        if (row.method, row.path, row.request_hash) != (request.method, request.path, digest):
            raise KeyReused()
        if row.status_code is None:  # pragma: no cover - only if the first one never commits
            raise KeyInProgress()
        headers = {**row.response_headers, "Idempotent-Replayed": "true"}
        raise _Replay(Response(row.response_body, status=row.status_code, headers=headers))

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, _Replay):
            return exc.response
        return super().handle_exception(exc)  # type: ignore[misc]

    def finalize_response(self, request: Any, response: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().finalize_response(request, response, *args, **kwargs)  # type: ignore[misc]
        row = getattr(self, "_idempotency_row", None)
        if row is not None and response.status_code >= 400:
            # Nothing was done: the client may correct the request and send it with the same
            # key (as Stripe does, only results of requests that acted are kept).
            row.delete()
            self._idempotency_row = None
        elif row is not None:
            row.status_code = response.status_code
            row.response_body = getattr(response, "data", None)
            row.response_headers = {
                h: response[h] for h in ("ETag", "Location") if response.has_header(h)
            }
            row.save(update_fields=["status_code", "response_body", "response_headers"])
            self._idempotency_row = None
        return response


# --- Transitions ----------------------------------------------------------------------------


class TransitionFieldSerializer(serializers.Serializer):
    name = serializers.CharField()
    # A field named like DRF's ``Field.required``: the response's key, so the clash is meant.
    required = serializers.BooleanField()  # type: ignore[assignment]
    type = serializers.CharField()
    choices = serializers.ListField(child=serializers.CharField(), required=False)


class AvailableTransitionSerializer(serializers.Serializer):
    name = serializers.CharField()
    # Fields named like DRF's ``Field.label`` and ``Serializer.fields``: the response's keys.
    label = serializers.CharField()  # type: ignore[assignment]
    url = serializers.CharField()
    fields = TransitionFieldSerializer(many=True)  # type: ignore[assignment]


def _drf_name(field: serializers.Field) -> str:
    """The DRF field a field is: ``IntegerField`` for ``fields.StrictIntegerField``."""
    for cls in type(field).__mro__:
        if cls.__module__.startswith("rest_framework."):
            return cls.__name__
    return type(field).__name__


def describe_input(serializer_class: type[serializers.Serializer]) -> list[dict]:
    """The fields a transition needs, from its input serializer (for GET transitions/)."""
    out = []
    for name, field in serializer_class().fields.items():
        entry: dict[str, Any] = {
            "name": name,
            "required": bool(field.required),
            "type": _drf_name(field).removesuffix("Field").lower() or "string",
        }
        if isinstance(field, serializers.ChoiceField):
            entry["choices"] = [str(c) for c in field.choices]
        out.append(entry)
    return out


def _transition_action(
    name: str, input_serializer: type, summary: str, response_serializer: Any
) -> Any:
    def run(self: Any, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()
        data = input_serializer(data=request.data)
        data.is_valid(raise_exception=True)
        self.check_if_match(obj)
        obj = self.perform_transition(obj, name, dict(data.validated_data))
        return self.respond(obj)

    # The router maps the POST to the attribute named like the function: name it first.
    run.__name__ = run.__qualname__ = f"transition_{name}"
    run.__doc__ = f"Make the transition ``{name}``; returns the updated record."
    run = action(
        detail=True,
        methods=["post"],
        url_path=f"transitions/{name}",
        url_name=f"transition-{name.replace('_', '-')}",
        filter_backends=[],
        pagination_class=None,
    )(run)
    return extend_schema(
        summary=summary,
        request=input_serializer,
        parameters=[IF_MATCH, IDEMPOTENCY_KEY],
        responses={200: response_serializer, **WRITE_ERROR_RESPONSES},
    )(run)


def input_field(spec: Input) -> serializers.Field:
    """The request-body field for one declared transition input."""
    common: dict[str, Any] = {
        "required": spec.required,
        "help_text": str(spec.help_text or spec.label),
    }
    if spec.kind in (TEXT, LONG_TEXT):
        return serializers.CharField(
            allow_blank=not spec.required,
            max_length=spec.max_length,  # type: ignore[arg-type]  # None (no limit) is DRF's default
            **common,
        )
    if spec.kind == CHOICE:
        return serializers.ChoiceField(
            choices=[c for c, _label in spec.choices], allow_blank=not spec.required, **common
        )
    if spec.kind == BOOLEAN:
        return serializers.BooleanField(**{**common, "required": False})
    if spec.kind == INTEGER:
        return StrictIntegerField(
            min_value=spec.min_value,  # type: ignore[arg-type]  # None (no bound) is DRF's default
            max_value=spec.max_value,  # type: ignore[arg-type]
            **common,
        )
    if spec.kind == DATE:
        return IsoDateField(allow_null=not spec.required, **common)
    return IsoDateTimeField(allow_null=not spec.required, **common)


def transition_input(declaration: Transition, prefix: str = "") -> type[serializers.Serializer]:
    """The request body of ``POST …/transitions/{name}/``: exactly the declared inputs, so each
    transition is documented with its own body (``{prefix}{Name}Input`` in the schema)."""
    attrs: dict[str, Any] = {spec.name: input_field(spec) for spec in declaration.inputs}
    attrs["__doc__"] = str(declaration.label)
    name = f"{prefix}{declaration.name.title().replace('_', '')}Input"
    return type(name, (serializers.Serializer,), attrs)


class TransitionsMixin:
    """``GET {id}/transitions/`` and one ``POST {id}/transitions/{name}/`` per transition.

    ``workflow``: the model's ``Workflow``; every declared transition gets its operation, its
    request body built from the declaration's inputs, and its label. A transition only the
    system makes (an expiry) is documented too and answers 403, so that a client learns it
    is not theirs to make rather than that it does not exist. ``input_prefix`` keeps the
    bodies' schema names apart between models.
    """

    workflow: Workflow[Any] | None = None
    input_prefix: str = ""
    transition_names: tuple[str, ...] = ()
    transition_inputs: dict[str, type[serializers.Serializer]] = {}
    transition_labels: dict[str, str] = {}
    # The view set's own (``GenericAPIView``, ``ApiViewSetMixin``), read when a subclass is made.
    serializer_class: type[serializers.BaseSerializer[Any]] | None
    perms_by_action: dict[str, str | tuple[str, ...] | None]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if cls.workflow is not None and "workflow" in cls.__dict__:
            declared = list(cls.workflow.transitions.values())
            cls.transition_names = tuple(d.name for d in declared)
            prefix = cls.input_prefix
            cls.transition_inputs = {d.name: transition_input(d, prefix) for d in declared}
            cls.transition_labels = {d.name: str(d.label) for d in declared}
        for name in cls.transition_names:
            attr = f"transition_{name}"
            if attr in cls.__dict__:
                continue
            input_serializer = cls.transition_inputs[name]
            summary = str(cls.transition_labels.get(name, name.replace("_", " ").capitalize()))
            response = getattr(cls, "transition_response_serializer", None) or cls.serializer_class
            setattr(cls, attr, _transition_action(name, input_serializer, summary, response))
        # Seeing the record is enough to ask; who may make which transition is the object
        # rule the service checks (403), not a model permission.
        view_perm = getattr(cls, "perms_by_method", {}).get("GET")
        cls.perms_by_action = {
            **getattr(cls, "perms_by_action", {}),
            **{f"transition_{n}": view_perm for n in cls.transition_names},
        }

    def available_transitions(self, obj: Any) -> list[str]:
        raise NotImplementedError

    def perform_transition(self, obj: Any, name: str, data: dict) -> Any:
        raise NotImplementedError

    @extend_schema(
        summary="Transitions you may make now",
        responses={200: AvailableTransitionSerializer(many=True), **ERROR_RESPONSES},
    )
    @action(
        detail=True,
        methods=["get"],
        url_path="transitions",
        filter_backends=[],
        pagination_class=None,
    )
    def transitions(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        obj = self.get_object()  # type: ignore[attr-defined]
        base = request.build_absolute_uri().split("?")[0]
        items = [
            {
                "name": name,
                "label": str(self.transition_labels.get(name, name)),
                "url": f"{base}{name}/",
                "fields": describe_input(self.transition_inputs[name]),
            }
            for name in self.available_transitions(obj)
        ]
        return Response(AvailableTransitionSerializer(items, many=True).data)


class ThrottleFirstMixin:
    """Count a request against the rate limits before refusing it, not only when allowed.

    DRF checks permissions first, so an anonymous client hammering a protected endpoint
    would get an endless stream of 401s and never a 429.
    """

    def check_permissions(self, request: Any) -> None:
        super().check_throttles(request)  # type: ignore[misc]
        self._throttles_checked = True
        super().check_permissions(request)  # type: ignore[misc]

    def check_throttles(self, request: Any) -> None:
        if not getattr(self, "_throttles_checked", False):
            super().check_throttles(request)  # type: ignore[misc]


class ApiViewSetMixin(ThrottleFirstMixin, IdempotencyMixin, ETagMixin):
    """The whole convention: role permissions, cursor pages, ETags, If-Match, idempotent POST,
    rate limits counted before refusals."""

    permission_classes: Sequence[
        type[permissions.BasePermission]
        | permissions.OperandHolder
        | permissions.SingleOperandHolder
    ] = [RolePermission]
    pagination_class: type[BasePagination] | None = CursorPage
    perms_by_method: dict[str, str | tuple[str, ...]] = {}
    perms_by_action: dict[str, str | tuple[str, ...] | None] = {}
