"""Admin for the introduction programme: enrolment, plan and hours, tests, outcome."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.widgets import AutocompleteSelect
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import path, reverse
from django.utils.html import format_html_join
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.admin.base import FastListMixin, saved_as
from casework.models import AccessLog
from casework.privacy.access import access_log, describe_search
from casework.staff.choices import Role
from casework.staff.roles import has_role
from casework.staff.users import AnyUser
from reception.models import Municipality, Settlement

from .. import selectors, services
from ..choices import CefrLevel, ProgrammeElementKind, ProgrammeState, TestSkill
from ..models import (
    IntroductionProgramme,
    MunicipalityOfficer,
    NorwegianTest,
    ProgrammeElement,
)
from ..rules import municipality_ids_of
from .base import RecordAdmin, run_service

DATE = forms.DateInput({"type": "date"})


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class ElementInline(ReadOnlyInline):
    model = ProgrammeElement
    fields = ("kind", "hours_per_week", "start_on", "end_on", "provider")


class TestInline(ReadOnlyInline):
    model = NorwegianTest
    fields = ("taken_on", "skill", "level")


class SettlementChoice(forms.ModelChoiceField):
    """A settlement named with its person's registration number."""

    def label_from_instance(self, obj: Settlement) -> str:
        return f"{obj.person.registration_number} — {obj}"


class SettlementSearch(AutocompleteSelect):
    """The admin's own autocomplete widget (search as you type), asking the programme
    admin's endpoint for its suggestions: the settlements this officer may enrol from. A
    drop-down of every settlement was 36,000 options (3 MB) at the demo scale; this page
    renders only the one chosen."""

    def get_url(self) -> str:
        return reverse("admin:integration_introductionprogramme_settlements")


class EnrolForm(forms.Form):
    settlement = SettlementChoice(
        queryset=Settlement.objects.none(),
        help_text=gettext_lazy("Type the registration number or the municipality."),
    )
    start_on = forms.DateField(label=gettext_lazy("start on"), widget=DATE)
    planned_end_on = forms.DateField(label=gettext_lazy("planned end on"), widget=DATE)

    def __init__(self, *args: Any, user: AnyUser, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settlement = self.fields["settlement"]
        assert isinstance(settlement, SettlementChoice)
        settlement.queryset = selectors.settlements_for_enrolment(user)
        settlement.widget = SettlementSearch(
            IntroductionProgramme._meta.get_field("settlement"), admin.site
        )
        settlement.widget.choices = settlement.choices


class ElementForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("kind"), choices=ProgrammeElementKind.choices)
    hours_per_week = forms.DecimalField(
        label=gettext_lazy("hours per week"), max_digits=4, decimal_places=1
    )
    start_on = forms.DateField(label=gettext_lazy("start on"), widget=DATE)
    end_on = forms.DateField(label=gettext_lazy("end on"), widget=DATE, required=False)
    provider = forms.CharField(label=gettext_lazy("provider"), required=False, max_length=120)


class TestForm(forms.Form):
    level = forms.ChoiceField(label=gettext_lazy("level"), choices=CefrLevel.choices)
    skill = forms.ChoiceField(label=gettext_lazy("skill"), choices=TestSkill.choices)
    taken_on = forms.DateField(label=gettext_lazy("taken on"), widget=DATE)


class MunicipalityFilter(admin.SimpleListFilter):
    """An officer's own municipalities, everyone else's every municipality: read from the
    municipalities, where the admin's "related only" filter reads every programme for them."""

    title = gettext_lazy("municipality")
    parameter_name = "municipality__id__exact"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        found = Municipality.objects.order_by("name")
        user = request.user
        if not (user.is_superuser or has_role(user, Role.AUDITOR)):  # as programmes_visible_to
            found = found.filter(pk__in=municipality_ids_of(user))
        return [(str(pk), name) for pk, name in found.values_list("pk", "name")]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(municipality_id=value) if value and value.isdigit() else queryset


