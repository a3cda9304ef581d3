"""The access log: who opened, listed, searched, exported or downloaded whose data, and why.

Asylum files hold persecution grounds, religion, health and family: GDPR art. 9 data whose
leak can endanger people and their relatives. The authority must be able to answer "who has
looked at this file?" (GDPR art. 5(2) accountability, art. 32 security of processing), so
every read path of personal data writes one ``AccessLog`` row:

- ``access_log(user=, action=, objects=, purpose=, query=, count=, via=)``: the one writer.
- ``AccessLoggedAdminMixin``: put it first in a ``ModelAdmin``'s bases. It logs the change
  page and the history page of an object ("view"), every list page ("list", or "search" with
  the *shape* of the search, never its words: "search by name", and the ids on the page), and
  admin autocomplete lookups. With ``ACCESS_PURPOSE_REQUIRED`` it asks for a purpose before
  opening a case assigned to someone else.
- ``AccessLoggedViewSetMixin``: put it first in a DRF ``GenericViewSet``'s bases. It scopes
  ``get_queryset`` with ``casework.privacy.scopes.visible_to`` and logs ``retrieve`` ("view") and
  ``list`` ("list"/"search", the ids on the page, the names of the query parameters only),
  and drops from its serializer the fields the user's role must not see (grounds, reasons).

Exports and downloads call ``access_log`` themselves with ``action=AccessLog.Action.EXPORT``
or ``DOWNLOAD``. Rows are append-only (see ``AccessLog``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.contrib.admin.utils import unquote
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from casework.people.identity import is_valid_registration_number, parse_reference
from casework.privacy.models import AccessLog
from casework.staff.users import AnyUser, recorded_user

MAX_IDS = 200  # a list page holds at most 200 rows (list_max_show_all)
PURPOSE_SESSION_KEY = "casework_access_purpose"
# Query parameters that shape a list but do not filter it.
_NOT_FILTERS = {"q", "o", "p", "page", "page_size", "all", "_changelist_filters", "format", "e"}


def access_log(
    *,
    user: AnyUser | None,
    action: str,
    objects: Iterable[Any] = (),
    purpose: str = "",
    query: str = "",
    count: int | None = None,
    via: str = "admin",
    model: Any = None,
    save: bool = True,
) -> AccessLog:
    """Write one access-log row for ``objects`` (model instances or ids of ``model``); with
    ``save=False`` only build it, for a caller that writes several rows in one ``INSERT``."""
    objects = list(objects)
    ids = [getattr(obj, "pk", obj) for obj in objects]
    if model is None and objects and hasattr(objects[0], "_meta"):
        model = type(objects[0])
    label = model._meta.label_lower if hasattr(model, "_meta") else str(model or "")
    single = action in (AccessLog.Action.VIEW, AccessLog.Action.DOWNLOAD) and len(ids) == 1
    row = AccessLog(
        user=recorded_user(user),
        action=action,
        model=label,
        object_id=ids[0] if single else None,
        object_ids=ids[:MAX_IDS],
        count=len(ids) if count is None else count,
        # A parameter's name is the client's text: a NUL byte, which PostgreSQL's text refuses,
        # would turn a read into a server error.
        query=query.replace("\x00", "")[:200],
        purpose=purpose.replace("\x00", "")[:300],
        via=via,
    )
    if save:
        row.save(force_insert=True)
    return row


def access_log_with_page(request: HttpRequest, **row: Any) -> None:
    """Log a read that a page shows beside its own object (the case page shows the holder's
    residence permits) with the page's own row: both in one ``INSERT`` when the page is
    logged (``AccessLoggedAdminMixin``), a round trip fewer on a page opened all day. The
    arguments are ``access_log``'s."""
    pending = getattr(request, "_access_more", [])
    pending.append(access_log(**row, save=False))
    request._access_more = pending  # type: ignore[attr-defined]


def describe_search(term: str) -> str:
    """The shape of a search term, never the term: a name typed in a search box is data."""
    term = (term or "").strip()
    if not term:
        return ""
    if parse_reference(term) is not None:
        return "search by case reference"
    if is_valid_registration_number(term.replace(" ", "")):
        return "search by registration number"
    if term.replace(" ", "").isdigit():
        return "search by number"
    return "search by name"


def describe_filters(params: Iterable[str]) -> str:
    names = sorted({p.split("__")[0] for p in params if p not in _NOT_FILTERS})
    return f"filters: {', '.join(names)}" if names else ""


