"""Applicant status pages: case reference plus date of birth, nothing in the URL."""

from __future__ import annotations

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from .selectors import application_for_applicant


class LookupForm(forms.Form):
    reference = forms.CharField(label=_("Case reference (from your receipt)"), max_length=40)
    date_of_birth = forms.DateField(
        label=_("Date of birth"), widget=forms.DateInput(attrs={"type": "date"})
    )


@require_http_methods(["GET", "POST"])
def status_lookup(request: HttpRequest) -> HttpResponse:
    """Show an applicant where their case stands, after they prove who they are."""
    form = LookupForm(request.POST or None)
    application = None
    not_found = False
    if request.method == "POST" and form.is_valid():
        application = application_for_applicant(
            reference=form.cleaned_data["reference"],
            date_of_birth=form.cleaned_data["date_of_birth"],
        )
        not_found = application is None
    return render(
        request,
        "casework/status/lookup.html",
        {"form": form, "application": application, "not_found": not_found},
    )