@admin.register(IntroductionProgramme)
class IntroductionProgrammeAdmin(RecordAdmin):
    workflow = services.PROGRAMMES
    selector = staticmethod(selectors.programmes_visible_to)
    list_display = (
        "id",
        "registration_number",
        "municipality",
        "state",
        "start_on",
        "planned_end_on",
        "collective_protection",
        "outcome",
    )
    list_filter = (
        "state",
        MunicipalityFilter,
        "collective_protection",
        "outcome",
    )
    search_fields = ("=person__registration_number",)
    inlines = (ElementInline, TestInline)
    extra_readonly = ("plan_warnings", "timeline")

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        # The change page shows the settlement and the municipality: read with the record.
        return super().get_queryset(request).select_related("settlement", "municipality")

    @admin.display(description=gettext_lazy("Registration number"))
    def registration_number(self, obj: IntroductionProgramme) -> str:
        return obj.person.registration_number

    @admin.display(description=gettext_lazy("Plan warnings"))
    def plan_warnings(self, obj: IntroductionProgramme) -> str:
        warnings = services.programme_warnings(obj)
        if not warnings:
            return _("None.")
        return format_html_join("", "<p class='errornote'>{}</p>", ((w,) for w in warnings))

    def extra_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        if obj.state != ProgrammeState.ENROLLED or not request.user.has_perm(
            "integration.manage_programme", obj
        ):
            return []
        return [
            (
                reverse("admin:integration_introductionprogramme_element", args=[obj.pk]),
                _("Add element"),
            ),
            (
                reverse("admin:integration_introductionprogramme_test", args=[obj.pk]),
                _("Record test"),
            ),
        ]

    def more_urls(self, wrap: Any) -> list:
        return [
            path(
                "<int:pk>/element/",
                wrap(self.element_view),
                name="integration_introductionprogramme_element",
            ),
            path(
                "<int:pk>/test/",
                wrap(self.test_view),
                name="integration_introductionprogramme_test",
            ),
            path(
                "settlements/",
                wrap(self.settlements_view),
                name="integration_introductionprogramme_settlements",
            ),
        ]

    SUGGESTIONS = 20

    def settlements_view(self, request: HttpRequest) -> JsonResponse:
        """The enrolment form's suggestions, as the admin's autocomplete widget reads them:
        settlements in the officer's municipalities with no programme yet, newest first,
        found by registration number (its start) or municipality; 20 a page. Each answer
        is access-logged like the admin's own autocomplete (the search's shape, not its
        words)."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        term = request.GET.get("term", "").strip()
        page = request.GET.get("page", "1")
        number = int(page) if page.isdigit() and 0 < int(page) < 10_000 else 1
        found = selectors.settlements_for_enrolment(request.user).filter(
            introduction_programmes__isnull=True
        )
        digits = term.replace(" ", "")
        if digits.isdigit():
            found = found.filter(person__registration_number__startswith=digits[:12])
        elif term:
            found = found.filter(municipality__name__istartswith=term[:60])
        start = (number - 1) * self.SUGGESTIONS
        rows = list(found[start : start + self.SUGGESTIONS + 1])
        shown = rows[: self.SUGGESTIONS]
        # Without a term the first suggestions are a list of names all the same.
        access_log(
            user=request.user,
            action=AccessLog.Action.SEARCH if term else AccessLog.Action.LIST,
            objects=shown,
            model=Settlement,
            query=f"autocomplete {describe_search(term)}".strip(),
        )
        label = SettlementChoice(queryset=found).label_from_instance
        return JsonResponse(
            {
                "results": [{"id": str(s.pk), "text": label(s)} for s in shown],
                "pagination": {"more": len(rows) > self.SUGGESTIONS},
            }
        )

    def _back(self, obj: IntroductionProgramme) -> HttpResponseRedirect:
        return HttpResponseRedirect(
            reverse("admin:integration_introductionprogramme_change", args=[obj.pk])
        )

    def element_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.visible_object(request, pk)
        form = ElementForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = run_service(
                form,
                lambda: services.programme_add_element(
                    actor=request.user, programme=obj, **form.cleaned_data
                ),
            )
            if done is not None:
                _element, warnings = done
                for warning in warnings:
                    messages.warning(request, warning)
                messages.success(request, _("Element added."))
                return self._back(obj)
        return self.render_form(request, form, _("Add element"), obj=obj)

    def test_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.visible_object(request, pk)
        form = TestForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = run_service(
                form,
                lambda: services.programme_record_test(
                    actor=request.user, programme=obj, **form.cleaned_data
                ),
            )
            if done is not None:
                messages.success(request, _("Test recorded."))
                return self._back(obj)
        return self.render_form(request, form, _("Record a Norwegian test"), obj=obj)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        # ``?settlement=`` (the start page's "settled, not yet enrolled" links) chooses it.
        chosen = request.GET.get("settlement", "")
        initial = {"settlement": chosen} if chosen.isdigit() else {}
        form = EnrolForm(request.POST or None, user=request.user, initial=initial)
        if request.method == "POST" and form.is_valid():
            done = run_service(
                form,
                lambda: services.programme_enrol(actor=request.user, **form.cleaned_data),
            )
            if done is not None:
                messages.success(request, _("Enrolled."))
                return self._back(done)
        # The form names the chosen settled person: a read of that settlement (the others
        # are found through ``settlements_view``, which logs its own).
        chosen = str(form["settlement"].value() or "")
        shown = selectors.settlements_for_enrolment(request.user).filter(
            pk=int(chosen) if chosen.isdigit() else 0
        )
        if shown:
            access_log(user=request.user, action=AccessLog.Action.VIEW, objects=list(shown))
        return self.render_form(request, form, _("Enrol in the introduction programme"))


@admin.register(MunicipalityOfficer)
class MunicipalityOfficerAdmin(FastListMixin, admin.ModelAdmin):
    """Which municipality each integration officer works for (managed by administrators),
    added and removed through ``services.municipality_officer_add``/``_remove``: a post is
    not edited, it is removed and another added."""

    list_display = ("user", "municipality")
    list_filter = (("municipality", admin.RelatedOnlyFieldListFilter),)
    autocomplete_fields = ()
    raw_id_fields = ("user",)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def save_model(
        self, request: HttpRequest, obj: MunicipalityOfficer, form: Any, change: bool
    ) -> None:
        saved = services.municipality_officer_add(actor=request.user, **form.cleaned_data)
        saved_as(obj, saved)

    def delete_model(self, request: HttpRequest, obj: MunicipalityOfficer) -> None:
        services.municipality_officer_remove(actor=request.user, officer=obj)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet) -> None:
        for officer in queryset.select_related("municipality"):
            services.municipality_officer_remove(actor=request.user, officer=officer)