def _shape(term: str, params: Iterable[str]) -> str:
    return "; ".join(part for part in (describe_search(term), describe_filters(params)) if part)


def case_access_history(application: Any, viewer: Any = None, limit: int = 50) -> list[AccessLog]:
    """Who has opened this case or its applicant's page, newest first.

    An auditor's reads are shown only to auditors and superusers: an inquiry into a staff
    member's conduct must not be announced to them on the case page.
    """
    from django.db.models import Q

    from casework.staff.choices import Role
    from casework.staff.roles import has_role

    rows = AccessLog.objects.filter(
        Q(model="casework.application", object_id=application.pk)
        | Q(model="casework.person", object_id=application.person_id)
    )
    if viewer is not None and not (viewer.is_superuser or has_role(viewer, Role.AUDITOR)):
        rows = rows.exclude(user__groups__name=Role.AUDITOR.value)
    return list(rows.select_related("user").order_by("-at", "-id")[:limit])


def _purpose_key(obj: Any) -> str:
    return f"{obj._meta.label_lower}:{obj.pk}"


def purpose_for(request: HttpRequest, obj: Any) -> str:
    session = getattr(request, "session", None)
    if session is None:
        return ""
    return session.get(PURPOSE_SESSION_KEY, {}).get(_purpose_key(obj), "")


class AccessLoggedAdminMixin:
    """Log every admin read of the model: change and history pages, lists, autocomplete."""

    access_via = "admin"

    def get_object(self, request: HttpRequest, object_id: str, from_field: Any = None) -> Any:
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        request._access_object = obj  # type: ignore[attr-defined]
        return obj

    def access_purpose_required(self, request: HttpRequest, obj: Any) -> bool:
        """A purpose is asked before opening a case assigned to someone else (if configured)."""
        from casework.staff.roles import has_role

        if not getattr(settings, "ACCESS_PURPOSE_REQUIRED", False):
            return False
        if request.user.is_superuser or not hasattr(obj, "assigned_to_id"):
            return False
        from casework.staff.choices import Role

        if not has_role(request.user, Role.CASEWORKER, Role.DECISION_MAKER):
            return False
        return obj.assigned_to_id != request.user.pk

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        if request.method == "POST" and "_access_purpose" in request.POST:
            return self._record_purpose(request, object_id)
        if request.method == "GET" and getattr(settings, "ACCESS_PURPOSE_REQUIRED", False):
            obj = self.get_object(request, unquote(object_id))
            if (
                obj is not None
                and self.access_purpose_required(request, obj)
                and not purpose_for(request, obj)
            ):
                return self._purpose_page(request, obj)
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        self._log_object_view(request, response, query="")
        return response

    def history_view(self, request: HttpRequest, object_id: str, extra_context: Any = None) -> Any:
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        if response.status_code == 200 and getattr(request, "_access_object", None) is None:
            self.get_object(request, unquote(object_id))  # simple-history's view does not
        self._log_object_view(request, response, query="history")
        return response

    def _log_object_view(self, request: HttpRequest, response: HttpResponse, query: str) -> None:
        obj = getattr(request, "_access_object", None)
        rows = getattr(request, "_access_more", [])  # reads the page showed beside it
        request._access_more = []  # type: ignore[attr-defined]
        if request.method == "GET" and response.status_code == 200 and obj is not None:
            rows.insert(
                0,
                access_log(
                    user=request.user,
                    action=AccessLog.Action.VIEW,
                    objects=[obj],
                    purpose=purpose_for(request, obj),
                    query=query,
                    via=self.access_via,
                    save=False,
                ),
            )
        if rows:
            AccessLog.objects.bulk_create(rows)

    def _purpose_page(self, request: HttpRequest, obj: Any) -> HttpResponse:
        opts = self.model._meta  # type: ignore[attr-defined]
        return TemplateResponse(
            request,
            "admin/casework/access_purpose.html",
            {
                **self.admin_site.each_context(request),  # type: ignore[attr-defined]
                "title": _("Why are you opening this file?"),
                "opts": opts,
                "original": obj,
            },
        )

    def _record_purpose(self, request: HttpRequest, object_id: str) -> HttpResponse:
        obj = self.get_object(request, unquote(object_id))
        if obj is None:
            return HttpResponseRedirect("../")
        purpose = " ".join(request.POST.get("_access_purpose", "").split())[:300]
        if not purpose:
            return self._purpose_page(request, obj)
        stored = dict(request.session.get(PURPOSE_SESSION_KEY, {}))
        stored[_purpose_key(obj)] = purpose
        request.session[PURPOSE_SESSION_KEY] = stored
        return HttpResponseRedirect(request.path)

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> Any:
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        context = getattr(response, "context_data", None) or {}
        changelist = context.get("cl")
        if request.method == "GET" and response.status_code == 200 and changelist is not None:
            term = changelist.query
            access_log(
                user=request.user,
                action=AccessLog.Action.SEARCH if term else AccessLog.Action.LIST,
                objects=[obj.pk for obj in changelist.result_list],
                model=self.model,  # type: ignore[attr-defined]
                query=_shape(term, request.GET.keys()),
                count=changelist.result_count,
                via=self.access_via,
            )
        return response

    def get_paginator(self, request: HttpRequest, queryset: Any, *args: Any, **kwargs: Any) -> Any:
        # The admin's autocomplete view asks the model admin for its paginator with the final,
        # searched queryset: the one hook no ``get_search_results`` override can skip.
        term = request.GET.get("term", "")
        if request.path.endswith("/autocomplete/") and term:
            access_log(
                user=request.user,
                action=AccessLog.Action.SEARCH,
                objects=list(queryset.values_list("pk", flat=True)[:20]),
                model=self.model,  # type: ignore[attr-defined]
                query=f"autocomplete {describe_search(term)}",
                via=self.access_via,
            )
        return super().get_paginator(request, queryset, *args, **kwargs)  # type: ignore[misc]


