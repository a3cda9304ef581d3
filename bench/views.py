"""The baselines: the fastest plain Django/DRF way to do what the product's page does.

Every staff baseline restricts its rows the way the product does for the bench's user, the
demo caseworker (their unit's cases and what hangs on them), written the plain way: one query
for the user's roles and unit, then a filter. They exist only in the bench URLconf.
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import HttpRequest, HttpResponse
from django.template import engines
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import DetailView, ListView
from rest_framework import generics, serializers
from rest_framework.authentication import TokenAuthentication
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView

from casework.models import Application

ONE_LINE = engines["django"].from_string("<p>{{ state }}</p>\n")
PAGE_SIZE = 100  # the admin's list_per_page


@csrf_exempt
def bare_status(request: HttpRequest) -> HttpResponse:
    """Fetch the case by its unique reference (indexed) and render a one-line template."""
    row = (
        Application.objects.filter(reference=request.POST.get("reference", "").upper())
        .values("state", "person__date_of_birth")
        .first()
    )
    return HttpResponse(ONE_LINE.render({"state": row["state"] if row else "-"}))


def floor_status(request: HttpRequest) -> HttpResponse:
    """The status page's floor: the bare view plus what the page must do before it may show a
    case, the product's own code for each: the CSRF check (the middleware; this view is not
    exempt), the form's validation of the reference and birth date, the tries counted against
    the address's and the reference's budgets before the case is read and given back after
    (the security design's rate limits, in Redis), and the product's one statement that reads
    the case with the figures the page shows and writes the try's log row. Then the bare
    view's one-line template. What ours costs beyond this is the page itself: the text built
    in the applicant's language, the template, the device cookie."""
    from django.utils import timezone

    from casework.status import views as status
    from casework.status.selectors import application_for_applicant

    form = status.LookupForm(request.POST)
    if not form.is_valid():
        return HttpResponse(status=400)
    reference = status.reference_key(str(request.POST.get("reference", "")))
    if status._limited(request, reference):
        return HttpResponse(status=429)
    date_of_birth = form.cleaned_data["date_of_birth"]
    application = application_for_applicant(
        reference=form.cleaned_data["reference"],
        date_of_birth=date_of_birth,
        now=timezone.now(),
        log=status._lookup_row(request, reference=reference, date_of_birth=date_of_birth),
    )
    if application is not None:
        status._give_back(reference)
    return HttpResponse(ONE_LINE.render({"state": application.state if application else "-"}))


# --- the caseworker's scope, written plainly ---------------------------------------------------


def unit_of(user: Any) -> int | None:
    """The user's unit if they are a caseworker or decision-maker (one query), else None."""
    rows = (
        get_user_model()
        .objects.filter(pk=user.pk)
        .values_list("groups__name", "staff_profile__unit_id")
    )
    roles = {name for name, _unit in rows}
    if not roles & {"Caseworker", "Decision-maker"}:
        return None
    return rows[0][1] if rows else None


def scoped(model: Any, user: Any) -> QuerySet:
    """``model``'s rows of the user's unit: a case by its unit, a row hanging on a case by the
    case's unit, a person by any case of the unit (or none yet), a reminder by its deadline's
    case, an audit event by its case (or, with none, its person)."""
    from casework.core.statements import ProbeExists
    from casework.models import Deadline, Person

    unit = unit_of(user)
    qs = model.objects.all()
    if unit is None:
        return qs.none()
    of_unit = Application.objects.filter(unit_id=unit)
    if model is Application:
        return qs.filter(unit_id=unit)
    if model is Person:
        return qs.filter(
            Exists(of_unit.filter(person=OuterRef("pk")))
            | Q(~Exists(Application.objects.filter(person=OuterRef("pk"))), merged_into=None)
        )
    names = {f.name for f in model._meta.get_fields() if f.many_to_one and f.concrete}
    # A row that may hang on a case or a person is asked of its own case or person, each
    # through its index (``ProbeExists``: an ``EXISTS`` PostgreSQL may not turn into a hashed
    # ``IN``). Written as ``person IN (every visible person)`` under the ``OR``, the plain way,
    # PostgreSQL builds the whole list of a million people before the first row: the bare
    # deadline, reminder and audit lists ran past 60 s at a million cases, and a baseline that
    # never answers measures nothing.
    if model.__name__ == "Reminder":
        return qs.filter(Exists(scoped(Deadline, user).filter(pk=OuterRef("deadline_id"))))
    if "application" in names and "person" in names:
        own_case = Application.objects.filter(pk=OuterRef("application_id"), unit_id=unit)
        own_person = scoped(Person, user).filter(pk=OuterRef("person_id"))
        return qs.filter(
            Q(ProbeExists(own_case)) | Q(application=None) & Q(ProbeExists(own_person))
        )
    if "application" in names:
        return qs.filter(application__unit_id=unit)
    if "person" in names:
        return qs.filter(person__in=scoped(Person, user).values("pk"))
    return qs.none()


# --- admin baselines ----------------------------------------------------------------------------

LIST = engines["django"].from_string(
    "<table>{% for pk, cells in rows %}<tr><td><a href='{{ pk }}/'>{{ pk }}</a></td>"
    "{% for c in cells %}<td>{{ c }}</td>{% endfor %}</tr>{% endfor %}</table>\n"
)
DETAIL = engines["django"].from_string(
    "<dl>{% for f, v in fields %}<dt>{{ f }}</dt><dd>{{ v }}</dd>{% endfor %}</dl>\n"
)


class BareList(LoginRequiredMixin, ListView):
    """A page of the model's rows in the user's scope, in the admin list's order and page size,
    the admin list's columns that are plain fields (foreign keys joined), no count, one
    template: ``ListView`` with ``paginate_by`` would count the whole scope, so a
    page is a slice."""

    model: Any = None
    ordering: Any = ("-pk",)
    page_size = PAGE_SIZE
    columns: tuple[str, ...] = ()  # the admin list's columns that are the model's fields
    related: tuple[str, ...] = ()  # those of them that are foreign keys (one join each)

    def get_queryset(self) -> QuerySet:
        qs = scoped(self.model, self.request.user).select_related(*self.related)
        return qs.order_by(*self.ordering)[: self.page_size]

    def render_to_response(self, context: dict, **kwargs: Any) -> HttpResponse:
        rows = [(o.pk, [getattr(o, c) for c in self.columns]) for o in context["object_list"]]
        return HttpResponse(LIST.render({"rows": rows}))


class BareDetail(LoginRequiredMixin, DetailView):
    """One row in the user's scope, every concrete field rendered."""

    model: Any = None

    def get_queryset(self) -> QuerySet:
        return scoped(self.model, self.request.user)

    def render_to_response(self, context: dict, **kwargs: Any) -> HttpResponse:
        obj = context["object"]
        fields = [(f.name, f.value_from_object(obj)) for f in obj._meta.concrete_fields]
        return HttpResponse(DETAIL.render({"fields": fields}))


def bare_admin_views() -> dict[str, Any]:
    """``app_label/model`` → (list view, detail view) for each model the admin rows measure."""
    from django.apps import apps
    from django.contrib import admin

    views = {}
    for label in BARE_ADMIN_MODELS:
        model = apps.get_model(label)
        registered = admin.site.get_model_admin(model) if admin.site.is_registered(model) else None
        ordering = (registered and registered.ordering) or model._meta.ordering or ("-pk",)
        page_size = registered.list_per_page if registered else PAGE_SIZE
        fields = {f.name: f for f in model._meta.concrete_fields}
        shown = registered.list_display if registered else ("__str__",)
        columns = tuple(n for n in shown if isinstance(n, str) and n in fields)
        related = tuple(n for n in columns if fields[n].is_relation)
        views[label.lower().replace(".", "/")] = (
            BareList.as_view(
                model=model,
                ordering=tuple(ordering),
                page_size=page_size,
                columns=columns,
                related=related,
            ),
            BareDetail.as_view(model=model),
        )
    return views


BARE_ADMIN_MODELS = (
    "casework.Application",
    "casework.Person",
    "casework.Deadline",
    "casework.Reminder",
    "casework.AuditEvent",
)


def floor_admin_site() -> Any:
    """The admin's floor: Django's own ``ModelAdmin`` over the same rows as ``BareList`` and
    ``BareDetail`` (the caseworker's scope written plainly, the product's ordering, page size
    and plain-field columns), with nothing of the product's own: no timeline, inlines, computed
    columns, filters, search, actions or access log. Two concessions to a million rows, which
    a stock ``ModelAdmin`` would not survive: the product's capped count (a stock list counts
    the whole scope, twice) and foreign keys as raw ids (a stock form lists every person in a
    select box). Read-only, as the caseworker's case page is (a view page, not a form). What
    the admin framework itself costs beside a bare view is this page's ratio; what the
    product adds is ours over it."""
    from django.apps import apps
    from django.contrib import admin
    from django.contrib.admin import sites

    from casework.admin.base import CappedCountPaginator

    site = admin.AdminSite(name="bench_floor")
    # Not one of the product's sites (only the bench URLconf serves it): the whole-system
    # walks of every admin site (writes through services, lawyers' scope) are about those.
    sites.all_sites.discard(site)
    for label in BARE_ADMIN_MODELS:
        model = apps.get_model(label)
        registered = admin.site.get_model_admin(model)
        fields = {f.name: f for f in model._meta.concrete_fields}
        columns = [n for n in registered.list_display if isinstance(n, str) and n in fields]
        relations = [
            f.name for f in model._meta.get_fields()
            if (f.many_to_one or f.many_to_many) and f.concrete and f.editable
        ]  # fmt: skip

        def get_queryset(self: Any, request: HttpRequest, model: Any = model) -> QuerySet:
            return scoped(model, request.user)

        floor = type(
            f"Floor{model.__name__}Admin",
            (admin.ModelAdmin,),
            {
                "list_display": ["__str__", *columns],
                "ordering": registered.ordering or model._meta.ordering or ("-pk",),
                "list_per_page": registered.list_per_page,
                "paginator": CappedCountPaginator,
                "show_full_result_count": False,
                "raw_id_fields": relations,
                "actions": None,
                "get_queryset": get_queryset,
                # read-only: a floor is for reading; writes go through the product's services
                "has_add_permission": lambda self, request, obj=None: False,
                "has_change_permission": lambda self, request, obj=None: False,
                "has_delete_permission": lambda self, request, obj=None: False,
            },
        )
        site.register(model, floor)
    return site


# --- statistics baseline ----------------------------------------------------------------------

STATISTICS_TABLE = "bench_statistics"  # slug, body (the table as JSON), made by the bench row
STATISTICS_PAGE = engines["django"].from_string(
    "{% for t in tables %}<h2>{{ t.title }}</h2><table>{% for r in t.rows %}<tr>"
    "{% for v in r.values %}<td>{{ v }}</td>{% endfor %}</tr>{% endfor %}</table>{% endfor %}\n"
)


def bare_statistics(request: HttpRequest) -> HttpResponse:
    """Precomputed statistics rows read back: ``?slug=`` one table's JSON as stored, without
    it every table rendered as HTML (the admin page's work when nothing is computed)."""
    import json

    from django.db import connection

    if not request.user.is_authenticated and not TokenAuthentication().authenticate(request):
        return HttpResponse(status=403)
    slug = request.GET.get("slug")
    with connection.cursor() as cur:
        if slug:
            cur.execute(f"SELECT body FROM {STATISTICS_TABLE} WHERE slug = %s", [slug])
            row = cur.fetchone()
            return HttpResponse(row[0] if row else "{}", content_type="application/json")
        cur.execute(f"SELECT body FROM {STATISTICS_TABLE} ORDER BY slug")
        tables = [json.loads(body) for (body,) in cur.fetchall()]
    return HttpResponse(STATISTICS_PAGE.render({"tables": tables}))


class FloorStatisticsTable(APIView):
    """The statistics API's floor: the bare view's read of one precomputed table, through
    DRF's ``APIView`` with the product's authentication, permission and throttle classes (the
    project's defaults: the token with the user's roles in one statement, the per-user rate
    limit's Redis counter). What the API costs beyond this is its own: the permission to read
    statistics, the stored body's parameters and ``computed_at``, the ``ETag``."""

    def get(self, request: Any) -> HttpResponse:
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                f"SELECT body FROM {STATISTICS_TABLE} WHERE slug = %s",  # nosec B608
                [request.query_params.get("slug", "")],
            )
            row = cur.fetchone()
        return HttpResponse(row[0] if row else "{}", content_type="application/json")


# --- API baseline -------------------------------------------------------------------------------


class BareApplicationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Application
        fields = "__all__"


class BarePage(CursorPagination):
    page_size = 25
    ordering = "-id"


class BareApplicationList(generics.ListAPIView):
    """``ListAPIView`` + ``ModelSerializer``, the caseworker's unit scope and the same filters
    applied by hand."""

    serializer_class = BareApplicationSerializer
    authentication_classes = [TokenAuthentication]
    permission_classes = [IsAuthenticated]
    throttle_classes: list = []
    pagination_class = BarePage
    filter_backends: list = []

    def get_queryset(self) -> QuerySet:
        qs = scoped(Application, self.request.user)
        params = self.request.query_params
        if params.getlist("state"):
            qs = qs.filter(state__in=params.getlist("state"))
        if params.get("kind"):
            qs = qs.filter(kind=params["kind"])
        if params.get("nationality"):
            qs = qs.filter(person__nationality=params["nationality"].upper())
        return qs
