"""Admin for family reunification: registration, documents, decisions, the income rule."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from casework.models import Application, Person
from casework.people.identity import parse_reference

from .. import selectors, services
from ..choices import FamilyRelation, FamilyState, SponsorBasis
from ..models import FamilyReunification
from .base import RecordAdmin, run_service

DATE = forms.DateInput({"type": "date"})


class RegisterForm(forms.Form):
    sponsor = forms.CharField(label=gettext_lazy("Sponsor's registration number"), max_length=12)
    applicant = forms.CharField(
        label=gettext_lazy("Applicant's registration number"), max_length=12
    )
    relation = forms.ChoiceField(label=gettext_lazy("relation"), choices=FamilyRelation.choices)
    sponsor_basis = forms.ChoiceField(
        label=gettext_lazy("sponsor basis"), choices=SponsorBasis.choices
    )
    sponsor_case = forms.CharField(
        label=gettext_lazy("Sponsor's protection case reference"), required=False
    )
    sponsor_arrived_on = forms.DateField(
        label=gettext_lazy("sponsor arrived on"), required=False, widget=DATE
    )
    relationship_since = forms.DateField(
        label=gettext_lazy("relationship since"), required=False, widget=DATE
    )
    exception_reason = forms.CharField(
        label=gettext_lazy("exception reason"),
        required=False,
        widget=forms.Textarea({"rows": 2}),
    )
    registered_on = forms.DateField(
        label=gettext_lazy("registered on"), required=False, widget=DATE
    )

    def _person(self, field: str) -> Person:
        person = Person.objects.filter(registration_number=self.cleaned_data[field].strip()).first()
        if person is None:
            raise forms.ValidationError(_("No person with this registration number."))
        return person

    def clean_sponsor(self) -> Person:
        return self._person("sponsor")

    def clean_applicant(self) -> Person:
        return self._person("applicant")

    def clean_sponsor_case(self) -> Application | None:
        value = self.cleaned_data["sponsor_case"].strip()
        if not value:
            return None
        canonical = parse_reference(value)
        app = Application.objects.filter(reference=canonical).first() if canonical else None
        if app is None:
            raise forms.ValidationError(_("No case with this reference."))
        return app


class DocumentsForm(forms.Form):
    handed_in_on = forms.DateField(label=gettext_lazy("Handed in on"), widget=DATE)


@admin.register(FamilyReunification)
class FamilyReunificationAdmin(RecordAdmin):
    workflow = services.FAMILY
    selector = staticmethod(selectors.family_reunifications_visible_to)
    list_display = (
        "id",
        "applicant_number",
        "sponsor_number",
        "relation",
        "state",
        "income_rule",
        "registered_on",
        "documents_handed_in_on",
    )
    list_filter = (
        "state",
        "relation",
        "income_rule",
        "sponsor_basis",
        "age_rule_applies",
        ("registered_on", admin.DateFieldListFilter),  # not a date hierarchy: no scan for years
    )
    search_fields = ("=applicant__registration_number", "=sponsor__registration_number")
    extra_readonly = ("income_rule_explained", "timeline")

    @admin.display(description=gettext_lazy("Applicant"))
    def applicant_number(self, obj: FamilyReunification) -> str:
        return obj.applicant.registration_number

    @admin.display(description=gettext_lazy("Sponsor"))
    def sponsor_number(self, obj: FamilyReunification) -> str:
        return obj.sponsor.registration_number

    @admin.display(description=gettext_lazy("Income requirement: which rule and why"))
    def income_rule_explained(self, obj: FamilyReunification) -> str:
        return format_html(
            "<strong>{}</strong><br>{}", obj.get_income_rule_display(), obj.income_rule_reason
        )

    def extra_links(self, obj: Any, request: HttpRequest) -> list[tuple[str, str]]:
        if obj.state in (FamilyState.SUBMITTED, FamilyState.EXAMINED) and request.user.has_perm(
            "integration.record_family_documents", obj
        ):
            return [
                (
                    reverse("admin:integration_familyreunification_documents", args=[obj.pk]),
                    _("Record documents"),
                )
            ]
        return []

    def more_urls(self, wrap: Any) -> list:
        return [
            path(
                "<int:pk>/documents/",
                wrap(self.documents_view),
                name="integration_familyreunification_documents",
            )
        ]

    def documents_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        obj = self.visible_object(request, pk)
        form = DocumentsForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            done = run_service(
                form,
                lambda: services.family_record_documents(
                    actor=request.user,
                    reunification=obj,
                    handed_in_on=form.cleaned_data["handed_in_on"],
                ),
            )
            if done is not None:
                messages.success(request, done.income_rule_reason)
                return HttpResponseRedirect(
                    reverse("admin:integration_familyreunification_change", args=[obj.pk])
                )
        return self.render_form(request, form, _("Record documents"), obj=obj)

    def create_view(self, request: HttpRequest) -> HttpResponse:
        if not self.has_add_permission(request):
            raise PermissionDenied
        form = RegisterForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            data = form.cleaned_data
            done = run_service(
                form,
                lambda: services.family_register(
                    actor=request.user,
                    sponsor=data["sponsor"],
                    applicant=data["applicant"],
                    relation=data["relation"],
                    sponsor_basis=data["sponsor_basis"],
                    sponsor_application=data["sponsor_case"],
                    sponsor_arrived_on=data["sponsor_arrived_on"],
                    relationship_since=data["relationship_since"],
                    exception_reason=data["exception_reason"],
                    registered_on=data["registered_on"],
                ),
            )
            if done is not None:
                messages.success(request, done.income_rule_reason)
                return HttpResponseRedirect(
                    reverse("admin:integration_familyreunification_change", args=[done.pk])
                )
        return self.render_form(request, form, _("Register a family member's application"))
