"""The admin's pages per registered model, for the tests that must visit all of them."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.test import RequestFactory
from django.urls import reverse


def model_pages(user: Any) -> list[tuple[str, str, str]]:
    """(model label, "changelist" | "add" | "change" | "history", path) for every registered
    model: the change list, the add page where ``user`` may add, and the first record's change
    and history pages."""
    request = RequestFactory().get("/admin/")
    request.user = user
    pages = []
    for model, model_admin in admin.site._registry.items():
        label = model._meta.label
        prefix = f"admin:{model._meta.app_label}_{model._meta.model_name}"
        pages.append((label, "changelist", reverse(f"{prefix}_changelist")))
        if model_admin.has_add_permission(request):
            pages.append((label, "add", reverse(f"{prefix}_add")))
        if not model._meta.managed:  # the statistics entry is a page of its own, not a table
            continue
        first = model_admin.get_queryset(request).order_by("pk").first()
        if first is not None:
            pages.append((label, "change", reverse(f"{prefix}_change", args=[first.pk])))
            pages.append((label, "history", reverse(f"{prefix}_history", args=[first.pk])))
    return pages