class AccessLoggingMixin:
    """DRF: log ``retrieve`` ("view") and ``list`` ("list"/"search", the ids on the page, the
    names of the query parameters only) of a view set whose queryset is already scoped (the
    records of one case: its interviews, decisions and events; the user's own reminders).
    ``AccessLoggedViewSetMixin`` adds the scoping; ``tests/security/test_every_read_logged.py``
    holds every API route to one of the two."""

    access_via = "api"
    request: Any

    def get_object(self) -> Any:
        obj = super().get_object()  # type: ignore[misc]
        self._access_object = obj
        return obj

    def paginate_queryset(self, queryset: Any) -> Any:
        page = super().paginate_queryset(queryset)  # type: ignore[misc]
        self._access_page = page if page is not None else queryset
        return page

    def retrieve(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().retrieve(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 200 and getattr(self, "_access_object", None) is not None:
            access_log(
                user=request.user,
                action=AccessLog.Action.VIEW,
                objects=[self._access_object],
                via=self.access_via,
            )
        return response

    def list(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        response = super().list(request, *args, **kwargs)  # type: ignore[misc]
        if response.status_code == 200:
            page = getattr(self, "_access_page", None) or []
            params = list(request.query_params.keys())
            term = request.query_params.get("search", "")
            access_log(
                user=request.user,
                action=AccessLog.Action.SEARCH if term else AccessLog.Action.LIST,
                objects=[obj.pk for obj in page],
                model=self.get_queryset().model,  # type: ignore[attr-defined]
                query=_shape(term, [p for p in params if p != "search"]),
                via=self.access_via,
            )
        return response


class AccessLoggedViewSetMixin(AccessLoggingMixin):
    """DRF: scope the queryset to the user and log ``retrieve`` and ``list``.

    Put it first in the bases of a ``GenericViewSet``/``ModelViewSet``::

        class ApplicationViewSet(AccessLoggedViewSetMixin, viewsets.ReadOnlyModelViewSet):
            queryset = Application.objects.select_related("person")

    A guessed id outside the user's scope is a 404, like an id that does not exist. The log
    records the ids on the page and the *names* of the query parameters, never their values.
    """

    def get_queryset(self) -> Any:
        from casework.privacy.scopes import visible_to

        return visible_to(self.request.user, super().get_queryset())  # type: ignore[misc]

    def get_serializer(self, *args: Any, **kwargs: Any) -> Any:
        """Drop the fields this user's role must not see (``scopes.SENSITIVE_FIELDS``)."""
        from casework.privacy.scopes import hidden_fields

        serializer = super().get_serializer(*args, **kwargs)  # type: ignore[misc]
        if getattr(self, "swagger_fake_view", False):  # drf-spectacular documents every field
            return serializer
        hidden = hidden_fields(self.request.user, self.get_queryset().model)
        if hidden:
            target = getattr(serializer, "child", serializer)
            for name in hidden:
                target.fields.pop(name, None)
        return serializer
